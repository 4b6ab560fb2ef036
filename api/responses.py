"""What each operation can answer, for the OpenAPI description, in one place: the JSON bodies of refusals as
models, and the answers that families of routes share (documents, query answers, store failures, moderators'
refusals) as ``responses=`` mappings that a route combines with :func:`documented`; and the bodies of the routes
that read their request body themselves (:func:`fields`), which FastAPI cannot see.

Two kinds of error body are really sent, and each is described as it is:

- a problem (``api.errors``): RFC 9457 problem details (:class:`Problem`) by default from the contribution,
  moderation, reconciliation, suggestion and leads routes, plain text by default from the others, and either, or a
  page, when ``Accept`` asks; a 404 of a page or document is a page that says where to look;
- ``{"detail": […]}`` (:class:`InvalidRequest`) from FastAPI itself when a parameter does not fit its declared
  type (422).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api import formats

Responses = dict[int | str, dict[str, Any]]

TEXT = "text/plain"
PROBLEM = "application/problem+json"
HTML = formats.HTML
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
STRING = {"schema": {"type": "string"}}
# A query that runs on the seed map: the example of /sparql's query, and the fuzzer's first case.
QUERY_EXAMPLE = "SELECT ?thing ?name WHERE { ?thing foaf:name ?name } LIMIT 10"


class Problem(BaseModel):
    """Why a request was refused (RFC 9457 problem details), in words; some refusals also say where (a line and column
    of the body) or list each problem found (a spreadsheet's cells, statements that belong to no record)."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field("about:blank", description="The kind of problem: only the status tells it")
    title: str = Field(description="The status's phrase, such as Not Found")
    status: int = Field(description="The HTTP status")
    detail: str = Field(description="What is wrong, and what to do about it")
    error: str = Field(description="The same as detail, where the contribution API has always said it")
    line: int | None = Field(None, description="The line of the body where reading stopped")
    column: int | None = Field(None, description="The column of the body where reading stopped")
    problems: list[dict[str, Any] | str] | None = Field(None, description="Each problem found, with where it is")


class InvalidParameter(BaseModel):
    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(description="Where: the part of the request and the parameter's name")
    msg: str
    type: str


class InvalidRequest(BaseModel):
    """FastAPI's own answer when a parameter does not fit its declared type."""

    detail: list[InvalidParameter]


class Finding(BaseModel):
    model_config = ConfigDict(extra="allow")  # a spreadsheet's findings also give their row and column

    severity: str
    focusNode: str  # noqa: N815 (the report's own field names)
    field: str
    path: str | None
    value: str | None
    message: str
    shape: str


class RecordFindings(BaseModel):
    record: str
    label: str
    results: list[Finding]


class ValidationReport(BaseModel):
    """The SHACL validation report, grouped by record, in words (``graph.contributions.report.as_json``)."""

    conforms: bool
    violations: int
    warnings: int
    records: list[RecordFindings]


def documented(*parts: Mapping[int, dict[str, Any]]) -> Responses:
    """Several families' answers as one ``responses=`` mapping: where two describe the same status, their
    descriptions, media types and JSON models are combined."""
    merged: Responses = {}
    for part in parts:
        for status, response in part.items():
            if status not in merged:
                merged[status] = copy.deepcopy(response)
                continue
            into = merged[status]
            if response.get("description") and response["description"] not in into.get("description", ""):
                into["description"] = f"{into['description']}; {response['description']}"
            if "content" in response:
                into["content"] = {**into.get("content", {}), **copy.deepcopy(response["content"])}
            if "model" in response:
                into["model"] = into["model"] | response["model"] if "model" in into else response["model"]
    return merged


def answers(description: str, *media_types: str) -> dict[str, Any]:
    """An answer in any of ``media_types``, chosen by the request."""
    return {"description": description, "content": {media_type: {} for media_type in media_types}}


def problem(description: str) -> dict[str, Any]:
    """A refusal (``api.errors``): problem details, plain text or a page, as asked."""
    details = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {"description": description, "model": Problem, "content": {PROBLEM: details, TEXT: STRING, HTML: STRING}}


# The store behind a route failed.
STORE = {
    502: problem("The store refused the request or sent an answer that could not be read"),
    503: problem("The store is not answering, or the query ran into the time limit (Retry-After says when to retry)"),
}
# Pages and answers kept once per data version (api/answers.py) answer a conditional request.
NOT_MODIFIED = {304: {"description": "Not Modified: If-None-Match names the current data version"}}
NOT_FOUND = {404: problem("Nothing is known at this address: a page that says where to look, or text, as asked")}
PAGE = {200: answers("The page", HTML)}

# Documents about things, the dataset and the ontology: a page or RDF, by Accept or a suffix.
DOCUMENT_TYPES = (HTML, *formats.GRAPHS.values())
DOCUMENT = {
    200: answers(
        "The document, as a page or RDF, by its suffix (where it takes one), format= or Accept", *DOCUMENT_TYPES
    ),
    406: problem("format= or Accept names none of the document's media types"),
}
# A thing's document (/doc, /def): also as a dataset, its record's statements in the record's graph.
THING_DOCUMENT = {
    **DOCUMENT,
    200: answers(
        "The document, as a page, RDF or a dataset (its record's statements in the record's graph), by its suffix "
        "(where it takes one), format= or Accept",
        *DOCUMENT_TYPES,
        *formats.DATASETS.values(),
    ),
}

# A named graph of the public store (api.routers.named_graphs), with its graph name in TriG and N-Quads.
NAMED_GRAPH = {
    200: answers(
        "The graph's statements, as a page, RDF or a dataset (with the graph's name), by its suffix, format= or Accept",
        *DOCUMENT_TYPES,
        *formats.DATASETS.values(),
    ),
    406: problem("format= or Accept names none of the graph's media types"),
}

# An answer of the SPARQL endpoint or a saved query (api.routers.sparql.run_query).
QUERY = {
    304: {"description": "Not Modified: If-None-Match names the current data version"},
    400: problem("The query or a parameter cannot be read, or format= does not suit the query"),
    406: problem("No result format that the query can give matches Accept"),
    413: problem("The answer is larger than the result cap: add a LIMIT"),
    429: problem("Too many queries from this client (Retry-After says when to try again)"),
    **STORE,
}

# A route that writes: its sender's allowance (api.access.counted) and the size of its body (api.bodies).
WRITES = {
    413: problem("The body is larger than this route takes"),
    429: problem("Too many changes sent from this client or account (Retry-After says when to try again)"),
}

# Who may decide: a moderator's bearer token (api.access.moderator).
TOKEN = {401: problem("A token was sent but it is not valid, or is not sent as a Bearer token")}
MODERATORS = {
    401: problem("No valid moderator's token was sent"),
    403: problem("The token is a submitter's, not a moderator's"),
}


def fields(media_type: str, example: Mapping[str, str], *, optional: tuple[str, ...] = (), more: bool = False) -> Any:
    """``openapi_extra`` for a route that reads an object of text fields from its body itself (JSON or a form):
    those of ``example``, all required but ``optional``; ``more`` allows fields of other names."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: {"type": "string"} for name in example},
        "required": [name for name in example if name not in optional],
    }
    if more:
        schema["additionalProperties"] = {"type": "string"}
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema, "example": dict(example)}}}}


# How a token is sent: ``Authorization: Bearer …``, a token made by ``ecomap users add`` (api/access.py reads it).
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A moderator's or a submitter's token, made by `ecomap users add NAME --role ROLE`.",
}


def with_security(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``schema`` with the bearer scheme on each operation that answers 401: required where a role is
    (it answers 403 too: the moderators' operations), optional where a token only counts for more (submitting)."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = BEARER
    for operations in schema["paths"].values():
        for operation in operations.values():
            answers = operation.get("responses", {})
            if "401" in answers:
                operation["security"] = [{"bearer": []}] if "403" in answers else [{"bearer": []}, {}]
    return schema
