"""What the form for correcting an organisation starts from: the organisation a thing belongs to, and its public
record (``graph.contributions.correction`` carries over what the form does not show)."""

from __future__ import annotations

import pyoxigraph as ox

from api.dependencies import AppServices
from api.services.page_queries import first_object
from graph.rdf.identity import Ref, UriClass


async def organisation_of(services: AppServices, ref: Ref) -> str:
    """The organisation whose form covers a thing: itself, the one running an activity, or a relationship's
    first party; empty for anything else."""
    if ref.uri_class is UriClass.ORGANISATION:
        return services.identity.thing(UriClass.ORGANISATION, ref.key)
    link = {UriClass.ACTIVITY: "runBy", UriClass.RELATIONSHIP: "fromOrganisation"}.get(ref.uri_class)
    if link is None:
        return ""
    thing = services.identity.thing(ref.uri_class, ref.key)
    rows = await services.public.solutions(first_object(thing, services.identity.resolve(f"def/ecosystem/{link}")))
    return rows[0]["object"].value if rows else ""


async def published_record(services: AppServices, iri: str) -> list[ox.Triple]:
    """The statements of the organisation's public record."""
    graph = services.identity.record_graph(UriClass.ORGANISATION, iri.rsplit("/", 1)[-1])
    return await services.public.named_graph(graph)
