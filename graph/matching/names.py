"""A name-search index: which things' names hold a piece of text, without reading every name in the store.

SPARQL's ``CONTAINS`` over every label is a scan (3.8 s on disk at 10^5 organisations, bench/README.md). The
public data change only when a moderator approves something, so each worker builds this index once per data
version (``api.answers.KeptForVersion``) and list searches ask the store only for the things it found.

Every three-character piece of each lower-cased name points to the names that hold it; a search starts from
the rarest piece of the text it is given and checks each of those names, so it costs in proportion to the
names that could match, not to the map.
"""

from __future__ import annotations

import heapq
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable

# Every labelled thing, not only organisations and activities: asking for their types too made the read 8 times
# slower (26 s against 3.4 s at 10^5 organisations), and a list's own pattern keeps only its kind of thing.
# Blank nodes (a post held, say) are not listed, and could not be asked for by IRI.
NAMES_QUERY = """SELECT ?item (STR(?label) AS ?name) WHERE {
  ?item skos:prefLabel|skos:altLabel ?label FILTER(isIRI(?item))
}"""


# How many name pieces ``closest`` counts at most, once it has found enough names: about 10 ms of counting.
COUNTED = 200_000


def _pieces(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


class NameIndex:
    """Names lower-cased as SPARQL's ``LCASE`` does, each with the IRI (or key) of what it names. A name's pieces
    include its first and last characters with a space beside them, so that short words and word starts count
    when names are compared."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        self._names: list[str] = []
        self._owners: list[str] = []
        self._sizes = array("I")  # how many different pieces each name has
        pieces: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
        for owner, name in names:
            at = len(self._names)
            folded = name.lower()
            self._names.append(folded)
            self._owners.append(owner)
            own = _pieces(f" {folded} ")
            self._sizes.append(len(own))
            for piece in own:
                pieces[piece].append(at)
        self._pieces = dict(pieces)

    def holding(self, text: str, up_to: int | None = None) -> set[str]:
        """The IRIs of everything with a name that holds ``text``, in any case; once more than ``up_to`` are
        found, the search stops and gives those."""
        needle = text.lower()
        wanted = _pieces(needle)
        if wanted:
            rarest = min((self._pieces.get(piece, array("I")) for piece in wanted), key=len)
            candidates: Iterable[int] = rarest
        else:  # one or two characters: every name is a candidate
            candidates = range(len(self._names))
        found: set[str] = set()
        for at in candidates:
            if needle in self._names[at]:
                found.add(self._owners[at])
                if up_to is not None and len(found) > up_to:
                    break
        return found

    def closest(self, text: str, limit: int) -> list[str]:
        """Up to ``limit`` owners of the names most like ``text``, most first: the few worth comparing closely.
        Likeness is the share of pieces two names have in common (Dice's coefficient), so that a name holding
        the text and much more ranks below the text itself. Pieces are counted rarest first; the commonest
        ("ion", "the") are left out once ``COUNTED`` name pieces have been counted and ``limit`` names found,
        as they say little and cost the most."""
        wanted = _pieces(f" {text.lower()} ")
        postings = sorted((self._pieces[piece] for piece in wanted if piece in self._pieces), key=len)
        shared: Counter[int] = Counter()
        counted = 0
        for posting in postings:
            if counted + len(posting) > COUNTED and len(shared) >= limit:
                break
            shared.update(posting)
            counted += len(posting)
        ranked = heapq.nlargest(
            limit * 4, shared.items(), key=lambda item: 2 * item[1] / (len(wanted) + self._sizes[item[0]])
        )
        closest: dict[str, None] = {}
        for at, _ in ranked:
            closest.setdefault(self._owners[at])
            if len(closest) == limit:
                break
        return list(closest)
