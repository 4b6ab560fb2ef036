"""``ecomap rebase OLD NEW``: move a whole store from one base URI to another, atomically.

Every IRI under ``OLD/`` (subjects, predicates, objects, graph names and datatypes) becomes the same path
under ``NEW/``, and so does the dataset's recorded URI space. The rewritten store is built as a new
generation beside the old one and switched to only when complete.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from graph.metadata import VOID
from graph.rdf.namespaces import prefixes
from graph.settings import normalise_base_uri
from graph.store.embedded import EmbeddedStore
from graph.store.interface import StoreError
from graph.version import new_version, without_version

URI_SPACE = ox.NamedNode(VOID + "uriSpace")


@dataclass(frozen=True)
class _Rebaser:
    old: str
    new: str

    def iri(self, node: ox.NamedNode) -> ox.NamedNode:
        return ox.NamedNode(self.new + node.value[len(self.old) :]) if node.value.startswith(self.old) else node

    def subject(self, subject: ox.NamedNode | ox.BlankNode | ox.Triple) -> ox.NamedNode | ox.BlankNode | ox.Triple:
        """Rebase an IRI; a blank node stays as it is."""
        return self.iri(subject) if isinstance(subject, ox.NamedNode) else subject

    def term(
        self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, *, uri_space: bool = False
    ) -> ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple:
        """Rebase an IRI, or a literal's datatype; a literal's value changes only if it is the URI space."""
        if isinstance(term, ox.NamedNode):
            return self.iri(term)
        if isinstance(term, ox.Literal) and not term.language:
            value = self.new if uri_space and term.value == self.old else term.value
            return ox.Literal(value, datatype=self.iri(term.datatype))
        return term

    def quad(self, quad: ox.Quad) -> ox.Quad:
        graph = quad.graph_name
        return ox.Quad(
            self.subject(quad.subject),
            self.iri(quad.predicate),
            self.term(quad.object, uri_space=quad.predicate == URI_SPACE),
            self.iri(graph) if isinstance(graph, ox.NamedNode) else graph,
        )


def rebase(store: EmbeddedStore, recorded: str | None, old: str, new: str) -> int:
    """Rewrite ``store`` (created with base ``recorded``) from base ``old`` to base ``new``; returns the number of
    statements rewritten."""
    old, new = normalise_base_uri(old), normalise_base_uri(new)
    if recorded != old:
        raise StoreError(f"the store's base URI is {recorded}, not {old}: nothing was changed")
    rebaser = _Rebaser(old + "/", new + "/")
    rebased = [rebaser.quad(q) for q in store.quads()]
    # A new data version where there was one (the public store): answers kept for the old base must not be served
    # for the new one (api/answers.py keeps them by version).
    quads = without_version(rebased, new)
    if len(quads) < len(rebased):
        quads.append(new_version(new))
    store.replace_all(iter(quads), new, prefixes(new))
    return len(quads)
