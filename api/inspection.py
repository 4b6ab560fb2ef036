"""Checking a public query before it reaches the store: size, depth, syntax, form, read-only, SERVICE calls.

Nothing is evaluated here. SPARQL's ``\\u`` and ``\\U`` escapes are expanded first, until none is left, and
the store is sent exactly the text that was checked, so the check and the store cannot read a query
differently. Its depth is reckoned from its tokens first (``api/query_depth.py``): Oxigraph's parser and evaluator
recurse, and a query too deep for them (flat chains included, which rdflib reads as lists) crashes the store server.
The query is then parsed with rdflib's SPARQL parser (syntax errors keep their line and column);
a query that mentions SERVICE or FROM is also translated with ecomap's prefixes in front, the query's own declarations
winning as they do in the store: every ``SERVICE`` in it must name a host on the allow-list, and the graphs its
``FROM`` and ``FROM NAMED`` clauses name are given to the store as the protocol's dataset. A query rdflib
cannot read is refused rather than sent unchecked.

rdflib takes about 100 ms to parse a query like the saved 2-hop network, one query at a time, so a query text
that passed lately is not parsed again (``Passed``, by exact text). Queries that merely look alike are parsed.
Saved queries are not checked at all (their text is ecomap's own).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal, overload
from urllib.parse import urlsplit

from pyparsing import ParseBaseException, ParseResults
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef

from api import query_depth
from api.query_depth import QueryTooDeepError

ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Where a query could name a SERVICE or a dataset, it is translated too: rdflib resolves the IRIs with the prologue.
TRANSLATED = re.compile("service|from", re.IGNORECASE)
LONE_CR = re.compile(r"\r(?!\n)")
FORMS = {"SelectQuery": "solutions", "AskQuery": "solutions", "ConstructQuery": "graph", "DescribeQuery": "graph"}

# rdflib's SPARQL parser (pyparsing) keeps state between calls and is not safe to use from two threads at once:
# under concurrent requests it reported syntax errors in valid queries. Parsing is CPU-bound, so one at a time
# costs little.
RDFLIB_PARSER = threading.Lock()


class Passed:
    """What was found of the query texts that passed the checks lately (their form and dataset), at most ``size`` of
    them, by digest."""

    def __init__(self, size: int = 4096) -> None:
        self._forms: OrderedDict[bytes, Inspection] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode(), digest_size=16).digest()

    def get(self, key: bytes) -> Inspection | None:
        with self._lock:
            form = self._forms.get(key)
            if form is not None:
                self._forms.move_to_end(key)
            return form

    def add(self, key: bytes, form: Inspection) -> None:
        with self._lock:
            self._forms[key] = form
            self._forms.move_to_end(key)
            while len(self._forms) > self._size:
                self._forms.popitem(last=False)


PASSED = Passed()


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
    # The query as checked, escapes expanded: the text to send to the store.
    text: str
    # The dataset its FROM and FROM NAMED clauses give, which the store (its default graph the union of all) would
    # not honour in the text: they go to it as the protocol's default-graph-uri and named-graph-uri.
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


def _character(escape: re.Match[str]) -> str:
    code = int(escape.group(1) or escape.group(2), 16)
    if 0xD800 <= code <= 0xDFFF:  # half of a UTF-16 pair is no character: no text (nor UTF-8) can hold it alone
        raise ValueError(code)
    return chr(code)


def unescaped(query: str) -> str:
    """The query with its ``\\u``/``\\U`` escapes expanded, again and again until none is left."""
    while True:
        try:
            expanded = ESCAPE.sub(_character, query)
        except (ValueError, OverflowError):
            raise QueryRejectedError(
                400, "The query has a \\u or \\U escape that is not a Unicode character."
            ) from None
        if expanded == query:
            return query
        query = expanded


@overload
def inspect(
    query: str, prologue: str, allowed_hosts: tuple[str, ...], max_length: int, *, wait: Literal[True] = True
) -> Inspection: ...
@overload
def inspect(
    query: str, prologue: str, allowed_hosts: tuple[str, ...], max_length: int, *, wait: bool
) -> Inspection | None: ...
def inspect(
    query: str, prologue: str, allowed_hosts: tuple[str, ...], max_length: int, *, wait: bool = True
) -> Inspection | None:
    """Parse ``query`` (ecomap's ``prologue`` goes in front) and refuse what the public endpoint must not run.
    With ``wait=False``, ``None`` if another thread is using the parser."""
    if len(query) > max_length:
        raise QueryRejectedError(413, f"The query is longer than this endpoint's limit of {max_length} characters.")
    # rdflib ends a comment only at a line feed, SPARQL (and the store) at a carriage return too: a lone one
    # could hide from the check what the store then reads. It becomes a line feed in the text sent.
    text = LONE_CR.sub("\n", unescaped(query))
    key = Passed.key(f"{text}\x00{' '.join(allowed_hosts)}\x00{prologue}")
    if (known := PASSED.get(key)) is not None:
        return replace(known, text=text)
    try:
        query_depth.check(text)  # before any parser: the store's could crash, rdflib's would take seconds
    except QueryTooDeepError as error:
        raise QueryRejectedError(400, str(error)) from None
    if not RDFLIB_PARSER.acquire(blocking=wait):
        return None
    try:
        try:
            parsed = parseQuery(text)  # without the prologue, so that line and column numbers are the query's own
            # Only SERVICE and FROM need the translated algebra (IRIs with prefixes resolved); translating costs as much
            # as parsing again, so a query that cannot hold the keyword skips it.
            translated = translateQuery(parseQuery(prologue + text)) if TRANSLATED.search(text) else None
        finally:
            RDFLIB_PARSER.release()
    except ParseBaseException as error:
        if _is_update(text):
            raise QueryRejectedError(
                400, "This SPARQL endpoint is read-only: it answers queries, not updates (INSERT, DELETE, LOAD...)."
            ) from None
        raise QueryRejectedError(
            400, f"SPARQL syntax error at line {error.lineno}, column {error.col}: {error.msg}"
        ) from None
    except RecursionError:
        raise QueryRejectedError(400, "The query is nested too deeply for this endpoint to check.") from None
    except Exception as error:  # rdflib cannot translate some valid queries: refuse rather than run unchecked
        raise QueryRejectedError(400, f"This endpoint could not check the query ({type(error).__name__}).") from None
    form = FORMS.get(parsed[1].name)
    if form is None:
        raise QueryRejectedError(400, "Send a SELECT, ASK, CONSTRUCT or DESCRIBE query.")
    for target in _service_targets(translated.algebra) if translated else ():
        host = urlsplit(target).hostname if target else None
        if host is None or host not in allowed_hosts:
            raise QueryRejectedError(
                400,
                f"SERVICE calls to {target or 'a variable'} are not allowed: this endpoint only federates to "
                f"{', '.join(allowed_hosts) if allowed_hosts else 'no other hosts'}.",
            )
    defaults, named = _dataset(translated.algebra) if translated else ((), ())
    inspection = Inspection(Form(form), text, defaults, named)
    PASSED.add(key, inspection)
    return inspection


def _is_update(text: str) -> bool:
    try:
        with RDFLIB_PARSER:
            parseUpdate(text)
    except (ParseBaseException, RecursionError):
        return False
    return True


def _dataset(algebra: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The graphs of a query's FROM and FROM NAMED clauses, their IRIs resolved."""
    clauses = dict.get(algebra, "datasetClause") or ()  # CompValue.get answers a missing key with its name
    defaults = tuple(str(c["default"]) for c in clauses if "default" in c)
    named = tuple(str(c["named"]) for c in clauses if "named" in c)
    return defaults, named


def _service_targets(algebra: Any) -> Iterator[str | None]:
    """The IRI of every SERVICE clause (``None`` for ``SERVICE ?variable``)."""
    for node in _walk(algebra):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            yield str(term) if isinstance(term, URIRef) else None


def _walk(node: Any) -> Iterator[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list | tuple | ParseResults):
        for item in node:
            yield from _walk(item)
