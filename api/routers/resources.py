"""Dereferenceable URIs: ``/id/…`` answers 303 See Other to ``/doc/…``, which negotiates HTML or RDF.

Ontology terms, concept schemes, concepts and the ontology itself live under ``/def/…`` and are served
directly (no 303), as vocabulary documents are.
"""

from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api import formats
from api.answers import kept_get
from api.dependencies import AppServices, Services
from api.errors import NotFoundError
from api.negotiation import Suffixed, alternates, suffixed
from api.paths import ClassPath, KeyPath
from api.renderers.document_page import page_context, serialise
from api.renderers.graph_page import graph_response
from api.renderers.pages import render
from api.responses import NOT_FOUND, THING_DOCUMENT, documented, problem
from api.services.document import described, last_modified, self_description, tombstone, versioned
from api.services.named_graphs import named_graph
from graph.rdf.formats import in_memory
from graph.rdf.identity import checked_class

router = APIRouter(tags=["Linked data"])

OFFERED = [formats.HTML, *formats.GRAPHS.values(), *formats.DATASETS.values()]
SUFFIXES = formats.suffixes([*formats.GRAPHS.values(), *formats.DATASETS.values(), formats.HTML])


@router.get(
    "/id/{uri_class}/{key}",
    summary="A thing's URI: 303 See Other to the document about it",
    status_code=303,
    response_class=RedirectResponse,
    responses=documented({303: {"description": "See Other: the document about the thing"}}, NOT_FOUND),
)
async def thing(uri_class: ClassPath, key: KeyPath, request: Request, services: Services) -> Response:
    if checked_class(uri_class, key) is None:
        raise NotFoundError(f"{services.settings.base_uri}/id/{uri_class}/{key}")
    return RedirectResponse(f"/doc/{uri_class}/{key}", status_code=303, headers={"Vary": "Accept"})


@kept_get(
    router,
    "/doc/{uri_class}/{key}",
    "The document about a thing: HTML, Turtle, JSON-LD, N-Triples, RDF/XML, or TriG and N-Quads with its graph",
    THING_DOCUMENT,
    {
        301: {"description": "Moved Permanently: the record was merged into the one named by Location"},
        410: problem("Gone: the record was withdrawn, and says when and why"),
    },
    NOT_FOUND,
)
async def document(
    uri_class: ClassPath,
    key: KeyPath,
    request: Request,
    services: Services,
    asked: Annotated[Suffixed, suffixed("key", SUFFIXES, *OFFERED)],
) -> Response:
    key, media_type = asked.value, asked.media_type
    cls = checked_class(uri_class, key)
    if cls is None:
        raise NotFoundError(f"{services.settings.base_uri}/id/{uri_class}/{key}", media_type)
    identity = services.identity
    return await _describe(
        request,
        services,
        identity.thing(cls, key),
        identity.record_graph(cls, key),
        identity.document(cls, key),
        media_type,
    )


@kept_get(router, "/def/{path:path}", "An ontology term, concept scheme or concept", THING_DOCUMENT, NOT_FOUND)
async def definition(
    path: str, request: Request, services: Services, asked: Annotated[Suffixed, suffixed("path", SUFFIXES, *OFFERED)]
) -> Response:
    iri = asked.iri_under(services.settings.base_uri, "def")
    triples = await described(services, iri, iri, term=True)
    if triples:
        return await _document(request, services, iri, iri, iri, asked.media_type, triples)
    # Not a term, scheme or concept: the graph of the shapes or of the reused terms, or the ontology's version IRI.
    graph = await named_graph(services, iri)
    if graph is not None:
        response = graph_response(request, services, graph, _local(iri, services), asked.media_type)
        response.headers["Link"] = alternates(_local(iri, services), SUFFIXES)
        return response
    ontology = await versioned(services, iri)
    if ontology is not None:  # the current version: the ontology's own document
        return RedirectResponse(_local(ontology, services), status_code=303, headers={"Vary": "Accept"})
    raise NotFoundError(iri, asked.media_type)


async def _describe(
    request: Request, services: Services, thing: str, record: str, document: str, media_type: str
) -> Response:
    """The document about ``thing``. Conditional GET and caching go by the data version (api/answers.py): a page
    holds statements from other records too, so its own record's date (sent as Last-Modified, for information)
    cannot tell that nothing on it changed."""
    triples = await described(services, thing, record)
    if not triples:
        return await _ended(request, services, thing, record, media_type)
    return await _document(request, services, thing, record, document, media_type, triples)


async def _document(
    request: Request,
    services: Services,
    thing: str,
    record: str,
    document: str,
    media_type: str,
    triples: list[ox.Triple],
) -> Response:
    triples += self_description(document, thing, triples)
    triples.sort(key=str)  # the same data gives the same bytes
    modified = last_modified(triples, document)
    if media_type == formats.HTML:
        context = page_context(services, thing, document, triples)
        # Its record's named graph (/data/…), where the metadata describes one: a part of a record (a post, an
        # identifier) has none of its own.
        record_node = ox.NamedNode(record)
        has_graph = record != thing and any(t.subject == record_node for t in triples)
        context["record"] = _local(record, services) if has_graph else None
        response: Response = render(request, "resource.html", context)
    elif media_type in formats.DATASETS.values():
        response = Response(await _in_graphs(services, triples, record, media_type), media_type=media_type)
    else:
        response = Response(serialise(triples, media_type, services), media_type=media_type)
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = alternates(_local(document, services), SUFFIXES)
    if modified is not None:
        response.headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    return response


async def _in_graphs(services: Services, triples: list[ox.Triple], record: str, media_type: str) -> bytes:
    """A document's statements as a dataset (TriG, N-Quads): those its record's graph holds in that graph, the rest
    (the names of what it links to, kept in their own records; the document's own statements) in the default graph."""
    graph = await named_graph(services, record)
    held, name = set(graph.statements) if graph else set(), ox.NamedNode(record)
    quads = [ox.Quad(t.subject, t.predicate, t.object, name if t in held else ox.DefaultGraph()) for t in triples]
    return in_memory(ox.serialize(quads, format=formats.RDF_FORMATS[media_type], prefixes=services.prefixes))


async def _ended(request: Request, services: AppServices, thing: str, record: str, media_type: str) -> Response:
    """A withdrawn record's URI answers 410 Gone, saying when and why; a merged one redirects to the survivor."""
    row = await tombstone(services, record)
    if row is None:
        raise NotFoundError(thing, media_type)
    survivor = services.identity.parse(row["survivor"].value) if "survivor" in row else None
    if survivor is not None:
        target = _local(services.identity.document(survivor.uri_class, survivor.key), services)
        return RedirectResponse(target, status_code=301, headers={"Vary": "Accept"})
    when = row["modified"].value[:10]
    reason = row["reason"].value if "reason" in row else ""
    if media_type == formats.HTML:
        context = {"title": "Withdrawn", "iri": thing, "when": when, "reason": reason}
        return render(request, "gone.html", context, status=410)
    return Response(f"{thing} was withdrawn on {when}: {reason}\n", 410, media_type="text/plain; charset=utf-8")


def _local(iri: str, services: Services) -> str:
    base = services.settings.base_uri
    return iri[len(base) :] if iri.startswith(base) else iri
