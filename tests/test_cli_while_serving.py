"""While ecomap serve holds the stores, the command line reaches them through it."""

from __future__ import annotations

import json
import re

from conftest import BASE, ecomap_process
from helpers import seed_census


def test_query_stats_validate_and_export_work_while_serving(server, tmp_path):
    result = server.ecomap(
        "query", "SELECT ?name WHERE { <id/organisation/odi> skos:prefLabel ?name }", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"]["bindings"][0]["name"]["value"] == "Open Data Institute"
    stats = server.ecomap("stats")
    organisations = len(seed_census().organisations) + 1  # and the test's hostile record
    assert stats.returncode == 0 and re.search(rf"organisations +{organisations}\n", stats.stdout), stats.stdout
    # In a process of its own, as a user runs it: in the test's own process (click's runner) it failed twice under the
    # load of both passes with "Resource temporarily unavailable (os error 11)" once the seed grew (not explained).
    validated = ecomap_process({**server.stores.env, "ECOMAP_BASE_URI": BASE}, "validate")
    assert validated.returncode == 0 and re.search(r"\n0 violations and \d+ warnings in \d+ records", validated.stdout)
    dump = tmp_path / "dump.nq"
    assert server.ecomap("export", "--output", str(dump)).returncode == 0
    assert dump.stat().st_size > 100_000


def test_a_construct_through_the_server_prints_triples(server):
    result = server.ecomap("query", "CONSTRUCT WHERE { <id/organisation/odi> skos:prefLabel ?n }")
    assert result.returncode == 0, result.stderr
    assert '"Open Data Institute"@en' in result.stdout


def test_bulk_loading_while_serving_is_refused_clearly(server, tmp_path):
    path = tmp_path / "x.nt"
    path.write_text('<http://x.example/s> <http://x.example/p> "1" .\n')
    result = server.ecomap("load", "--bulk", str(path))
    assert result.returncode == 1 and "stop `ecomap serve` first" in result.stderr
