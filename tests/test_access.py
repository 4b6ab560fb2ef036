"""Who may call what: every write operation of the API is listed here with the role that may call it (SECURITY.md
has the same table), and each moderators' operation refuses everyone else, against a real server."""

from __future__ import annotations

import re

import pytest
import web
from conftest import SAME_OVER_EITHER, make_tokens, one_pass, start_app, stop_server
from helpers import bearer
from openapi_spec_validator import validate

pytestmark = one_pass("remote", SAME_OVER_EITHER)

ANYONE, MODERATOR = "anyone", "moderator"
# Every operation that changes something or reads what is private, with who may call it. Anyone may read the rest.
ROLES = {
    ("POST", "/sparql"): ANYONE,  # read-only: updates are refused
    ("POST", "/suggest"): ANYONE,  # answers only, nothing is recorded
    ("POST", "/reconcile"): ANYONE,  # read-only
    ("POST", "/reconcile/extend"): ANYONE,  # read-only
    ("POST", "/submit"): ANYONE,  # pending until a moderator decides
    ("POST", "/submissions"): ANYONE,  # pending until a moderator decides; a token only raises fair use
    ("POST", "/records/person/{key}/request"): ANYONE,  # kept private, for the moderators
    ("GET", "/submissions"): MODERATOR,
    ("GET", "/submissions/{submission_id}/review"): MODERATOR,
    ("POST", "/submissions/{submission_id}/approve"): MODERATOR,
    ("POST", "/submissions/{submission_id}/reject"): MODERATOR,
    ("POST", "/records/{uri_class}/{key}/withdraw"): MODERATOR,
    ("POST", "/records/{uri_class}/{key}/merge"): MODERATOR,
    ("POST", "/records/person/{key}/redact"): MODERATOR,
    ("GET", "/requests"): MODERATOR,
    ("POST", "/requests/{request_id}/answer"): MODERATOR,
}
EXAMPLE = {
    "{submission_id}": "0123456789abcdef0123456789abcdef",
    "{uri_class}": "organisation",
    "{key}": "odi",
    "{request_id}": "0123456789abcdef0123456789abcdef",
}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    server = start_app(tmp_path_factory.mktemp("access"))
    yield server, make_tokens(server)
    stop_server(server)


def url(server, path: str) -> str:
    for placeholder, value in EXAMPLE.items():
        path = path.replace(placeholder, value)
    return server.url + path


def test_every_write_operation_has_a_role(server):
    operations = web.get(server.url + "/openapi.json").json()["paths"]
    writes = {(method.upper(), path) for path, item in operations.items() for method in item if method != "get"}
    assert writes == {operation for operation, _ in ROLES.items() if operation[0] == "POST"}
    for method, path in ROLES:
        assert method.lower() in operations[path], (method, path)


@pytest.mark.parametrize(("method", "path"), [op for op, role in ROLES.items() if role == MODERATOR])
def test_moderators_operations_refuse_everyone_else(guarded, method, path):
    server, tokens = guarded
    body = {"json": {"reason": "a test", "into": "id/organisation/techuk", "answer": "a test"}}
    nobody = web.request(method, url(server, path), **body)
    assert nobody.status_code == 401 and nobody.headers["www-authenticate"] == "Bearer"
    assert "error" in nobody.json()
    forged = web.request(method, url(server, path), headers=bearer("not-a-token"), **body)
    assert forged.status_code == 401
    submitter = web.request(method, url(server, path), headers=bearer(tokens["submitter"]), **body)
    assert submitter.status_code == 403 and "error" in submitter.json()
    # Nothing happened: the record is still published, the test's submission and request never existed.
    assert web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}).status_code == 200


def test_tokens_never_show_in_the_public_data_the_account_list_or_the_log(guarded):
    """Tokens are stored as SHA-256 hashes and compared in constant time (graph/contributions/accounts.py); here, that the token
    itself shows nowhere an operator or the public could read it."""
    server, tokens = guarded
    for token in tokens.values():
        assert web.get(url(server, "/submissions"), headers=bearer(token)).status_code in (200, 403)
    exported = server.ecomap("export", "--format", "nq")
    listed = server.ecomap("users", "list")
    assert exported.returncode == 0 and listed.returncode == 0 and "moira" in listed.stdout
    for token in tokens.values():
        assert token not in exported.stdout and token not in listed.stdout
        assert token not in (server.folder / "server.log").read_text()


def test_the_openapi_names_its_operations_readably_and_says_which_take_a_bearer_token(server):
    """FastAPI's generated operation ids (``document_doc__uri_class___key__get``), and no security scheme though
    ten operations answer 401 (issue 21). The description stays valid OpenAPI."""
    spec = web.get(server.url + "/openapi.json").json()
    validate(spec)
    operations = {(method.upper(), path): op for path, item in spec["paths"].items() for method, op in item.items()}
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z][a-z0-9_]{2,60}", i) for i in ids), ids
    assert not [i for i in ids if "__" in i], "FastAPI's ids join the function, the path and the method with __"
    assert operations[("GET", "/doc/{uri_class}/{key}")]["operationId"] == "document"
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearer"]["description"],
    }
    for (method, path), role in ROLES.items():
        security = operations[(method, path)].get("security")
        if role == MODERATOR:
            assert security == [{"bearer": []}], (method, path)
    assert operations[("POST", "/submissions")]["security"] == [{"bearer": []}, {}], "a token is optional there"
    assert "security" not in operations[("GET", "/sparql")]
    for method in ("GET", "POST"):  # the answer's schema was empty; the fuzz test checks answers against it now
        answer = operations[(method, "/reconcile")]["responses"]["200"]["content"]["application/json"]["schema"]
        assert answer["anyOf"] and all(shape["type"] == "object" for shape in answer["anyOf"]), method
