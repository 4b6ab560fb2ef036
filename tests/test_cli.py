"""The ``ecomap`` command as a user runs it: init, load, export, validate, query, stats, rebase."""

from __future__ import annotations

import gc
import json
import re
import shutil
from pathlib import Path

import anyio
import pyoxigraph as ox
import pytest
import rdflib
from conftest import BASE, ecomap_process, one_pass_only, run_ecomap
from helpers import ask, dropped_elsewhere, open_embedded, rows, seed_census

from graph.catalogue import ROOT
from graph.stores import recorded_base

pytestmark = one_pass_only

FAULTY = (ROOT / "docs" / "examples" / "faulty-record.ttl").read_text(encoding="utf-8")


def canonical(path, *, but_the_version: bool = False) -> ox.Dataset:
    """The exported statements, canonical; without the data version's graph if asked (every write replaces it)."""
    quads = ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)
    dataset = ox.Dataset(q for q in quads if not (but_the_version and q.graph_name.value.endswith("/data/version")))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return dataset


@pytest.fixture(scope="module")
def made_by_init(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stores ``ecomap init`` makes, made once for the module: each test starts from a copy of its own, which
    takes milliseconds where the command takes a second. Made by the installed console script, in a process of its own:
    the other tests run the command in this process (:func:`conftest.ecomap_with`)."""
    folder = tmp_path_factory.mktemp("init")
    result = ecomap_process({"ECOMAP_STORE": str(folder / "store")}, "init")
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture
def initialised(ecomap, store_dir, made_by_init):
    """``ecomap`` over stores of this test's own, as ``ecomap init`` leaves them."""
    shutil.copytree(made_by_init, store_dir.parent, symlinks=True, dirs_exist_ok=True)
    return ecomap


def test_init_reports_what_it_loaded_and_is_idempotent(initialised, tmp_path):
    first = tmp_path / "first.nq"
    second = tmp_path / "second.nq"
    assert initialised("export", "--output", str(first)).returncode == 0
    again = initialised("init")
    assert again.returncode == 0 and f"{seed_census().records} seed records" in again.stdout
    assert initialised("export", "--output", str(second)).returncode == 0
    assert canonical(first, but_the_version=True) == canonical(second, but_the_version=True)


def test_load_export_load_gives_the_same_graph(initialised, tmp_path, store_dir):
    dump = tmp_path / "dump.nq"
    assert initialised("export", "--format", "nq", "--output", str(dump)).returncode == 0
    copy_store = tmp_path / "copy"
    loaded = run_ecomap(copy_store, "load", str(dump))
    assert loaded.returncode == 0, loaded.stderr
    again = tmp_path / "again.nq"
    assert run_ecomap(copy_store, "export", "--output", str(again)).returncode == 0
    assert canonical(dump, but_the_version=True) == canonical(again, but_the_version=True)
    versions = [versions_in(path) for path in (dump, again)]
    assert len(versions[0]) == len(versions[1]) == 1 and versions[0] != versions[1], (
        "the load made a version of its own"
    )


def versions_in(path) -> list[str]:
    quads = ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)
    return [q.object.value for q in quads if q.graph_name.value.endswith("/data/version")]


@pytest.mark.parametrize("format_name", ["trig", "ttl", "nt"])
def test_every_export_format_reads_back(initialised, tmp_path, format_name):
    out = tmp_path / f"dump.{format_name}"
    assert initialised("export", "--format", format_name, "--output", str(out)).returncode == 0
    graph = rdflib.Dataset() if format_name == "trig" else rdflib.Graph()
    graph.parse(out, format={"trig": "trig", "ttl": "turtle", "nt": "nt"}[format_name])
    assert len(graph) > 2000
    if format_name == "trig":
        assert len(list(graph.graphs())) > 50


