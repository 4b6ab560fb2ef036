"""The SPARQL that pages and lookups send and that is not a saved query (``queries/``). Relative IRIs resolve against
the base URI of the prologue the store client adds; every other IRI enters through ``graph.rdf.query_text``."""

from __future__ import annotations

from collections.abc import Iterable

from graph.rdf.query_text import iri, iris

SITEMAP = """SELECT DISTINCT ?thing WHERE {
  { ?thing ?p ?o FILTER(isIRI(?thing) && STRSTARTS(STR(?thing), STR(<id/>))) }
  UNION { ?thing a skos:ConceptScheme } UNION { ?thing a skos:Concept } UNION { ?thing a owl:Ontology }
} ORDER BY ?thing"""

# What a drop-down offers for an area (a concept of the framework's schemes, grouped by its scheme) and for a place (a
# nation or region, grouped by its kind): ``?value ?label ?group``, for the lists' filters and the saved queries' forms.
AREA_OPTIONS = """?value skos:inScheme ?scheme ; skos:prefLabel ?label . ?scheme skos:prefLabel ?group
     VALUES ?scheme { <def/m1-priority-area> <def/m1-principle> <def/nds-pillar> <def/nds-mission>
                      <def/ai-strategy-pillar> }"""
PLACE_OPTIONS = """?value dcterms:type ?type ; skos:prefLabel ?label FILTER(LANG(?label) = "en")
     VALUES ?type { <def/place-type/united-kingdom> <def/place-type/country> <def/place-type/english-region> }
     ?type skos:prefLabel ?group"""


OBJECT_PROPERTIES = """SELECT ?property ?domain ?range WHERE { GRAPH <def/ecosystem> {
  ?property a owl:ObjectProperty ; rdfs:domain ?domain ; rdfs:range ?range } }"""

STRATEGIES = """SELECT ?strategy ?label ?page ?part_of ?scheme ?scheme_label WHERE {
  ?strategy a eco:Strategy ; skos:prefLabel ?label FILTER(LANG(?label) = "en")
  OPTIONAL { ?strategy foaf:page ?page }
  OPTIONAL { ?strategy dcterms:isPartOf ?part_of }
  OPTIONAL { ?scheme a skos:ConceptScheme ; rdfs:isDefinedBy ?strategy ; skos:prefLabel ?scheme_label
             FILTER(LANG(?scheme_label) = "en") }
} ORDER BY ?label ?scheme_label"""


def english_labels(things: Iterable[str]) -> str:
    """``?thing ?label``: the English preferred label of each of ``things``."""
    return (
        f"SELECT ?thing ?label WHERE {{ VALUES ?thing {{ {iris(things)} }} "
        '?thing skos:prefLabel ?label FILTER(LANG(?label) = "en") }'
    )


def first_object(subject: str, predicate: str) -> str:
    """``?object``: the first (in order) that ``subject`` has for ``predicate``."""
    return f"SELECT ?object WHERE {{ {iri(subject)} {iri(predicate)} ?object }} ORDER BY ?object LIMIT 1"


def person_name(person: str) -> str:
    """``?name``: the name of ``person``, if it is a person on the map."""
    return f"SELECT ?name WHERE {{ {iri(person)} a foaf:Person ; foaf:name ?name }} LIMIT 1"


def graph_has_statements(graph: str) -> str:
    """``?s``: one subject of ``graph``, if it holds any statement."""
    return f"SELECT ?s WHERE {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} }} LIMIT 1"


def matching(item: str) -> str:
    """``?org``: the organisations stated to be, or match, ``item`` (a Wikidata item's IRI)."""
    return f"SELECT DISTINCT ?org WHERE {{ ?org skos:exactMatch|owl:sameAs {iri(item)} }}"
