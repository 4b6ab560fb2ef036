"""A name-search index: which things' names hold a piece of text, without reading every name in the store.

SPARQL's ``CONTAINS`` over every label is a scan (3.8 s on disk at 10^5 organisations, bench/README.md). The
public data change only when a moderator approves something, so each worker builds this index once per data
version (``api.answers.KeptForVersion``) and list searches ask the store only for the things it found.

Every three-character piece of each lower-cased name points to the names that hold it; a search starts from
the rarest piece of the text it is given and checks each of those names, so it costs in proportion to the
names that could match, not to the map.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable

# Every labelled thing, not only organisations and activities: asking for their types too made the read 8 times
# slower (26 s against 3.4 s at 10^5 organisations), and a list's own pattern keeps only its kind of thing.
NAMES_QUERY = "SELECT ?item (STR(?label) AS ?name) WHERE { ?item skos:prefLabel|skos:altLabel ?label }"


def _pieces(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


class NameIndex:
    """Names lower-cased as SPARQL's ``LCASE`` does, each with the IRI (or key) of what it names. A name's pieces
    include its first and last characters with a space beside them, so that short words and word starts count
    when names are compared."""

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        self._names: list[str] = []
        self._owners: list[str] = []
        pieces: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
        for owner, name in names:
            at = len(self._names)
            folded = name.lower()
            self._names.append(folded)
            self._owners.append(owner)
            for piece in _pieces(f" {folded} "):
                pieces[piece].append(at)
        self._pieces = dict(pieces)

    def __len__(self) -> int:
        return len(self._names)

    def holding(self, text: str) -> set[str]:
        """The IRIs of everything with a name that holds ``text``, in any case."""
        needle = text.lower()
        wanted = _pieces(needle)
        if wanted:
            rarest = min((self._pieces.get(piece, array("I")) for piece in wanted), key=len)
            candidates: Iterable[int] = rarest
        else:  # one or two characters: every name is a candidate
            candidates = range(len(self._names))
        return {self._owners[at] for at in candidates if needle in self._names[at]}

    def closest(self, text: str, limit: int) -> list[str]:
        """Up to ``limit`` owners of the names that share the most pieces with ``text``, most first: the few
        worth comparing closely. Pieces in more than one name in twenty ("ion", "the") are counted only while
        the rarer ones have not found ``limit`` names: they say little and cost the most."""
        postings = sorted(
            (self._pieces[piece] for piece in _pieces(f" {text.lower()} ") if piece in self._pieces), key=len
        )
        common = max(limit, len(self._names) // 20)
        shared: Counter[int] = Counter()
        for posting in postings:
            if len(posting) > common and len(shared) >= limit:
                break
            shared.update(posting)
        closest: dict[str, None] = {}
        for at, _ in shared.most_common():
            closest.setdefault(self._owners[at])
            if len(closest) == limit:
                break
        return list(closest)
