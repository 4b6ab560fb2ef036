"""``ecomap stats``: the shape of the map at a glance, from the named queries in ``queries/``."""

from __future__ import annotations

from itertools import groupby

from graph.queries import load_query
from graph.rdf.results import table, text_table
from graph.store.interface import Store

VIEWS = {
    "stats-things": ["kind", "count"],
    "stats-organisations-by-kind": ["kind", "organisations"],
    "stats-by-nation": ["label", "organisations", "activities"],
}
SUPPORT_COLUMNS = ["label", "activities", "editorial", "organisations"]


async def statistics(store: Store) -> str:
    count, graphs = await store.count(), await store.graph_names()
    sections = [f"{count} statements in {len(graphs)} named graphs, base {store.base}\n"]
    for name, columns in VIEWS.items():
        query = load_query(name)
        sections.append(f"{query.summary}\n{table(await store.solutions(query.text), store.base, columns)}")
    support = load_query("stats-support-by-concept")
    rows = await store.solutions(support.text)
    for scheme, group in groupby(rows, key=lambda row: row["schemeLabel"].value):
        lines = [[row[c].value if c in row else "" for c in SUPPORT_COLUMNS] for row in group]
        sections.append(f"{support.summary}: {scheme}\n{text_table(SUPPORT_COLUMNS, lines)}")
    return "\n".join(sections)