def test_a_load_with_a_syntax_error_exits_2_names_the_place_and_writes_nothing(initialised, tmp_path):
    before = initialised("query", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "--format", "csv").stdout
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        '<id/organisation/a> <http://x.example/p> "ok" .\n<id/organisation/b> <http://x.example/p> <broken iri> .\n'
    )
    result = initialised("load", str(bad))
    assert result.returncode == 2
    assert f"{bad}:2:" in result.stderr and "Traceback" not in result.stderr
    after = initialised("query", "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "--format", "csv").stdout
    assert before == after


@pytest.mark.parametrize(
    ("suffix", "content"),
    [
        (".nt", '<http://x.example/s> <http://x.example/p> "nt" .\n'),
        (".jsonld", '{"@id": "http://x.example/s", "http://x.example/p": "jsonld"}'),
        (
            ".rdf",
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:x="http://x.example/">'
            '<rdf:Description rdf:about="http://x.example/s"><x:p>rdfxml</x:p></rdf:Description></rdf:RDF>',
        ),
        (".nq", '<http://x.example/s> <http://x.example/p> "nq" <http://x.example/g> .\n'),
    ],
)
def test_load_reads_every_rdf_format(ecomap, tmp_path, suffix, content):
    path = tmp_path / f"input{suffix}"
    path.write_text(content)
    result = ecomap("load", "--graph", "http://x.example/loaded", str(path))
    assert result.returncode == 0, result.stderr
    value = path.suffix.lstrip(".").replace("rdf", "rdfxml")
    rows = ecomap("query", "SELECT ?o WHERE { <http://x.example/s> <http://x.example/p> ?o }", "--format", "csv")
    assert rows.stdout.splitlines()[1:] == [value]


def test_json_ld_with_a_remote_context_is_refused_without_fetching_it(ecomap, tmp_path):
    path = tmp_path / "remote.jsonld"
    path.write_text('{"@context": "https://schema.org/", "@id": "http://x.example/s", "name": "x"}')
    result = ecomap("load", str(path))
    assert result.returncode == 2
    assert "never fetches a remote JSON-LD @context" in result.stderr


def test_validate_prints_each_fault_in_plain_english(initialised, tmp_path):
    path = tmp_path / "faulty.ttl"
    path.write_text(FAULTY)
    result = initialised("validate", str(path))
    assert result.returncode == 1
    out = result.stdout
    for expected in [
        'company number: "1234"',
        "A company number has 8 characters, e.g. 08030289 or SC709914",
        "kind of organisation: <def/organisation-kind/unicorn>",
        "website: <ftp://example.org>",
        "based in: <id/place/X99>",
        "Write each name as text tagged with its language",
        "supports: <def/m1-priority-area/world-peace>",
        "The end date is before the start date",
        "to organisation: <id/organisation/no-such-organisation>",
        "8 violations and 5 warnings in 3 records",
    ]:
        assert expected in out, expected
    assert out.index("Example Data Co") < out.index("company number")


def test_validate_speaks_json_and_turtle_for_machines(initialised, tmp_path):
    path = tmp_path / "faulty.ttl"
    path.write_text(FAULTY)
    body = json.loads(initialised("validate", "--format", "json", str(path)).stdout)
    assert body["conforms"] is False and body["violations"] == 8 and body["warnings"] == 5
    results = [r for record in body["records"] for r in record["results"]]
    assert {"severity", "focusNode", "path", "value", "message", "shape"} <= set(results[0])
    report = rdflib.Graph().parse(data=initialised("validate", "--format", "turtle", str(path)).stdout, format="turtle")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, rdflib.RDF.type, sh.ValidationReport) in report


def test_validate_exits_0_for_the_store_and_2_for_unreadable_input(initialised, tmp_path):
    assert initialised("validate").returncode == 0
    bad = tmp_path / "bad.ttl"
    bad.write_text("<id/organisation/x> a \n")
    result = initialised("validate", str(bad))
    assert result.returncode == 2 and f"{bad}:" in result.stderr
    unknown = tmp_path / "data.docx"
    unknown.write_text("x")
    assert initialised("validate", str(unknown)).returncode == 2


@pytest.mark.parametrize(
    ("format_name", "check"),
    [
        ("table", lambda out: "Open Data Institute" in out and "(1 row)" in out),
        ("csv", lambda out: out.splitlines() == ["name", "Open Data Institute"]),
        ("tsv", lambda out: out.splitlines()[1] == '"Open Data Institute"@en'),
        ("json", lambda out: json.loads(out)["results"]["bindings"][0]["name"]["value"] == "Open Data Institute"),
    ],
)
def test_query_in_every_result_format(initialised, format_name, check):
    result = initialised(
        "query", "SELECT ?name WHERE { <id/organisation/odi> skos:prefLabel ?name }", "--format", format_name
    )
    assert result.returncode == 0, result.stderr
    assert check(result.stdout), result.stdout


