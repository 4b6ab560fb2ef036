"""``ecomap stats``: the shape of the map at a glance, from the named queries in ``queries/``."""

from __future__ import annotations

import pyoxigraph as ox

from graph.identity import Identity
from graph.queries import load_query
from graph.results import table
from graph.store import Store

VIEWS = {
    "stats-things": ["kind", "count"],
    "stats-organisations-by-kind": ["kind", "organisations"],
    "stats-by-nation": ["label", "organisations", "activities"],
}
SCHEMES = ("m1-priority-area", "m1-principle", "nds-pillar", "nds-mission", "ai-strategy-pillar")


def statistics(store: Store) -> str:
    identity = Identity(store.base)
    sections = [f"{len(store)} statements in {len(store.graph_names())} named graphs, base {store.base}\n"]
    for name, columns in VIEWS.items():
        query = load_query(name)
        sections.append(f"{query.summary}\n{table(store.query(query.text), store.base, columns)}")
    support = load_query("stats-support-by-concept")
    for scheme in SCHEMES:
        scheme_iri = ox.NamedNode(identity.resolve(f"def/{scheme}"))
        title = next(iter(store.query("SELECT ?s ?t WHERE { ?s skos:prefLabel ?t }", bindings={"s": scheme_iri})), None)
        heading = title["t"].value if title else scheme
        result = store.query(support.text, bindings={"scheme": scheme_iri})
        columns = ["label", "activities", "editorial", "organisations"]
        sections.append(f"{support.summary}: {heading}\n{table(result, store.base, columns)}")
    return "\n".join(sections)
