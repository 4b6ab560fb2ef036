"""Checking a public query before it reaches the store: syntax, form, read-only, SERVICE calls.

Syntax and form come from Oxigraph's own parser (the engine that will run the query), which plans a query
without running it against an empty store. ``SERVICE`` clauses are found by parsing with rdflib's SPARQL
parser and walking the tree, so a class that happens to be called ``eco:Service`` is no ``SERVICE`` call.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from pyparsing import ParseException, ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue


class Form(StrEnum):
    """Whether a query answers with solutions (SELECT, ASK) or with a graph (CONSTRUCT, DESCRIBE)."""

    SOLUTIONS = "solutions"
    GRAPH = "graph"


class QueryRejectedError(Exception):
    """A query the public endpoint will not run, with the status and message to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Inspection:
    form: Form


def inspect(query: str, base: str, prefixes: dict[str, str], allowed_hosts: tuple[str, ...]) -> Inspection:
    """Parse ``query`` and refuse what the public endpoint must not run."""
    try:
        planned = ox.Store().query(query, base_iri=base + "/", prefixes=prefixes)
    except SyntaxError as error:
        if _is_update(query):
            raise QueryRejectedError(
                400, "This SPARQL endpoint is read-only: it answers queries, not updates (INSERT, DELETE, LOAD...)."
            ) from None
        raise QueryRejectedError(400, f"SPARQL syntax error: {error}") from None
    if "service" in query.lower():  # only a shortcut: the parse below decides
        for target in _service_targets(query, prefixes):
            host = urlsplit(target).hostname if target else None
            if host is None or host not in allowed_hosts:
                shown = target or "a variable"
                raise QueryRejectedError(
                    400,
                    f"SERVICE calls to {shown} are not allowed: this endpoint only federates to "
                    f"{', '.join(allowed_hosts) if allowed_hosts else 'no other hosts'}.",
                )
    return Inspection(Form.GRAPH if isinstance(planned, ox.QueryTriples) else Form.SOLUTIONS)


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except ParseException:
        return False
    return True


def _service_targets(query: str, prefixes: dict[str, str]) -> Iterator[str | None]:
    """The IRI of every SERVICE clause (``None`` for ``SERVICE ?variable``)."""
    declared = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items())
    try:
        tree = parseQuery(declared + query)
    except ParseException:
        tree = parseQuery(query)
    for node in _walk(tree):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            yield _iri(term, tree)


def _iri(term: Any, tree: Any) -> str | None:
    if isinstance(term, CompValue) and term.name == "pname":
        for decl in _walk(tree):
            if decl.name == "PrefixDecl" and decl.get("prefix") == term.get("prefix"):
                return str(decl.get("iri")) + str(term.get("localname") or "")
        return None
    text = str(term)
    return text if text.startswith(("http://", "https://")) else None


def _walk(node: Any) -> Iterator[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple | ParseResults):
        for item in node:
            yield from _walk(item)
