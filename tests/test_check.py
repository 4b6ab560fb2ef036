"""``ecomap check`` on stores on disk: clean after init and load, and each kind of damage or disagreement between
the stores named in words, with exit code 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import anyio
import pytest
from conftest import BASE, Stores, initialise_stores, one_pass_only, run_ecomap
from helpers import open_embedded, seed_census

META = f"{BASE}/data/metadata"
ECO = f"{BASE}/def/ecosystem/"
PROV = "http://www.w3.org/ns/prov#"
ODI = f"{BASE}/data/organisation/odi"
STATUS = f"{BASE}/def/record-status/"
TECHUK = f"{BASE}/data/organisation/techuk"
ODI_NUMBER = f"{BASE}/id/identifier/GB-COH-08030289"
ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"

# Stores on disk, changed behind the service's back (the fault tests run the check over remote stores).
pytestmark = one_pass_only


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Initialised public and staging stores, with one record loaded by ``ecomap load``, made once."""
    folder = tmp_path_factory.mktemp("pristine")
    initialise_stores(Stores({"ECOMAP_STORE": str(folder / "store")}, []), folder)
    return folder


@pytest.fixture
def stores(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the pristine stores for one test to change (they are closed, so a copy is a whole store)."""
    for name in ("store", "staging"):
        shutil.copytree(pristine / name, tmp_path / name, symlinks=True)
    return tmp_path


def change(folder: Path, update: str) -> None:
    """Apply one SPARQL update to a store on disk, then close it, as another process would: letting it go to the
    garbage collector left RocksDB's lock held now and then (an anyio thread still referred to the store), and the
    check that followed could not open the folder."""
    store = open_embedded(folder)

    async def apply() -> None:
        try:
            await store.update(update)
        finally:
            await store.close()

    anyio.run(apply)


def check(stores: Path, output: str = "json") -> tuple[int, str]:
    done = run_ecomap(stores / "store", "check", "--format", output)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout, f"the check said nothing (exit {done.returncode}): {done.stderr}"
    return done.returncode, done.stdout


def test_stores_just_initialised_and_loaded_are_clean(stores):
    code, text = check(stores, "text")
    assert code == 0 and text.endswith(
        "Clean: every statement read back, every graph described, every approval whole.\n"
    )
    code, answer = check(stores)
    found = json.loads(answer)
    assert code == 0 and found["clean"] and found["problems"] == []
    public = open_embedded(stores / "store")
    assert found["stores"]["public"]["statements"] == anyio.run(public.count)
    assert found["records"] == seed_census().records + 1  # the seed records and the loaded one, described by the load
    assert found["violations"] == 0


SUBMISSION = f"{BASE}/id/submission/s1"


@pytest.mark.parametrize(
    ("store", "update", "subject", "words"),
    [
        ("store", f"DELETE WHERE {{ GRAPH <{META}> {{ <{ODI}> ?p ?o }} }}", ODI, "no description in the metadata"),
        (
            "store",
            f"DELETE {{ GRAPH <{META}> {{ <{ODI}> <{ECO}status> ?s }} }} "
            f"INSERT {{ GRAPH <{META}> {{ <{ODI}> <{ECO}status> <{STATUS}withdrawn> }} }} "
            f"WHERE {{ GRAPH <{META}> {{ <{ODI}> <{ECO}status> ?s }} }}",
            ODI,
            "withdrawn or merged but still has statements",
        ),
        (
            "store",
            f"INSERT DATA {{ GRAPH <{META}> {{ <{ODI}> <{PROV}wasDerivedFrom> <{SUBMISSION}> }} }}",
            ODI,
            "unknown to the staging store",
        ),
        (
            "staging",
            f"INSERT DATA {{ GRAPH <{BASE}/data/submission/s2> {{ <{BASE}/id/organisation/x> a <{ECO}Thing> }} }}",
            f"{BASE}/data/submission/s2",
            "submission has no description",
        ),
        (
            "staging",
            f"INSERT DATA {{ GRAPH <{META}> {{ <{SUBMISSION}> a <{ECO}Submission> ; <{ECO}status> <{STATUS}approved> ; "
            f"<{ECO}recordGraph> <{ODI}> }} }}",
            SUBMISSION,
            f"no version of {ODI} was kept",
        ),
        (
            "store",
            f"DELETE WHERE {{ GRAPH <{ODI}> {{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?o }} }}",
            "",
            "",
        ),
        (
            "store",
            f'INSERT DATA {{ GRAPH <{TECHUK}> {{ <{BASE}/id/organisation/odi> <{ALT_LABEL}> "ODI (now owned)"@en }} }}',
            TECHUK,
            f"states things about <{BASE}/id/organisation/odi>, the topic of <{ODI}>",
        ),
        (
            "store",
            f'INSERT DATA {{ GRAPH <{ODI}> {{ <{ECO}Activity> <{ALT_LABEL}> "Anything"@en }} }}',
            ODI,
            f"states things about <{ECO}Activity>, which is described by ecomap's reference data",
        ),
        (
            "store",
            f'INSERT DATA {{ GRAPH <{TECHUK}> {{ <{ODI_NUMBER}> <{ALT_LABEL}> "Ours" }} }}',
            ODI_NUMBER,
            f"is a subject of several records (<{ODI}>, <{TECHUK}>), not one",
        ),
    ],
    ids=[
        "undescribed",
        "ended-not-emptied",
        "derived-from-unknown",
        "undescribed-submission",
        "no-version",
        "shapes",
        "another-records-topic",
        "the-ontology",
        "another-records-identifier",
    ],
)
def test_each_inconsistency_is_named_and_fails_the_check(stores, store, update, subject, words):
    change(stores / store, update)
    code, answer = check(stores)
    found = json.loads(answer)
    assert code == 1 and not found["clean"], answer
    if words:
        assert [p for p in found["problems"] if p["subject"] == subject and words in p["message"]], found["problems"]
    else:
        assert found["violations"] > 0 and found["problems"] == []


def test_an_approval_stopped_between_the_stores_is_named_as_such(stores):
    change(
        stores / "staging",
        f"INSERT DATA {{ GRAPH <{META}> {{ <{SUBMISSION}> a <{ECO}Submission> ; <{ECO}status> <{STATUS}pending> ; "
        f"<{ECO}approvalClaimedBy> <{BASE}/id/account/moira> }} }}",
    )
    change(stores / "store", f"INSERT DATA {{ GRAPH <{META}> {{ <{ODI}> <{PROV}wasDerivedFrom> <{SUBMISSION}> }} }}")
    code, text = check(stores, "text")
    assert code == 1 and "Not clean: 1 problem, 0 violations." in text
    assert f"Problem in both stores: <{ODI}> public, derived from {SUBMISSION}, which is pending in staging" in text
    assert "an approval stopped midway" in text


def test_a_damaged_store_is_reported_and_nothing_read_from_it_trusted(stores):
    tables = sorted((stores / "store" / "current").glob("*.sst"), key=lambda p: p.stat().st_size)
    assert tables, "the store has no table files to damage"
    damaged = bytearray(tables[-1].read_bytes())
    for i in range(512, len(damaged) - 512, 97):
        damaged[i] ^= 0xFF
    tables[-1].write_bytes(bytes(damaged))
    done = run_ecomap(stores / "store", "check")
    assert done.returncode == 1
    assert "damaged" in done.stdout + done.stderr or "cannot open" in done.stderr
    assert "Traceback" not in done.stderr
