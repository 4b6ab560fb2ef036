"""Redacting a person (UK GDPR): their record, and every statement naming them, leave the public store and
the staging store, history and submissions included.

A person's record holds the person and their posts; everything said about or pointing at any of those
nodes, in any graph, is deleted. The URI keeps a tombstone that says only that the record was removed at the
request of the person it described, so that links to it do not just break.
"""

from __future__ import annotations

from graph.contributions.history import PROV
from graph.rdf.query_text import iri

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
REASON = "Removed at the request of the person it described (UK GDPR)."


def subjects_query(record: str, in_history: bool) -> str:
    """The nodes the person's record describes: in the public record graph, or in any version of it."""
    if not in_history:
        return f"SELECT DISTINCT ?s WHERE {{ GRAPH {iri(record)} {{ ?s ?p ?o }} }}"
    return f'SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{record}/version/")) }}'


def purge_update(nodes: list[str], record: str, metadata_graph: str, eco: str) -> str:
    """One update that deletes every statement about or pointing at the nodes, in every graph, with whole
    judgements (reified statements) about them, the record's versions and their descriptions, and the contact
    addresses given with submissions of the record. The person's own requests (staging only, never public) are
    kept, for the moderator to answer and as the record that the request was carried out."""
    values = " ".join(f"{iri(n)}" for n in nodes)
    return f"""DELETE {{ GRAPH ?g {{ ?j ?p ?o }} }} WHERE {{
  VALUES ?node {{ {values} }} GRAPH ?g {{ ?j {iri(RDF + "subject")}|{iri(RDF + "object")} ?node ; ?p ?o }}
}} ;
DELETE {{ GRAPH {iri(metadata_graph)} {{ ?submission {iri(eco + "contactEmail")} ?email }} }} WHERE {{
  GRAPH {iri(metadata_graph)} {{ ?submission {iri(eco + "recordGraph")} {iri(record)} ; {iri(eco + "contactEmail")}
    ?email }}
}} ;
DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{
  VALUES ?node {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} FILTER(?s = ?node || ?o = ?node)
  FILTER NOT EXISTS {{ GRAPH ?g {{ ?s a {iri(eco + "PersonalDataRequest")} }} }}
}} ;
DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{record}/version/"))
}} ;
DELETE {{ GRAPH {iri(metadata_graph)} {{ ?version ?p ?o }} }} WHERE {{
  GRAPH {iri(metadata_graph)} {{ ?version {iri(PROV + "specializationOf")} {iri(record)} ; ?p ?o }}
}}"""
