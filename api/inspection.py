"""Checking a public query before it reaches the store: size, depth, syntax, form, read-only, SERVICE calls.

Nothing is evaluated here. SPARQL's ``\\u`` and ``\\U`` escapes are expanded first, until none is left, and
the store is sent exactly the text that was checked, so the check and the store cannot read a query
differently. Its depth is reckoned from its tokens first (``api/query_depth.py``): Oxigraph's parser and evaluator
recurse, and a query too deep for them (flat chains included, which rdflib reads as lists) crashes the store server.
Most queries are then decided from their tokens alone (``from_tokens``), where the store reads nothing but SPARQL
queries at its query endpoint (Oxigraph; not Virtuoso, which runs updates and pragmas sent there): a query with no
``service`` anywhere in its text (not even in an IRI, a string or a comment), no ``FROM`` keyword, and nothing before
its form's keyword but BASE and PREFIX declarations cannot call another host, change the store or name a dataset, and
its form is that keyword's. Its syntax is then the store's to check; if the store refuses it, it is parsed here after
all, for the message (``tests/test_inspection.py`` compares the two ways on a generated corpus). Any other query is
parsed with rdflib's SPARQL parser (syntax errors keep their line and column);
a query that mentions SERVICE or FROM is also translated with ecomap's prefixes in front, the query's own declarations
winning as they do in the store: every ``SERVICE`` in it must name a host on the allow-list, and the graphs its
``FROM`` and ``FROM NAMED`` clauses name are given to the store as the protocol's dataset. A query rdflib
cannot read is refused rather than sent unchecked.

rdflib takes about 1 ms to parse a one-line query and 80 ms a query like the saved 2-hop network, one query at a
time, so a query text that passed lately is not parsed again (``Passed``, by exact text). Queries that merely look
alike are parsed.
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
from api.query_depth import TOKEN, QueryTooDeepError

ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
# Where a query could name a SERVICE or a dataset, it is translated too: rdflib resolves the IRIs with the prologue.
TRANSLATED = re.compile("service|from", re.IGNORECASE)
LONE_CR = re.compile(r"\r(?!\n)")
FORMS = {"SelectQuery": "solutions", "AskQuery": "solutions", "ConstructQuery": "graph", "DescribeQuery": "graph"}
FORMS_BY_KEYWORD = {"select": "solutions", "ask": "solutions", "construct": "graph", "describe": "graph"}

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
    # False when decided from the tokens alone (``from_tokens``): the store checks its syntax.
    parsed: bool = True


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


def prepared(query: str, max_length: int) -> str:
    """The text to check and to send: within the length limit, its escapes expanded, a lone carriage return made a
    line feed (rdflib ends a comment only at a line feed, SPARQL and the store at a carriage return too: a lone one
    could hide from the check what the store then reads)."""
    if len(query) > max_length:
        raise QueryRejectedError(413, f"The query is longer than this endpoint's limit of {max_length} characters.")
    return LONE_CR.sub("\n", unescaped(query))


def from_tokens(text: str) -> Inspection | None:
    """The inspection of a query (escapes expanded) that its tokens alone decide, or ``None`` if they cannot: any
    ``service`` in the text, a ``FROM`` keyword, or anything but BASE and PREFIX declarations before the form's
    keyword leaves it to the parser."""
    # casefold: more spellings than the store's ASCII-insensitive keywords. A backslash anywhere leaves it to the
    # parser: rdflib reads some escapes the expansion above does not (\U with four digits), so might the store.
    if "service" in text.casefold() or "\\" in text:
        return None
    tokens = (m for m in TOKEN.finditer(text) if m.lastgroup not in ("space", "comment"))
    form = None
    for token in tokens:
        word = token.group().lower() if token.lastgroup == "word" else ""
        if word == "base":
            declared = [next(tokens, None)]
        elif word == "prefix":
            declared = [next(tokens, None), next(tokens, None)]
        elif word in FORMS_BY_KEYWORD:
            form = Form(FORMS_BY_KEYWORD[word])
            break
        else:
            return None
        if not _declaration(word, declared):
            return None
    if form is None:
        return None
    if any(token.lastgroup == "word" and token.group().lower() == "from" for token in tokens):
        return None
    return Inspection(form, text, parsed=False)


def _declaration(keyword: str, tokens: list[re.Match[str] | None]) -> bool:
    """Whether the tokens after BASE (an IRI) or PREFIX (a prefix and an IRI) are what the grammar asks for."""
    kinds = [token.lastgroup if token else None for token in tokens]
    if keyword == "base":
        return kinds == ["iri"]
    prefix = tokens[0]
    return kinds == ["name", "iri"] and prefix is not None and prefix.group().find(":") == len(prefix.group()) - 1


@dataclass(frozen=True)
class Rules:
    """What a client's query is checked against: ecomap's ``prologue`` (put in front of it, as the stores do), the
    hosts a SERVICE may call, the longest text taken, and whether the store reads nothing but SPARQL queries
    (``quick``: a query its tokens decide need not be parsed)."""

    prologue: str
    allowed_hosts: tuple[str, ...]
    max_length: int
    quick: bool = False


@overload
def inspect(query: str, rules: Rules, *, wait: Literal[True] = True) -> Inspection: ...
@overload
def inspect(query: str, rules: Rules, *, wait: bool) -> Inspection | None: ...
def inspect(query: str, rules: Rules, *, wait: bool = True) -> Inspection | None:
    """Refuse what the public endpoint must not run, and say what the query answers with: from its tokens alone
    where ``rules.quick`` and they suffice, else parsed. With ``wait=False``, ``None`` if another thread is using
    the parser."""
    prologue, allowed_hosts = rules.prologue, rules.allowed_hosts
    text = prepared(query, rules.max_length)
    key = Passed.key(f"{text}\x00{' '.join(allowed_hosts)}\x00{prologue}")
    if (known := PASSED.get(key)) is not None:
        return replace(known, text=text)
    try:
        query_depth.check(text)  # before any parser: the store's could crash, rdflib's would take seconds
    except QueryTooDeepError as error:
        raise QueryRejectedError(400, str(error)) from None
    if rules.quick and (decided := from_tokens(text)) is not None:
        return decided
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
    for node in walk(algebra):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            yield str(term) if isinstance(term, URIRef) else None


def walk(node: Any) -> Iterator[CompValue]:
    """Every node of rdflib's parse tree or algebra of a query."""
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list | tuple | ParseResults):
        for item in node:
            yield from walk(item)
