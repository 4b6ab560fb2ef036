"""The SPARQL 1.1 Service Description of ``/sparql``, for clients that ask it with an RDF ``Accept``."""

from __future__ import annotations

import pyoxigraph as ox

from graph.rdf.formats import in_memory

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RESULT_FORMAT_IRIS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV"]
GRAPH_FORMAT_IRIS = ["Turtle", "JSON-LD", "N-Triples", "RDF_XML"]


def service_description(base: str, endpoint: str, rdf_format: ox.RdfFormat) -> bytes:
    service = ox.BlankNode("service")
    dataset = ox.BlankNode("dataset")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    triples = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, ox.NamedNode("http://rdfs.org/ns/void#uriSpace"), ox.Literal(base + "/")),
        *(
            ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS + f))
            for f in RESULT_FORMAT_IRIS + GRAPH_FORMAT_IRIS
        ),
    ]
    return in_memory(ox.serialize(triples, format=rdf_format, prefixes={"sd": SD, "formats": FORMATS}))
