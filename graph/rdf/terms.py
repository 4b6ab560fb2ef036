"""The terms of ecomap's statements: IRIs, blank nodes and literals.

pyoxigraph's types let a quoted triple (RDF-star) stand wherever a statement's subject or object may; ecomap never
writes or reads one. These helpers take a subject, predicate or object as the plain term it is, and raise
``TypeError`` for a quoted triple (or a term of the wrong kind, such as a literal as a subject) rather than pass it on.
"""

from __future__ import annotations

import pyoxigraph as ox

Subject = ox.NamedNode | ox.BlankNode
Term = ox.NamedNode | ox.BlankNode | ox.Literal


def as_term(term: Term | ox.Triple) -> Term:
    """``term``, which is not a quoted triple."""
    if isinstance(term, ox.Triple):
        raise TypeError(f"a quoted triple, where ecomap expects an IRI, a blank node or a literal: {term}")
    return term


def as_subject(term: Term | ox.Triple) -> Subject:
    """``term``, which is an IRI or a blank node (a statement's subject)."""
    if isinstance(term, ox.NamedNode | ox.BlankNode):
        return term
    raise TypeError(f"not an IRI or a blank node: {term}")


def as_iri(term: Term | ox.Triple) -> ox.NamedNode:
    """``term``, which is an IRI (a statement's predicate)."""
    if isinstance(term, ox.NamedNode):
        return term
    raise TypeError(f"not an IRI: {term}")


def value_of(term: Term | ox.Triple) -> str:
    """The term's string value: the IRI, the blank node's identifier, or the literal's lexical form."""
    return as_term(term).value
