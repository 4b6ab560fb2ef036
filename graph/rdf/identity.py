"""ecomap's URI policy, in one place.

Things are ``{base}/id/{class}/{key}``, the documents about them ``{base}/doc/{class}/{key}``, the named
graph holding a thing's record ``{base}/data/{class}/{key}``, and the ontology and concept schemes live under
``{base}/def/``. ``{class}`` is one of a fixed set of broad classes, never an organisation's kind (which can
change). Keys are minted once and stored in the IRI; they are never re-derived from a name, because
organisations get renamed. Places are keyed by GSS code, registry identifiers by their org-id.guide form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

import pyoxigraph as ox


class UriClass(StrEnum):
    """The broad, fixed classes that appear in ecomap's IRIs."""

    ORGANISATION = "organisation"
    ACTIVITY = "activity"
    RELATIONSHIP = "relationship"
    PERSON = "person"
    POST = "post"
    PLACE = "place"
    STRATEGY = "strategy"
    IDENTIFIER = "identifier"
    JUDGEMENT = "judgement"
    CHANGE = "change"
    DATASET = "dataset"
    SUBMISSION = "submission"
    REQUEST = "request"
    ACCOUNT = "account"


KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}\Z")
# A registry identifier in org-id.guide form: the register's prefix, a hyphen and the number (GB-COH-08030289).
ORG_ID = re.compile(r"^(?P<prefix>[A-Z]{2}-[A-Z]{2,6})-(?P<number>[A-Z0-9]{1,40})$")
# The same identifiers in SPARQL (with ecomap's prefixes): ?org_id for each registry number of ?org, from the
# number and the register that is its datatype.
ORG_IDS = """?org adms:identifier/skos:notation ?org_number .
    ?org_register skos:inScheme <def/register> ; skos:notation ?org_prefix FILTER(DATATYPE(?org_number) = ?org_register)
    BIND(CONCAT(STR(?org_prefix), "-", STR(?org_number)) AS ?org_id)"""


def registry_numbers_query(numbers: Iterable[tuple[str, str]], base: str) -> str | None:
    """The organisations on the map with any of these (register prefix, number) pairs, with their ``?org_id``.
    The numbers are given as the typed literals the map holds (``"08030289"^^<def/register/GB-COH>``), so the
    store finds them in its index: matching every org-id on the map grew with the map."""
    literals = sorted(
        {str(ox.Literal(number, datatype=ox.NamedNode(f"{base}/def/register/{prefix}"))) for prefix, number in numbers}
    )
    if not literals:
        return None
    return f"SELECT DISTINCT ?org ?org_id WHERE {{ VALUES ?org_number {{ {' '.join(literals)} }} {ORG_IDS} }}"


METADATA_GRAPH = "data/metadata"
DATASET = "id/dataset/ecomap"


def checked_class(uri_class: str, key: str) -> UriClass | None:
    """The class of a ``{class}/{key}`` address from outside (a path, a form), or ``None`` unless both are ones
    ecomap could have minted; only then may they go into an IRI or a query."""
    if uri_class not in UriClass.__members__.values() or not KEY_PATTERN.match(key):
        return None
    return UriClass(uri_class)


@dataclass(frozen=True)
class Ref:
    """A parsed ecomap IRI: which space it is in (id, doc or data), its class and its key."""

    space: str
    uri_class: UriClass
    key: str


@dataclass(frozen=True)
class Identity:
    """Builds and parses the IRIs of one store, whose base URI is fixed."""

    base: str

    def thing(self, uri_class: UriClass, key: str) -> str:
        return self._iri("id", uri_class, key)

    def document(self, uri_class: UriClass, key: str) -> str:
        return self._iri("doc", uri_class, key)

    def record_graph(self, uri_class: UriClass, key: str) -> str:
        return self._iri("data", uri_class, key)

    def resolve(self, relative: str) -> str:
        """The absolute IRI of a base-relative one, as the repository's files write them."""
        return f"{self.base}/{relative}"

    @property
    def metadata_graph(self) -> str:
        return self.resolve(METADATA_GRAPH)

    @property
    def dataset(self) -> str:
        return self.resolve(DATASET)

    def parse(self, iri: str) -> Ref | None:
        """Split one of this store's IRIs into space, class and key; ``None`` for any other IRI."""
        prefix = self.base + "/"
        if not iri.startswith(prefix):
            return None
        parts = iri[len(prefix) :].split("/")
        if len(parts) != 3 or parts[0] not in ("id", "doc", "data"):
            return None
        space, cls, key = parts
        checked = checked_class(cls, key)
        return Ref(space, checked, key) if checked else None

    def topic_of_record(self, graph_iri: str) -> str | None:
        """The thing a record graph ``/data/{class}/{key}`` is about: ``/id/{class}/{key}``."""
        ref = self.parse(graph_iri)
        if ref is None or ref.space != "data":
            return None
        return self.thing(ref.uri_class, ref.key)

    def _iri(self, space: str, uri_class: UriClass, key: str) -> str:
        if not KEY_PATTERN.match(key):
            raise ValueError(f"{key!r} is not a valid key: use letters, digits, '.', '_' and '-'")
        return f"{self.base}/{space}/{uri_class}/{key}"


def mint_key(label: str, taken: Callable[[str], bool]) -> str:
    """Mint a new, readable key from a label at the moment a thing is first recorded.

    The key is stored in the thing's IRI and kept even if the thing is renamed later. ``taken`` says
    whether a candidate key is already in use; a numeric suffix settles collisions.
    """
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_label.lower()).strip("-")[:80].strip("-") or "unnamed"
    candidate, n = slug, 1
    while taken(candidate):
        n += 1
        candidate = f"{slug}-{n}"
    return candidate
