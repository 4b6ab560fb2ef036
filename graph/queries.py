"""The named SPARQL queries in ``queries/``: one ``.rq`` file each, with a grlc-style ``#+`` header."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graph.catalogue import ROOT

QUERY_DIR = ROOT / "queries"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    text: str


def load_query(name: str, directory: Path = QUERY_DIR) -> NamedQuery:
    """Read ``queries/{name}.rq``; its ``#+ summary:`` line names it for people."""
    text = (directory / f"{name}.rq").read_text(encoding="utf-8")
    summary = next(
        (line.partition(":")[2].strip() for line in text.splitlines() if line.startswith("#+ summary:")),
        name,
    )
    return NamedQuery(name, summary, text)
