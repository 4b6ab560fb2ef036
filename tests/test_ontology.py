"""The ontology: every own term defined for people, a proper header, and no undefined own terms in use."""

import re

import pytest
import rdflib
from conftest import one_pass_only
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from graph.catalogue import ROOT

pytestmark = one_pass_only

BASE = "http://127.0.0.1:8000/"
ECO = rdflib.Namespace(BASE + "def/ecosystem/")
ONTOLOGY = rdflib.URIRef(BASE + "def/ecosystem")
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDFS.Datatype)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "ecosystem.ttl", format="turtle", publicID=BASE)


def own_terms(graph: rdflib.Graph) -> set[rdflib.URIRef]:
    return {s for t in TERM_TYPES for s in graph.subjects(RDF.type, t) if str(s).startswith(str(ECO))}


def test_the_ontology_mints_terms(ontology):
    assert len(own_terms(ontology)) >= 25


def test_every_own_term_has_a_label_a_real_definition_and_is_defined_by_the_ontology(ontology):
    for term in own_terms(ontology):
        labels = list(ontology.objects(term, RDFS.label))
        comments = [str(c) for c in ontology.objects(term, RDFS.comment)]
        assert labels and all(label.language == "en" for label in labels), term
        assert comments and len(comments[0].split()) >= 8, f"{term} needs a real rdfs:comment definition"
        assert (term, RDFS.isDefinedBy, ONTOLOGY) in ontology, term


def test_the_header_carries_version_licence_dates_and_creator(ontology):
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(ONTOLOGY, OWL.versionIRI) is not None
    assert ontology.value(ONTOLOGY, OWL.versionInfo) is not None
    assert str(ontology.value(ONTOLOGY, DCTERMS.license)).startswith(
        "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3"
    )
    for prop in (DCTERMS.created, DCTERMS.modified, DCTERMS.creator):
        assert ontology.value(ONTOLOGY, prop) is not None, prop


def test_every_own_term_used_anywhere_is_defined(ontology):
    """A typo in a shape, a seed record or a query would otherwise mint an undefined term silently."""
    defined = {str(t)[len(str(ECO)) :] for t in own_terms(ontology)}
    files = [
        *ROOT.glob("shapes/*.ttl"),
        *ROOT.glob("graph/seed/*.trig"),
        *ROOT.glob("graph/reference/*.ttl"),
        *ROOT.glob("ontology/**/*.ttl"),
        *ROOT.glob("queries/*.rq"),
    ]
    used = {name for path in files for name in re.findall(r"\beco:([A-Za-z]+)", path.read_text(encoding="utf-8"))}
    assert used, "no eco: terms found in use"
    assert used <= defined, f"used but not defined: {sorted(used - defined)}"


def test_domains_and_ranges_name_defined_or_reused_classes(ontology):
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        for cls in [*ontology.objects(prop, RDFS.domain), *ontology.objects(prop, RDFS.range)]:
            if str(cls).startswith(str(ECO)):
                assert cls in own_terms(ontology), f"{prop} refers to undefined {cls}"
