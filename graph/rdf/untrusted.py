"""RDF sent over the web, checked before and while Oxigraph's parsers read it.

Oxigraph's parsers are written for files an operator trusts. Measured with pyoxigraph 0.5, some small inputs cost
far more than their size: JSON-LD nested 4,000 deep (60 KB) overflows the parser's stack and kills the process,
2,000 deep takes 2 s and 770 MB; so do RDF 1.2 triple terms nested 20,000 deep in N-Triples or Turtle; RDF/XML nested
20,000 deep takes 11 s (the time grows with the square of the depth); ten nested XML entity declarations in 500 bytes
expand to gigabytes as they are read (billion laughs); Turtle blank nodes nested 1.6 million deep hold 900 MB. So a
submission must be UTF-8, nest at most ``MAX_DEPTH`` deep and declare no XML entities (no DOCTYPE at all), and it is
read only up to its statement limit.

JSON-LD drops a statement whose IRI is not well formed without a word (its algorithms say so); the usual slips, a
space or an angle bracket in an ``@id`` or ``@type``, are refused instead, so that what is kept is what was sent. Text
that XML cannot carry (NUL and the other control characters) is refused too: stored, it would make every RDF/XML
page and SPARQL XML answer that shows it unreadable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from graph.rdf.parsing import LoadError, RdfSyntaxError, located

SUBMISSION = Path("submission")
MAX_DEPTH = 64

# What can nest (in Turtle and N-Triples: blank nodes, collections, RDF 1.2 triple terms, reifiers, annotations), and
# what to step over because a bracket inside it is not one: strings, IRIs, comments, escapes. An unterminated string
# or comment runs to the end (of its line, for one-line strings) rather than failing, so that each is scanned once
# (the parser stops at it anyway). Group 1 opens a level, group 2 closes one.
TURTLE_NESTING = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*+(?:"""|\Z)'
    rb"|'''(?:[^'\\]|\\.|'(?!''))*+(?:'''|\Z)"
    rb'|"(?:[^"\\\r\n]|\\.)*+"?'
    rb"|'(?:[^'\\\r\n]|\\.)*+'?"
    rb"|(<<|[\[({])"  # before IRIs: << opens a reified triple, not an IRI
    rb"|<[^<>\"{}|^`\\\x00-\x20]*+>?"
    rb"|#[^\r\n]*+"
    rb"|\\."
    rb"|(>>|[\])}])",
    re.DOTALL,
)
JSON_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*+"?|([\[{])|([\]}])', re.DOTALL)
# Comments, CDATA sections and processing instructions; an end tag (group 1); a start tag, which opens a level unless
# it closes itself (group 2 is its final ``>``), its attribute values stepped over whole.
XML_NESTING = re.compile(
    rb"<!--(?:[^-]|-(?!->))*+(?:-->|\Z)"
    rb"|<!\[CDATA\[(?:[^\]]|\](?!\]>))*+(?:\]\]>|\Z)"
    rb"|<\?(?:[^?]|\?(?!>))*+(?:\?>|\Z)"
    rb"|(</)[^>]*+>?"
    rb"|<(?:[^>\"'/]|\"[^\"]*+\"?|'[^']*+'?|/(?!>))*+(?:/>|(>)|\Z)",
    re.DOTALL,
)
# How each match changes the depth, by the group it has: an opening bracket's is group 1; a start tag's match has
# group 2 unless it closes itself, an end tag's has group 1.
BRACKET_STEPS = {1: 1, 2: -1}
XML_STEPS = {1: -1, 2: 1}
NESTING = {
    ox.RdfFormat.N_TRIPLES: (TURTLE_NESTING, BRACKET_STEPS),
    ox.RdfFormat.TURTLE: (TURTLE_NESTING, BRACKET_STEPS),
    ox.RdfFormat.TRIG: (TURTLE_NESTING, BRACKET_STEPS),
    ox.RdfFormat.JSON_LD: (JSON_NESTING, BRACKET_STEPS),
    ox.RdfFormat.RDF_XML: (XML_NESTING, XML_STEPS),
}
DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
NOT_IN_AN_IRI = re.compile(r"[\x00-\x20<>\"{}|^`\\]")
JSON_LD_IRI_KEYS = ("@id", "@type", "@vocab", "@base")
# The parsers read RDF 1.2; ecomap's records, their validation and its exports are RDF 1.1 (an RDF 1.2 triple term
# reached the conversion for pySHACL and answered 500).
TRIPLE_TERMS = (
    "ecomap keeps RDF 1.1 statements, not RDF 1.2 triple terms (<<( … )>>, << … >> or {| … |}): "
    "state what they say as plain statements"
)
# What XML 1.0 cannot carry: the control characters but tab, line feed and carriage return, and U+FFFE, U+FFFF.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class TooManyStatementsError(LoadError):
    """The input holds more statements than it may; reading stopped there."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"The submission holds more than {limit} statements: split it into smaller ones.")


def read_submission(
    body: bytes, rdf_format: ox.RdfFormat, *, base_iri: str, max_statements: int, max_depth: int = MAX_DEPTH
) -> list[ox.Quad]:
    """Every statement of ``body``, or :class:`RdfSyntaxError` (with line and column where there is one) for input
    that is not UTF-8, nests too deeply, declares XML entities, would lose an IRI, holds a triple term or does not
    parse, or :class:`TooManyStatementsError` as soon as it holds more than ``max_statements``."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _position(body, error.start)
        raise RdfSyntaxError(
            SUBMISSION, line, column, f"byte 0x{body[error.start]:02x} is not UTF-8: send the submission as UTF-8"
        ) from None
    if rdf_format == ox.RdfFormat.RDF_XML and (declared := DOCTYPE.search(body)):
        line, column = _position(body, declared.start())
        detail = (
            "ecomap does not read a DOCTYPE or XML entities in a submission (they could expand without limit): "
            "write the names out in full"
        )
        raise RdfSyntaxError(SUBMISSION, line, column, detail)
    if rdf_format in NESTING and (deepest := _too_deep(*NESTING[rdf_format], body, max_depth)) is not None:
        line, column = _position(body, deepest)
        raise RdfSyntaxError(SUBMISSION, line, column, f"nested more than {max_depth} deep: flatten the structure")
    if rdf_format == ox.RdfFormat.JSON_LD and (problem := _json_ld_iri_problem(body)):
        raise RdfSyntaxError(SUBMISSION, None, None, problem)
    quads: list[ox.Quad] = []
    try:
        for quad in ox.parse(body, format=rdf_format, base_iri=base_iri):
            if len(quads) == max_statements:
                raise TooManyStatementsError(max_statements)
            if isinstance(quad.object, ox.Triple):
                raise RdfSyntaxError(SUBMISSION, None, None, TRIPLE_TERMS)
            quads.append(quad)
    except SyntaxError as error:
        raise located(SUBMISSION, error) from None
    return quads


