"""Content negotiation as a dependency: a route declares the media types it offers and is given the one the request
asks for, by a suffix of its address where the route takes one (``/doc/organisation/odi.ttl``), else by ``format=``
(a short name such as ``json`` or ``ttl``, or a media type), else by ``Accept``; a request that names none of them is
refused (406) before the route runs. The names come from ``api.formats``, the one registry of media types."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from api import formats
from api.conneg import choose
from api.errors import NotFoundError, ProblemError

NESTED_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,3}\Z")

FORMAT = Annotated[
    str | None, Query(description="A short name (html, json, ttl…) or a media type, in place of the Accept header")
]


def _chosen(request: Request, format: str | None, offered: Sequence[str], fallback: str | None) -> str:
    if format is not None:
        for named in formats.candidates(format):
            if named in offered:
                return named
        raise ProblemError(406, f"format={format} is not one of {', '.join(formats.names(offered))}.")
    found = choose(formats.read_accept(request.headers.get("accept"), offered), list(offered)) or fallback
    if found is None:
        raise ProblemError(406, f"Ask for {', '.join(offered)}, by Accept or format=.")
    return found


def negotiated(*offered: str, fallback: str | None = None) -> Any:
    """The dependency that picks one of ``offered`` for a request; ``fallback`` where ``Accept`` names none of them
    (a route whose answer a client may take whatever it asked for). Asynchronous, as it never waits: FastAPI would
    run a plain function on its thread pool, a thread hop for every request."""

    async def chosen(request: Request, format: FORMAT = None) -> str:
        return _chosen(request, format, offered, fallback)

    return Depends(chosen)


@dataclass(frozen=True)
class Suffixed:
    """A path parameter without the suffix that named a media type, and the media type chosen."""

    value: str
    media_type: str

    def iri_under(self, base: str, space: str) -> str:
        """``{base}/{space}/{value}``, the IRI the path names; 404 (in the media type asked) if no IRI ecomap mints
        could be written so: one to four segments of letters, digits, dots, dashes and underscores."""
        iri = f"{base}/{space}/{self.value}"
        if not NESTED_PATH.match(self.value):
            raise NotFoundError(iri, self.media_type)
        return iri


def suffixed(parameter: str, suffixes: Mapping[str, str], *offered: str) -> Any:
    """The dependency for a route whose path parameter ``parameter`` may end in one of ``suffixes`` (``.ttl``), which
    names the media type; without one, :func:`negotiated` chooses among ``offered``."""

    async def chosen(request: Request, format: FORMAT = None) -> Suffixed:
        value = str(request.path_params[parameter])
        for suffix, media_type in suffixes.items():
            if value.endswith(suffix):
                return Suffixed(value[: -len(suffix)], media_type)
        return Suffixed(value, _chosen(request, format, offered, None))

    return Depends(chosen)


def alternates(document: str, suffixes: Mapping[str, str]) -> str:
    """A ``Link`` header naming the document in each of its media types, by suffix."""
    return ", ".join(
        f'<{document}{suffix}>; rel="alternate"; type="{media_type}"' for suffix, media_type in suffixes.items()
    )
