"""What ``ecomap init`` loads, and into which graph: ontology, vocabularies, shapes, places, sources, seed.

The repository's files are data, never code: each file, or group of files, becomes one named graph, so
that ``init`` can replace it whole and stay idempotent. Seed records are TriG files with one named graph
per record (``/data/{class}/{key}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# When the seed records were compiled from their sources: the creation time of every seed record, fixed
# so that running ``init`` twice gives the same graph.
SEED_COMPILED = datetime(2026, 11, 28, tzinfo=UTC)


@dataclass(frozen=True)
class Part:
    """A group of files loaded together into one named graph (its IRI relative to the base)."""

    graph: str
    files: tuple[Path, ...]


def reference_parts(root: Path = ROOT) -> list[Part]:
    """The ontology, vocabularies, shapes, places and sources, each with the graph it is loaded into."""
    vocabularies = sorted((root / "ontology" / "vocabularies").glob("*.ttl"))
    return [
        Part("def/ecosystem", (root / "ontology" / "ecosystem.ttl",)),
        Part("def/reused-terms", (root / "ontology" / "reused-terms.ttl",)),
        *(Part(f"def/{path.stem}", (path,)) for path in vocabularies),
        Part("def/shapes", tuple(sorted((root / "shapes").glob("*.ttl")))),
        Part("data/places", (root / "graph" / "reference" / "places.ttl",)),
        Part("data/sources", (root / "graph" / "reference" / "sources.ttl",)),
    ]


def seed_files(root: Path = ROOT) -> list[Path]:
    """The seed records: TriG files whose every statement is in a record graph."""
    return sorted((root / "graph" / "seed").glob("*.trig"))


def shape_files(root: Path = ROOT) -> list[Path]:
    return sorted((root / "shapes").glob("*.ttl"))


def context_files(root: Path = ROOT) -> list[Path]:
    """What validation needs besides the data: the ontology, the reused axioms, vocabularies and places."""
    return [file for part in reference_parts(root) if part.graph != "def/shapes" for file in part.files]