def unwritable(triples: Iterable[ox.Triple]) -> str | None:
    """Why these statements cannot be kept, if a literal holds text that XML cannot carry (a control character; the
    parsers refuse one in an IRI themselves)."""
    for triple in triples:
        if isinstance(triple.object, ox.Literal) and (found := unkeepable_character(triple.object.value)):
            return f"The value of {triple.subject} {triple.predicate} {found}"
    return None


def unkeepable_character(text: str) -> str | None:
    """What is wrong with ``text`` if it holds a character that XML cannot carry, as the end of a sentence."""
    found = NOT_IN_XML.search(text)
    if found is None:
        return None
    return (
        f"holds the control character U+{ord(found.group()):04X} (an invisible character, often pasted by accident), "
        "which XML cannot carry: leave it out."
    )


def _too_deep(pattern: re.Pattern[bytes], steps: dict[int, int], body: bytes, limit: int) -> int | None:
    """Where ``body`` first nests more than ``limit`` deep (a byte offset), if it does."""
    depth = 0
    for match in pattern.finditer(body):
        depth += steps.get(match.lastindex or 0, 0)
        if depth > limit:
            return match.start()
    return None


def _json_ld_iri_problem(body: bytes) -> str | None:
    """The first ``@id``, ``@type``, ``@vocab`` or ``@base`` value, or key written as a full IRI, that cannot be an
    IRI, which JSON-LD would drop with its statement; ``None`` if there is none (or the JSON does not parse: the
    parser then says where)."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    pending = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                candidates = [key] if "://" in key else []
                if key in JSON_LD_IRI_KEYS:
                    candidates += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
                for candidate in candidates:
                    if (found := NOT_IN_AN_IRI.search(candidate)) is not None:
                        return (
                            f"{json.dumps(candidate)} is not an IRI: it holds {_named(found.group())}, which JSON-LD "
                            "would drop with its statement"
                        )
                pending.append(value)
    return None


def _named(character: str) -> str:
    return "a space" if character == " " else f"the character {json.dumps(character)}"


def _position(body: bytes, offset: int) -> tuple[int, int]:
    """The line and column (both from 1, the column in characters) of a byte offset."""
    start = body.rfind(b"\n", 0, offset) + 1
    return body.count(b"\n", 0, offset) + 1, len(body[start:offset].decode("utf-8", "replace")) + 1
