"""The layers of the web app hold (ARCHITECTURE.md): a router reads its request and calls a service; it imports no
other router, writes no SPARQL and maps no store error; no IRI is pasted into query text; and a store's failure is
handled only by the store client and the app's error handlers, and where a failure must not stop the work."""

from __future__ import annotations

import ast
import re
from itertools import pairwise
from pathlib import Path

from conftest import one_pass_only

pytestmark = one_pass_only

ROOT = Path(__file__).resolve().parent.parent
ROUTERS = ROOT / "api" / "routers"
SPARQL = re.compile(r"\b(SELECT|CONSTRUCT|DESCRIBE|ASK|INSERT|DELETE)\b[^{]*\{|\bWHERE\s*\{")
# Where a store's failure is caught, and why it may be: anywhere else it reaches the app's handlers (api/errors.py).
CATCHES_STORE_FAILURES = {
    "api/errors.py": "answers it",
    "graph/store/protocol.py": "the store client: it sends a query again once a restarted store is back",
    "api/answers.py": "a kept page whose version cannot be read is served unkept",
    "api/services/approval.py": "the background search for approvals to complete looks again later",
    "api/services/operations.py": "/metrics still answers, without the submission counts",
    "api/services/querying.py": "the sender of a query that took the store down is held back",
    "api/server.py": "the supervisor tries again to start a store server that failed to start",
}


def modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def strings(tree: ast.AST) -> list[str]:
    """Every string constant, and every f-string's text with ``{}`` where its values go."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
    return found


def test_no_router_imports_another():
    imports = []
    for path in modules(ROUTERS):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("api.routers"):
                imports.append(f"{path.name}: from {node.module}")
    assert imports == []


def test_no_router_writes_sparql():
    written = [
        f"{path.name}: {text[:60]!r}"
        for path in modules(ROUTERS)
        for text in strings(ast.parse(path.read_text()))
        if SPARQL.search(text)
    ]
    assert written == []


def test_no_router_reaches_a_store():
    """A router reads the request and calls a service: the public and staging stores are the services' to use."""
    reached = [
        f"{path.name}:{node.lineno}"
        for path in modules(ROUTERS)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr in ("public", "staging")
    ]
    assert reached == []


# Query text: braces, or the keywords of a query or an update (a line for people, such as "ODI <iri>", has neither).
QUERY_TEXT = re.compile(r"[{}]|\b(SELECT|ASK|CONSTRUCT|DESCRIBE|WHERE|GRAPH|VALUES|INSERT|DELETE|DROP)\b")


def test_no_iri_is_pasted_into_query_text():
    """An f-string that writes ``<{value}>`` into SPARQL, in the web app or the domain: every IRI goes in through
    ``graph.rdf.query_text``, serialised by pyoxigraph."""
    pasted = []
    for path in [*modules(ROOT / "api"), *modules(ROOT / "graph")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.JoinedStr):
                continue
            parts = node.values
            text = "".join(v.value if isinstance(v, ast.Constant) else "" for v in parts)
            if not QUERY_TEXT.search(text):
                continue
            for before, value in pairwise(parts):
                if isinstance(before, ast.Constant) and before.value.endswith("<"):
                    pasted.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(value)}")
    assert pasted == []


def test_store_failures_are_caught_only_where_they_must_be():
    catching = set()
    for path in modules(ROOT / "api"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and node.type is not None and "StoreError" in ast.unparse(node.type):
                catching.add(str(path.relative_to(ROOT)))
    assert catching <= set(CATCHES_STORE_FAILURES), catching - set(CATCHES_STORE_FAILURES)


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_no_service_imports_a_router():
    assert {
        f"{path.name}: {module}"
        for path in modules(ROOT / "api" / "services")
        for module in imports_of(path)
        if module.startswith("api.routers")
    } == set()


# What the store backends may use besides each other: RDF reading, terms and query terms, the stores' settings, and the
# supervisor's notes. Records, metadata, versions, identity and workflows are written above them (graph/stores.py).
BACKENDS_MAY_IMPORT = (
    "graph.store.",
    "graph.rdf.parsing",
    "graph.rdf.formats",
    "graph.rdf.query_text",
    "graph.rdf.terms",
)
BACKENDS_MAY_IMPORT_TOO = {"graph.settings", "graph.serving"}


def test_the_store_backends_import_nothing_of_the_domain():
    assert {
        f"{path.name}: {module}"
        for path in modules(ROOT / "graph" / "store")
        for module in imports_of(path)
        if module.startswith(("graph", "api"))
        and not module.startswith(BACKENDS_MAY_IMPORT)
        and module not in BACKENDS_MAY_IMPORT_TOO
    } == set()


# One library for each job, where two crept in: names are compared with rapidfuzz (reconciliation scored them with
# difflib while the moderators' duplicate check used rapidfuzz), and the stores are reached with aiohttp (the web
# workers import no httpx, which only the command line and the link checker use).
ONE_LIBRARY = {"difflib": ("api", "graph"), "httpx": ("api/routers", "api/services", "graph/store")}


def test_one_library_for_each_job():
    for library, folders in ONE_LIBRARY.items():
        users = [
            str(path.relative_to(ROOT))
            for folder in folders
            for path in modules(ROOT / folder)
            if any(name == library or name.startswith(library + ".") for name in imports_of(path))
        ]
        assert users == [], f"{library} imported by {users}"
