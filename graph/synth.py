"""Synthetic data for benchmarks: a realistic graph of N organisations that conforms to the shapes.

Each organisation is a record of its own with a kind, a base somewhere in the four nations, a website, a
source, sometimes a company number, and one to three activities that support concepts of the framework's
schemes in places of their own; some organisations are linked by relationship records. Everything is under
a base of its own (``…/synthetic``), every record is flagged ``eco:synthetic`` in the metadata, and the
output starts with that flag, so ``ecomap load`` can refuse it for any store but a synthetic one: synthetic
data can never reach the public store, its dumps or its VoID counts. Statements are written as they are
made, so memory stays flat whatever N is.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from graph.metadata import record_description
from graph.rdf.identity import Identity, UriClass
from graph.rdf.namespaces import STANDARD

SYNTHETIC_SUFFIX = "/synthetic"
MARKER = "def/ecosystem/synthetic"
# Places across the four nations, weighted roughly by how many organisations a UK-wide map would find there.
PLACES = (
    ["E12000001", "E12000002", "E12000003", "E12000004", "E12000005", "E12000006", "E12000008", "E12000009"]
    + ["E12000007"] * 4
    + ["E47000001", "E47000007", "W92000004", "W92000004", "S92000003", "S92000003", "N92000002", "K02000001"]
)
KINDS = ["company", "charity-or-non-profit", "academic-or-research-institution", "local-authority", "network-or-forum"]
ACTIVITY_KINDS = ["programme", "event", "publication-or-guidance", "project", "network-group", "service"]
CONCEPTS = [
    "m1-priority-area/establish-foundations",
    "m1-priority-area/support-infrastructure",
    "m1-principle/improve-knowledge",
    "m1-principle/reduce-costs",
    "m1-principle/address-risks",
    "m1-principle/improve-incentives",
    "nds-pillar/data-skills",
    "nds-pillar/responsible-data",
    "ai-strategy-pillar/governing-ai-effectively",
]
RELATIONSHIP_KINDS = ["supports", "funds", "partner-in", "collaborates-with", "member-of"]
WORDS = ["Data", "Open", "Civic", "Northern", "Digital", "Insight", "Trust", "Commons", "Analytics", "Skills"]


class SyntheticError(ValueError):
    """Synthetic data asked for where it must not go."""


def is_synthetic_base(base: str) -> bool:
    return base.endswith(SYNTHETIC_SUFFIX)


def marker(base: str) -> ox.Quad:
    """The statement every synthetic file starts with, and every synthetic store holds."""
    dataset = ox.NamedNode(f"{base}/id/dataset/ecomap")
    yes = ox.Literal("true", datatype=ox.NamedNode(STANDARD["xsd"] + "boolean"))
    return ox.Quad(dataset, ox.NamedNode(f"{base}/{MARKER}"), yes, ox.NamedNode(f"{base}/data/metadata"))


def synthetic_quads(organisations: int, seed: int, base: str) -> Iterator[ox.Quad]:
    if not is_synthetic_base(base):
        raise SyntheticError(f"synthetic data goes under a base ending in {SYNTHETIC_SUFFIX}, not {base}")
    rng = random.Random(seed)
    identity = Identity(base)
    created = datetime(2026, 1, 1, tzinfo=UTC)
    metadata = ox.NamedNode(identity.metadata_graph)
    eco, skos, dct, rdf = base + "/def/ecosystem/", STANDARD["skos"], STANDARD["dcterms"], STANDARD["rdf"]
    flag = ox.NamedNode(f"{base}/{MARKER}")
    yes = marker(base).object
    yield marker(base)

    def record(graph: str, triples: list[ox.Triple]) -> Iterator[ox.Quad]:
        name = ox.NamedNode(graph)
        yield from (ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
        described = record_description(
            identity, graph, triples, status="approved", contributor_role="editor", created=created
        )
        yield from (ox.Quad(t.subject, t.predicate, t.object, metadata) for t in described)
        yield ox.Quad(name, flag, yes, metadata)

    def iri(path: str) -> ox.NamedNode:
        return ox.NamedNode(f"{base}/{path}")

    for i in range(organisations):
        org = ox.NamedNode(identity.thing(UriClass.ORGANISATION, f"syn-{i}"))
        site = f"https://org{i}.synthetic.invalid/"
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i}"
        triples = [
            ox.Triple(org, ox.NamedNode(rdf + "type"), ox.NamedNode(STANDARD["org"] + "Organization")),
            ox.Triple(org, ox.NamedNode(skos + "prefLabel"), ox.Literal(name, language="en")),
            ox.Triple(org, ox.NamedNode(eco + "organisationKind"), iri(f"def/organisation-kind/{rng.choice(KINDS)}")),
            ox.Triple(org, ox.NamedNode(STANDARD["foaf"] + "homepage"), ox.NamedNode(site)),
            ox.Triple(org, ox.NamedNode(eco + "basedIn"), iri(f"id/place/{rng.choice(PLACES)}")),
            ox.Triple(org, ox.NamedNode(dct + "source"), ox.NamedNode(site + "about")),
        ]
        if rng.random() < 0.4:
            number = f"{90000000 + i % 10000000:08d}"
            identifier = ox.NamedNode(identity.thing(UriClass.IDENTIFIER, f"GB-COH-{number}"))
            triples += [
                ox.Triple(org, ox.NamedNode(STANDARD["adms"] + "identifier"), identifier),
                ox.Triple(identifier, ox.NamedNode(rdf + "type"), ox.NamedNode(STANDARD["adms"] + "Identifier")),
                ox.Triple(
                    identifier, ox.NamedNode(skos + "notation"), ox.Literal(number, datatype=iri("def/register/GB-COH"))
                ),
            ]
        for j in range(rng.randint(1, 3)):
            activity = ox.NamedNode(identity.thing(UriClass.ACTIVITY, f"syn-{i}-{j}"))
            triples += [
                ox.Triple(activity, ox.NamedNode(rdf + "type"), ox.NamedNode(eco + "Activity")),
                ox.Triple(
                    activity, ox.NamedNode(skos + "prefLabel"), ox.Literal(f"{name} programme {j}", language="en")
                ),
                ox.Triple(
                    activity, ox.NamedNode(eco + "activityKind"), iri(f"def/activity-kind/{rng.choice(ACTIVITY_KINDS)}")
                ),
                ox.Triple(activity, ox.NamedNode(eco + "runBy"), org),
                ox.Triple(activity, ox.NamedNode(eco + "supports"), iri(f"def/{rng.choice(CONCEPTS)}")),
                ox.Triple(activity, ox.NamedNode(dct + "spatial"), iri(f"id/place/{rng.choice(PLACES)}")),
                ox.Triple(activity, ox.NamedNode(dct + "source"), ox.NamedNode(f"{site}activity-{j}")),
            ]
        yield from record(identity.record_graph(UriClass.ORGANISATION, f"syn-{i}"), triples)
        for j in range(rng.choice((0, 0, 1, 2))) if i else ():
            other = ox.NamedNode(identity.thing(UriClass.ORGANISATION, f"syn-{rng.randrange(i)}"))
            key = f"syn-{i}-{j}"
            link = ox.NamedNode(identity.thing(UriClass.RELATIONSHIP, key))
            kind = iri(f"def/relationship-kind/{rng.choice(RELATIONSHIP_KINDS)}")
            triples = [
                ox.Triple(link, ox.NamedNode(rdf + "type"), ox.NamedNode(eco + "Relationship")),
                ox.Triple(link, ox.NamedNode(eco + "fromOrganisation"), org),
                ox.Triple(link, ox.NamedNode(eco + "relationshipKind"), kind),
                ox.Triple(link, ox.NamedNode(eco + "toOrganisation"), other),
                ox.Triple(link, ox.NamedNode(dct + "source"), ox.NamedNode(site + "partners")),
            ]
            yield from record(identity.record_graph(UriClass.RELATIONSHIP, key), triples)


def starts_synthetic(path: Path) -> bool:
    """Whether a file is ``ecomap synth`` output: it starts with the synthetic marker. Only regular files are
    looked at: reading the start of a pipe would take it from the loader."""
    if not path.is_file():
        return False
    try:
        with path.open("rb") as raw:
            return f"/{MARKER}>".encode() in raw.readline(4096)
    except OSError:
        return False


def write(organisations: int, seed: int, base: str, output: BinaryIO) -> int:
    """Write the synthetic graph as N-Quads, the marker first; returns the number of statements."""
    count = 0
    batch: list[ox.Quad] = []
    for quad in synthetic_quads(organisations, seed, base):
        batch.append(quad)
        if len(batch) >= 10_000:
            ox.serialize(batch, output, ox.RdfFormat.N_QUADS)
            count += len(batch)
            batch.clear()
    ox.serialize(batch, output, ox.RdfFormat.N_QUADS)
    return count + len(batch)
