"""`ecomap synth`: a realistic synthetic graph for benchmarks that conforms to the shapes, and can never reach the
public store."""

from __future__ import annotations

import io
from pathlib import Path

import pyoxigraph as ox
from conftest import BASE, one_pass_only, run_ecomap
from helpers import seed_census

from graph.contributions.validation import Validator
from graph.rdf.convert import to_rdflib
from graph.synth import write

pytestmark = one_pass_only

SYNTHETIC = BASE + "/synthetic"


def test_the_synthetic_graph_conforms_to_the_shapes_and_is_reproducible():
    made = io.BytesIO()
    count = write(60, 3, SYNTHETIC, made)
    quads = list(ox.parse(made.getvalue(), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == count
    report = Validator.from_repository(SYNTHETIC).validate(to_rdflib(quads), None)
    assert report.conforms and not report.warnings, [f.message for f in report.findings][:5]
    organisations = {q.subject for q in quads if q.object.value == "http://www.w3.org/ns/org#Organization"}
    assert len(organisations) == 60 and all(o.value.startswith(SYNTHETIC + "/id/") for o in organisations)
    again = io.BytesIO()
    write(60, 3, SYNTHETIC, again)
    other = io.BytesIO()
    write(60, 4, SYNTHETIC, other)
    assert again.getvalue() == made.getvalue() != other.getvalue()


def test_synthetic_data_is_refused_for_the_public_store_and_loads_into_a_store_of_its_own(tmp_path: Path):
    refused = run_ecomap(tmp_path / "public", "synth", "--organisations", "5", "--output", str(tmp_path / "x.nq"))
    assert refused.returncode == 2 and "/synthetic" in refused.stderr
    output = tmp_path / "synthetic.nq"
    synthetic_store = tmp_path / "synthetic" / "store"
    made = run_ecomap(synthetic_store, "synth", "--organisations", "200", "--output", str(output), base=SYNTHETIC)
    assert made.returncode == 0, made.stderr

    public = tmp_path / "public" / "store"
    assert run_ecomap(public, "init").returncode == 0
    before = run_ecomap(public, "stats").stdout
    blocked = run_ecomap(public, "load", str(output))
    assert blocked.returncode == 2 and "never into the public store" in blocked.stderr
    assert run_ecomap(public, "stats").stdout == before, "nothing was written"

    assert run_ecomap(synthetic_store, "init", base=SYNTHETIC).returncode == 0
    loaded = run_ecomap(synthetic_store, "load", "--bulk", str(output), base=SYNTHETIC)
    assert loaded.returncode == 0, loaded.stderr
    stats = run_ecomap(synthetic_store, "stats", base=SYNTHETIC).stdout
    organisations = next(line for line in stats.splitlines() if line.startswith("organisations"))
    assert int(organisations.split()[-1]) == 200 + len(seed_census().organisations)  # and the seed's, under any base
