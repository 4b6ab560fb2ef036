"""How deep the store would have to recurse to read a query, reckoned from its text before any parser reads it.

Oxigraph's SPARQL parser and evaluator recurse, and a query deeper than a thread's stack aborts the whole store
server ("has overflowed its stack"), with every request in flight. Depth is not only nesting: a parser builds a flat
chain (``MINUS{} MINUS{} …``, ``1+1+…``, triple patterns joined one after another) as a tree one level deeper per
element, which rdflib reads as a flat list, so its own recursion limit never sees them; and rdflib takes
milliseconds per element to read them. So every query text from a client is first read here, once, by a lexer that
knows SPARQL's tokens (strings, IRIs, comments, and the ``<`` that is less-than), and its depth is reckoned as the
store would build it: each construct that is chained adds its share in the group, expression or path where it
stands, and each bracket adds its own frame to the deepest thing inside it. A construct's share is ``SAFETY`` over
the smallest count of it seen to crash ``oxigraph serve`` (``bench/query_depth.py`` finds those counts and checks
the limits hold); a query whose deepest path comes to 1 or more is refused before anything else reads it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

# How far below the smallest crashing count a query must stay: the count at which the store crashes varies between
# runs (nesting 2,000 parentheses crashed it once, 4,600 did not), and constructs combine in ways not measured one
# by one.
SAFETY = 8


@dataclass(frozen=True)
class Construct:
    """A kind of thing the store recurses over: its name in an error message, and the smallest count of it, chained
    or nested, that crashed ``oxigraph serve`` 0.5 (bench/README.md)."""

    name: str
    crashes_at: int

    @property
    def share(self) -> float:
        return SAFETY / self.crashes_at

    @property
    def allowed(self) -> int:
        return self.crashes_at // SAFETY


TRIPLES = Construct("triple patterns in one group", 843)
GROUPS = Construct("groups joined in one group", 2000)
NESTED_GROUPS = Construct("groups nested inside one another", 843)
NESTED_BLANK_NODES = Construct("[ ] nested inside one another", 843)
COLLECTION_ITEMS = Construct("items in collections and path groups", 3375)
NESTED_CALLS = Construct("function calls nested inside one another", 250)
NESTED_PARENTHESES = Construct("parentheses nested inside one another", 2000)
DESCRIBED = Construct("things to DESCRIBE", 1000)
PROJECTED = Construct("expressions in SELECT or GROUP BY", 1000)
KEYWORDS = {
    "minus": Construct("MINUS", 937),
    "optional": Construct("OPTIONAL", 1687),
    "union": Construct("UNION", 1687),
    "filter": Construct("FILTER", 9375),
    "bind": Construct("BIND", 1000),
    "values": Construct("VALUES", 1000),
    "exists": Construct("EXISTS", 210),
}
OPERATORS = {
    "/": Construct("/ (path steps or divisions)", 2000),
    "|": Construct("| (path alternatives)", 4000),
    "^": Construct("^ (inverse paths)", 2000),
    "+": Construct("+ and - (sums)", 1937),
    "-": Construct("+ and - (sums)", 1937),
    "*": Construct("* (products)", 1937),
    "||": Construct("|| and && (conditions)", 3375),
    "&&": Construct("|| and && (conditions)", 3375),
    "!": Construct("! (negations)", 1000),
}
COMPARISONS = Construct("comparisons", 1937)
for comparison in ("=", "!=", "<", ">", "<=", ">="):
    OPERATORS[comparison] = COMPARISONS
# Inside something that may be read either as an IRI or as less-than followed by an expression, every operator-like
# character counts as the costliest operator.
HIDDEN = OPERATORS["/"]
HIDDEN_CHARACTERS = re.compile(r"[/|^*+?!=<>&\-.,;()\[\]]")

TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
      |"(?:[^"\\\r\n]|\\.)*"|'(?:[^'\\\r\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<variable>[?$][\w\u00b7]+)
  | (?P<name>(?:[^\W\d_](?:[\w.\-\u00b7]*[\w\-\u00b7])?)?:(?:[\w\-:%]|\\.|\.(?=[\w\-:%\\.]*[\w\-:%\\]))*)
  | (?P<blank>_:[\w\-\u00b7]+(?:\.+[\w\-\u00b7]+)*)
  | (?P<number>\d+\.\d*[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?|\d*\.\d+|\d+(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<language>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<operator>\^\^|\|\||&&|!=|<=|>=|[|/^*+?!=<>\-])
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<separator>[.;,])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# Tokens after which a "<" inside parentheses could be less-than (the store reads it so in an expression).
OPERANDS = {"variable", "iri", "name", "string", "number", "blank", "word", "close"}
TERMS = {"variable", "iri", "name", "number", "string", "blank"}
# The clauses in which "(" always opens an expression, and DESCRIBE's, whose every term the store chains.
CLAUSES = {"select", "describe", "order", "group", "having"}


class Bracket(Enum):
    TOP = "top"
    GROUP = "group"  # { } of triple patterns, or a CONSTRUCT template
    BLANK_NODE = "blank node"  # [ ]: its triples join the group around it
    COLLECTION = "collection"  # ( ) of terms, or a path group: its items join the group around it
    VALUES = "values"  # the data of VALUES: terms only
    CALL = "call"  # ( ) after a function's name, FILTER or BIND
    PARENTHESES = "parentheses"  # ( ) grouping an expression


FRAMES = {
    Bracket.GROUP: NESTED_GROUPS,
    Bracket.BLANK_NODE: NESTED_BLANK_NODES,
    Bracket.COLLECTION: COLLECTION_ITEMS,
    Bracket.CALL: NESTED_CALLS,
    Bracket.PARENTHESES: NESTED_PARENTHESES,
}
EXPRESSIONS = (Bracket.CALL, Bracket.PARENTHESES)
# Brackets in which, after an operand, "<" may be less-than: the store reads it so in an expression, and ecomap cannot
# always tell an expression's parentheses from a collection's.
AMBIGUOUS = (*EXPRESSIONS, Bracket.COLLECTION)
# Brackets whose contents the store adds to the group they stand in, rather than nesting them.
JOINING = (Bracket.BLANK_NODE, Bracket.COLLECTION, Bracket.VALUES)


class QueryTooDeepError(ValueError):
    """A query the store cannot be trusted to read: too deep, or written so that it could be read two ways."""


@dataclass
class Path:
    """What lies on one path from the outside in: how many of each construct, and their shares added up."""

    counts: Counter[Construct] = field(default_factory=Counter)
    share: float = 0.0

    def add(self, construct: Construct, n: int = 1) -> None:
        self.counts[construct] += n
        self.share += construct.share * n

    def plus(self, other: Path) -> Path:
        return Path(self.counts + other.counts, self.share + other.share)


@dataclass
class Scope:
    """A bracket being read: what is chained directly inside it, the deepest bracket closed inside it so far, and
    the clause being read (SELECT's, the solution modifiers', DESCRIBE's) where that changes what a "(" is."""

    bracket: Bracket
    chain: Path = field(default_factory=Path)
    deepest: Path = field(default_factory=Path)
    clause: str = ""

    def frame(self) -> Path:
        frame = Path()
        if self.bracket in FRAMES:
            frame.add(FRAMES[self.bracket])
        return frame

    def total(self) -> Path:
        return self.frame().plus(self.chain).plus(self.deepest)


class Reckoning:
    """One pass over a query's tokens, keeping the brackets open around the current one."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.scopes = [Scope(Bracket.TOP)]
        # The share of the brackets open now, with what is chained in each: the depth reckoned can only grow from
        # there, so past 1 the rest need not be read.
        self.open_share = 0.0
        self.previous: tuple[str, str] = ("", "")  # the kind and text of the last token not space or a comment
        self.before: tuple[str, str] = ("", "")  # the one before that
        self.values_pending = False  # VALUES was read, and its data block has not begun
        self.complete = False

    def deepest(self) -> Path:
        """The deepest path; once it is past 1 (``complete`` false), the rest of the query is not read."""
        position = 0
        while position < len(self.query) and self.open_share < 1:
            match = TOKEN.match(self.query, position)
            assert match is not None  # the last alternative takes any character
            kind, text = match.lastgroup or "other", match.group()
            if kind not in ("space", "comment"):
                self._read(kind, text, position)
            position = match.end()
        self.complete = position >= len(self.query)
        while len(self.scopes) > 1:  # brackets left open (or the rest not read): count them as if closed
            self._close()
        return self.scopes[0].total()

    def _add(self, construct: Construct, n: int = 1) -> None:
        self.scopes[-1].chain.add(construct, n)
        self.open_share += construct.share * n

    def _read(self, kind: str, text: str, position: int) -> None:
        scope = self.scopes[-1]
        if kind == "iri" and scope.bracket in AMBIGUOUS and self.previous[0] in OPERANDS:
            if "'" in text:
                raise QueryTooDeepError(_two_readings(self.query, position))
            self._add(HIDDEN, len(HIDDEN_CHARACTERS.findall(text)))
        if self.values_pending and kind not in ("variable", "open", "close"):
            self.values_pending = False
        if kind == "word":
            self._word(text.lower(), scope)
        elif kind in ("iri", "name", "variable") and scope.clause == "describe":
            self._add(DESCRIBED)
        elif kind == "operator" and text in OPERATORS:
            self._add(OPERATORS[text])
        elif kind == "separator" and scope.bracket in (Bracket.GROUP, Bracket.BLANK_NODE, Bracket.COLLECTION):
            self._add(TRIPLES)
        elif kind == "open":
            self._open(text, scope)
        elif kind == "close" and len(self.scopes) > 1:
            self._close()
        elif kind in TERMS and scope.bracket is Bracket.COLLECTION:
            self._add(COLLECTION_ITEMS)
        self.before, self.previous = self.previous, (kind, text)

    def _word(self, word: str, scope: Scope) -> None:
        if word in KEYWORDS:
            self._add(KEYWORDS[word])
        if word == "values":
            self.values_pending = True
        elif word in CLAUSES:
            scope.clause = word
        elif word in ("where", "limit", "offset"):
            scope.clause = ""

    def _open(self, text: str, scope: Scope) -> None:
        bracket = self._bracket(text, scope)
        if bracket is Bracket.GROUP and scope.bracket is Bracket.GROUP:
            self._add(GROUPS)
        elif scope.bracket is Bracket.COLLECTION:
            self._add(COLLECTION_ITEMS)
        elif bracket in EXPRESSIONS and scope.clause in ("select", "group"):
            self._add(PROJECTED)
        if text == "{":
            self.values_pending, scope.clause = False, ""
        opened = Scope(bracket)
        self.scopes.append(opened)
        self.open_share += opened.frame().share

    def _bracket(self, text: str, scope: Scope) -> Bracket:
        """What a bracket opens, from where it stands: "(" is an expression unless it is surely a collection or a
        path."""
        if text == "{":
            return Bracket.VALUES if self.values_pending else Bracket.GROUP
        if text == "[":
            return Bracket.BLANK_NODE
        if self.values_pending or scope.bracket is Bracket.VALUES:
            return Bracket.VALUES
        kind, word = self.previous
        if scope.bracket in EXPRESSIONS or scope.clause in ("select", "order", "group", "having"):
            return Bracket.PARENTHESES if kind in ("operator", "open", "separator", "") else Bracket.CALL
        if scope.bracket is Bracket.COLLECTION:
            return Bracket.COLLECTION
        if kind == "word" and word.lower() != "a":
            return Bracket.CALL  # FILTER(, BIND(, a built-in function
        if kind in ("iri", "name") and self.before[0] == "word" and self.before[1].lower() == "filter":
            return Bracket.CALL  # FILTER ex:function(
        if scope.bracket is Bracket.TOP:
            return Bracket.PARENTHESES
        return Bracket.COLLECTION

    def _close(self) -> None:
        """Close the innermost bracket: what a blank node, a collection or VALUES holds joins the group around it;
        any other bracket is one path down from the one around it."""
        closed = self.scopes.pop()
        parent = self.scopes[-1]
        self.open_share -= closed.frame().share + closed.chain.share
        if closed.bracket in JOINING:
            joined = closed.frame().plus(closed.chain)
            parent.chain = parent.chain.plus(joined)
            self.open_share += joined.share
            parent.deepest = _deeper(parent.deepest, closed.deepest)
        else:
            parent.deepest = _deeper(parent.deepest, closed.total())


def _deeper(one: Path, other: Path) -> Path:
    return one if one.share >= other.share else other


def _two_readings(query: str, position: int) -> str:
    line = query.count("\n", 0, position) + 1
    column = position - (query.rfind("\n", 0, position) + 1) + 1
    return (
        f"Line {line}, column {column}: this '<' could start an IRI or be less-than, and what follows reads "
        "differently either way: put a space after '<' if it is less-than, or write the apostrophe in the IRI as %27."
    )


def reckon(query: str) -> Path:
    """The deepest path through ``query`` as the store would build it (read only until it is too deep)."""
    return Reckoning(query).deepest()


def check(query: str) -> None:
    """Refuse a query the store could not be trusted to read, saying what makes it too deep."""
    reckoning = Reckoning(query)
    deepest = reckoning.deepest()
    if deepest.share < 1:
        return
    more = "" if reckoning.complete else " or more"
    heaviest = sorted(deepest.counts.items(), key=lambda item: item[0].share * item[1], reverse=True)
    parts = ", ".join(
        f"{n}{more} {construct.name} (at most {construct.allowed})"
        for construct, n in heaviest[:3]
        if construct.share * n >= 0.1
    )
    raise QueryTooDeepError(
        "The query is nested too deeply for the store to read safely (a chain counts as nesting, as the store reads "
        f"each link inside the one before): {parts}, and fewer of each when combined. Split it into smaller queries."
    )
