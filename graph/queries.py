"""The named SPARQL queries in ``queries/``: one ``.rq`` file each, with a grlc-style ``#+`` header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from graph.catalogue import ROOT

QUERY_DIR = ROOT / "queries"


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    text: str

    def standalone(self, base: str, prefixes: dict[str, str]) -> str:
        """The query with the BASE and the PREFIX declarations it uses, to run on any SPARQL client."""
        used = [name for name in prefixes if re.search(rf"(?<![\w:<]){re.escape(name)}:", self.text)]
        declarations = "".join(f"PREFIX {name}: <{prefixes[name]}>\n" for name in sorted(used))
        return f"BASE <{base}/>\n{declarations}{self.text}"


def all_queries(directory: Path = QUERY_DIR) -> list[NamedQuery]:
    """Every named query, in name order."""
    return [load_query(path.stem, directory) for path in sorted(directory.glob("*.rq"))]


def load_query(name: str, directory: Path = QUERY_DIR) -> NamedQuery:
    """Read ``queries/{name}.rq``; its ``#+ summary:`` line names it for people."""
    text = (directory / f"{name}.rq").read_text(encoding="utf-8")
    summary = next(
        (line.partition(":")[2].strip() for line in text.splitlines() if line.startswith("#+ summary:")),
        name,
    )
    return NamedQuery(name, summary, text)