def test_query_drops_its_results_on_the_thread_that_made_them(initialised):
    """``ecomap query`` returned pyoxigraph's results out of ``anyio.run``; the run's task, which an anyio worker thread
    still held, kept them, and they were dropped on that thread as it ended: "PyQuerySolutions is unsendable, but is
    being dropped on another thread" (now and then, in these tests and for users)."""
    select = "SELECT ?name WHERE { <id/organisation/odi> skos:prefLabel ?name }"
    for form in (select, "CONSTRUCT WHERE { <id/organisation/odi> skos:prefLabel ?name }"):
        assert dropped_elsewhere(lambda form=form: initialised("query", form, "--format", "json")) == []


def test_query_reads_a_file_and_reports_syntax_errors_with_their_position(initialised, tmp_path):
    query = tmp_path / "count.rq"
    query.write_text("ASK { <id/organisation/odi> a rov:RegisteredOrganization }")
    assert initialised("query", str(query)).stdout.strip() == "true"
    result = initialised("query", "SELECT ?x WHERE { ?x }")
    assert result.returncode == 2 and "1:" in result.stderr and "Traceback" not in result.stderr


def test_stats_shows_counts_by_kind_priority_area_and_nation(initialised):
    out = initialised("stats").stdout
    assert re.search(rf"^organisations +{len(seed_census().organisations)}$", out, re.M), out
    for expected in [
        "Charity or non-profit",
        "Establish foundations",
        "Scotland",
        "Responsible data",
    ]:
        assert expected in out, expected


def test_rebase_moves_every_iri_to_the_new_domain_under_a_new_data_version(initialised, store_dir):
    """Every IRI moves, and the data version changes: it kept its token, so the answers kept for the old base (api/
    answers.py, by version) were served after it, /doc/organisation/odi with 37 IRIs of the old base."""
    new = "https://ecomap.example.org"

    def version(base: str) -> str:
        return f"SELECT ?v WHERE {{ GRAPH ?g {{ ?d <{base}/def/ecosystem/dataVersion> ?v }} }}"

    opened = open_embedded(store_dir, BASE)
    before = rows(opened, version(BASE))
    anyio.run(opened.close)  # the command opens the store next, in this process
    assert len(before) == 1
    result = initialised("rebase", BASE, new)
    assert result.returncode == 0, result.stderr
    refused = initialised("stats")
    assert refused.returncode == 1 and f"ecomap rebase {new} {BASE}" in refused.stderr
    store = open_embedded(store_dir, new)
    assert ask(store, "ASK { <https://ecomap.example.org/id/organisation/odi> a rov:RegisteredOrganization }")
    assert ask(store, 'ASK { ?i skos:notation "08030289"^^<https://ecomap.example.org/def/register/GB-COH> }')
    assert not ask(
        store,
        f'ASK {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(CONTAINS(STR(?s), "{BASE}") || CONTAINS(STR(?o), "{BASE}") || CONTAINS(STR(?g), "{BASE}")) }}',
    )
    assert anyio.run(recorded_base, store) == new
    after = rows(store, version(new))
    assert len(after) == 1 and after[0]["v"] != before[0]["v"]
    staging = open_embedded(store_dir.parent / "staging", new)
    assert anyio.run(recorded_base, staging) == new
    assert rows(staging, version(new)) == [], "the staging store has no data version, and gets none"


def test_rebase_refuses_a_wrong_old_base(initialised):
    result = initialised("rebase", "https://wrong.example", "https://ecomap.example.org")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    gc.disable()  # the stores are let go when the command ends, not when a collection frees what its error held
    try:
        assert initialised("stats").returncode == 0
    finally:
        gc.enable()


def test_a_large_load_shows_progress(ecomap, tmp_path):
    path = tmp_path / "large.nt"
    line = '<http://x.example/s{}> <http://x.example/p> "a literal long enough to make the file large" .\n'
    path.write_text("".join(line.format(i) for i in range(20000)))
    assert path.stat().st_size > 1024 * 1024
    result = ecomap("load", str(path))
    assert result.returncode == 0, result.stderr
    assert "Loaded 20000 statements" in result.stdout
    steps = [line for line in result.stderr.splitlines() if line.startswith("Loading: ")]
    assert len(steps) == 10 and steps[-1].startswith("Loading: 100% of"), "a log gets a line per tenth read"


def test_history_names_what_it_cannot_read_and_says_when_a_record_has_no_versions(ecomap):
    assert ecomap("init").returncode == 0
    refused = ecomap("history", "nothing/odi")
    assert refused.returncode == 1 and "names no record" in refused.stderr
    seeded = ecomap("history", "/id/organisation/odi")  # a record loaded with the seed, never approved
    assert seeded.returncode == 0 and seeded.stdout == "No approved versions of organisation/odi.\n"
