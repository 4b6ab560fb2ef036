"""The dataset as a whole, for catalogues: its VoID and DCAT description, its downloads.

Downloads are generated once per data version (``graph.version``) and kept under
``ECOMAP_CACHE/downloads/v{version}/``, so they are
regenerated when the data changes and never served stale. A file is written under a temporary name, locked by
its writer, and renamed when whole, so a worker killed midway leaves no download, only a temporary file whose
lock died with it, which the next writer removes.
"""

from __future__ import annotations

import asyncio
import fcntl
import gzip
import hashlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyoxigraph as ox

from api.dependencies import AppServices
from api.services.page_queries import SITEMAP
from graph import failpoints
from graph.matching.links import TARGETS, derived_links
from graph.queries import load_query
from graph.rdf.namespaces import STANDARD
from graph.rdf.query_text import iri
from graph.rdf.results import spreadsheet_csv
from graph.store.threads import in_thread

VOID = STANDARD["void"]
DCAT = STANDARD["dcat"]
DCT = STANDARD["dcterms"]
RDF_TYPE = ox.NamedNode(STANDARD["rdf"] + "type")
VCARD = "http://www.w3.org/2006/vcard/ns#"
OGL = "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
IANA = "https://www.iana.org/assignments/media-types/"
# The EU's file-type vocabulary, which DCAT-AP names for dct:format.
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
FILE_TYPES = {"text/csv": "CSV", "text/turtle": "RDF_TURTLE", "application/n-quads": "RDF_N_QUADS"}
# The class DCAT-AP 3.0.0 expects of each property's values, stated in the description, as its shapes check them
# without inference (tests/specs/dcat-ap-3.0.0): catalogues that harvest the dataset validate it so.
RANGES = {
    DCAT + "accessURL": STANDARD["rdfs"] + "Resource",
    DCAT + "downloadURL": STANDARD["rdfs"] + "Resource",
    DCAT + "endpointURL": STANDARD["rdfs"] + "Resource",
    DCAT + "landingPage": STANDARD["foaf"] + "Document",
    DCAT + "mediaType": DCT + "MediaType",
    DCAT + "compressFormat": DCT + "MediaType",
    DCAT + "theme": STANDARD["skos"] + "Concept",
    DCAT + "contactPoint": VCARD + "Kind",
    DCT + "license": DCT + "LicenseDocument",
    DCT + "publisher": STANDARD["foaf"] + "Agent",
    DCT + "spatial": DCT + "Location",
    DCT + "conformsTo": DCT + "Standard",
    DCT + "format": DCT + "MediaTypeOrExtent",
}

# The external datasets ecomap links to: (link property, name, namespace of their URIs).


@dataclass(frozen=True)
class Download:
    name: str
    media_type: str
    title: str
    description: str | None = None


SPREADSHEET_SAFE = (
    "Safe to open in a spreadsheet: a cell that begins with =, +, -, @, a tab or a carriage return starts with an "
    "apostrophe, so that it is shown as text, never run as a formula (OWASP's guidance on CSV injection)."
)
DOWNLOADS = [
    Download(
        "ecomap.nq.gz",
        "application/n-quads",
        "Every statement, with its record graph (N-Quads, gzip)",
        "The whole public map, each statement in the named graph of its record, compressed with gzip.",
    ),
    Download(
        "ecomap.ttl.gz",
        "text/turtle",
        "Every statement, record graphs merged (Turtle, gzip)",
        "The whole public map in one graph, compressed with gzip.",
    ),
    Download("organisations.csv", "text/csv", "Organisations, one row each (CSV)", SPREADSHEET_SAFE),
    Download("activities.csv", "text/csv", "Activities, one row each (CSV)", SPREADSHEET_SAFE),
    Download(
        "relationships.csv", "text/csv", "Relationships between organisations, one row each (CSV)", SPREADSHEET_SAFE
    ),
]

SUMMARY = """
SELECT ?triples ?entities ?subjects ?objects ?latest ?earliest ?last WHERE {
  { SELECT (COUNT(*) AS ?triples) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } }
  { SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects) WHERE { ?s ?p ?o } }
  { SELECT (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), STR(<id/>))) } }
  OPTIONAL { SELECT (MAX(?m) AS ?latest) WHERE { GRAPH <data/metadata> { ?r a eco:Record ; dcterms:modified ?m } } }
  OPTIONAL { SELECT (MIN(STR(?d)) AS ?earliest) (MAX(STR(?d)) AS ?last) WHERE { ?a schema:startDate ?d } }
}"""
CLASSES = "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY ?class"
PROPERTIES = """
SELECT ?property (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?property ?o WHERE { ?s ?property ?o } }
GROUP BY ?property ORDER BY ?property"""
THEMES = """SELECT DISTINCT ?topic ?label WHERE {
  ?activity dcterms:subject ?topic . ?topic skos:inScheme <def/topic> ; skos:prefLabel ?label
} ORDER BY ?topic"""
FEATURES = ("Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N-Quads", "TriG")
KEYWORDS = ("data ecosystem", "National Data Strategy", "National AI Strategy", "data sharing", "organisations")
DESCRIPTION = (
    "Organisations of the UK data ecosystem, their activities and relationships, mapped against the National Data "
    "Strategy Mission 1 policy framework, the National Data Strategy and the National AI Strategy, each fact with "
    "its source."
)


_BUILDING: dict[Path, asyncio.Lock] = {}


async def cached(services: AppServices, name: str, produce: Callable[[Path], Awaitable[None]]) -> Path:
    """The download ``name`` for the current version, produced (atomically) if it is not there yet.

    One request in a worker builds a file while the others wait for it; folders of older versions go.
    """
    version = f"v{await services.versions.current()}"  # read before producing: the file is never older than it
    downloads = services.settings.cache_path / "downloads"
    folder = downloads / version
    path = folder / name
    async with _BUILDING.setdefault(path, asyncio.Lock()):
        if path.exists():
            return path
        folder.mkdir(parents=True, exist_ok=True)
        for old in downloads.iterdir():
            if old.is_dir() and old.name != version:
                shutil.rmtree(old, ignore_errors=True)
        _remove_abandoned(folder)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released by the system however this process ends
            await produce(Path(temporary))
            Path(temporary).replace(path)
        finally:
            Path(temporary).unlink(missing_ok=True)
            os.close(handle)
    return path


def _remove_abandoned(folder: Path) -> None:
    """Remove the temporary files whose writers died: no process holds their lock."""
    for temporary in folder.glob(".*"):
        try:
            handle = os.open(temporary, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # being written
        finally:
            os.close(handle)
        temporary.unlink(missing_ok=True)


async def produce(services: AppServices, name: str, target: Path) -> None:
    public = services.public
    if name == "ecomap.nq.gz":
        await _gzip(public.dump(), target)
    elif name == "ecomap.ttl.gz":
        answer = await public.answer("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "text/turtle")
        await _gzip(answer.body(), target)
    else:
        query = load_query("download-" + name.removesuffix(".csv"))
        answer = await public.answer(query.text, "application/sparql-results+json")
        results = b"".join([chunk async for chunk in answer.body()])
        written = await in_thread(partial(spreadsheet_csv, results))
        target.write_text(written, encoding="utf-8", newline="")


async def _gzip(chunks: AsyncIterator[bytes], target: Path) -> None:
    with gzip.open(target, "wb") as out:
        async for chunk in chunks:
            out.write(chunk)
            await failpoints.reach("download.part-written")


def _partial_date(lexical: str) -> ox.Literal:
    """A date at the precision the records give it: a year, a year and month, or a day."""
    kind = {4: "gYear", 7: "gYearMonth"}.get(len(lexical), "date")
    return ox.Literal(lexical, datatype=ox.NamedNode(STANDARD["xsd"] + kind))


async def description(services: AppServices) -> list[ox.Triple]:
    """VoID and DCAT for the dataset: size, classes, properties, links out, endpoint, downloads, licence. Every address
    is built from the base URI, never from the request's Host header, which anyone can set."""
    base = services.settings.base_uri
    dataset = ox.NamedNode(services.identity.dataset)
    subject, metadata = str(dataset), iri(services.identity.metadata_graph)
    triples = await services.public.triples(
        f"CONSTRUCT {{ {subject} ?p ?o }} WHERE {{ GRAPH {metadata} {{ {subject} ?p ?o }} }}"
    )

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.BlankNode | ox.Literal) -> None:
        triples.append(ox.Triple(s, ox.NamedNode(p), o))

    def integer(n: str) -> ox.Literal:
        return ox.Literal(n, datatype=ox.NamedNode(STANDARD["xsd"] + "integer"))

    [size] = await services.public.solutions(SUMMARY)
    add(dataset, DCT + "description", ox.Literal(DESCRIPTION, language="en"))
    add(dataset, VOID + "triples", integer(size["triples"].value))
    add(dataset, VOID + "entities", integer(size["entities"].value))
    add(dataset, VOID + "distinctSubjects", integer(size["subjects"].value))
    add(dataset, VOID + "distinctObjects", integer(size["objects"].value))
    for feature in FEATURES:  # the RDF formats every document and graph comes in
        add(dataset, VOID + "feature", ox.NamedNode("http://www.w3.org/ns/formats/" + feature))
    if "latest" in size:
        add(dataset, DCT + "modified", size["latest"])
    if "earliest" in size:
        period = ox.BlankNode("temporal")
        add(dataset, DCT + "temporal", period)
        add(period, RDF_TYPE.value, ox.NamedNode(DCT + "PeriodOfTime"))
        add(period, DCAT + "startDate", _partial_date(size["earliest"].value))
        add(period, DCAT + "endDate", _partial_date(size["last"].value))
    add(dataset, DCT + "spatial", ox.NamedNode(f"{base}/id/place/K02000001"))
    add(dataset, VOID + "vocabulary", ox.NamedNode(f"{base}/def/ecosystem"))
    add(dataset, DCAT + "themeTaxonomy", ox.NamedNode(f"{base}/def/topic"))
    for keyword in KEYWORDS:
        add(dataset, DCAT + "keyword", ox.Literal(keyword, language="en"))
    contact = ox.BlankNode("contact")
    add(dataset, DCAT + "contactPoint", contact)
    add(contact, RDF_TYPE.value, ox.NamedNode(VCARD + "Organization"))
    add(contact, VCARD + "fn", ox.Literal("The ecomap maintainers"))
    add(contact, VCARD + "hasURL", ox.NamedNode(base + "/"))
    add(contact, STANDARD["foaf"] + "name", ox.Literal("The ecomap maintainers"))
    add(dataset, DCT + "publisher", contact)
    add(dataset, DCAT + "landingPage", ox.NamedNode(base + "/"))

    endpoint = ox.NamedNode(base + "/sparql")
    add(dataset, VOID + "sparqlEndpoint", endpoint)
    service = ox.BlankNode("sparql")
    add(dataset, DCAT + "distribution", ox.BlankNode("sparql-distribution"))
    add(ox.BlankNode("sparql-distribution"), RDF_TYPE.value, ox.NamedNode(DCAT + "Distribution"))
    add(ox.BlankNode("sparql-distribution"), DCAT + "accessService", service)
    add(ox.BlankNode("sparql-distribution"), DCAT + "accessURL", endpoint)
    add(ox.BlankNode("sparql-distribution"), DCT + "license", ox.NamedNode(OGL))
    add(
        ox.BlankNode("sparql-distribution"),
        DCT + "description",
        ox.Literal("The map, queried through its SPARQL 1.1 endpoint.", language="en"),
    )
    add(service, RDF_TYPE.value, ox.NamedNode(DCAT + "DataService"))
    add(service, DCT + "title", ox.Literal("The map's SPARQL 1.1 endpoint", language="en"))
    add(service, DCAT + "endpointURL", endpoint)
    add(service, DCAT + "servesDataset", dataset)
    add(service, DCAT + "endpointDescription", endpoint)  # the SPARQL service description, asked for as RDF
    add(service, DCAT + "contactPoint", contact)
    add(service, DCT + "publisher", contact)
    for keyword in (*KEYWORDS, "SPARQL"):
        add(service, DCAT + "keyword", ox.Literal(keyword, language="en"))
    add(service, DCT + "conformsTo", ox.NamedNode("https://www.w3.org/TR/sparql11-protocol/"))
    for download in DOWNLOADS:
        url = ox.NamedNode(f"{base}/download/{download.name}")
        distribution = ox.BlankNode("download-" + download.name.replace(".", "-"))
        add(dataset, VOID + "dataDump", url)
        add(dataset, DCAT + "distribution", distribution)
        add(distribution, RDF_TYPE.value, ox.NamedNode(DCAT + "Distribution"))
        add(distribution, DCT + "title", ox.Literal(download.title, language="en"))
        if download.description:
            add(distribution, DCT + "description", ox.Literal(download.description, language="en"))
        add(distribution, DCAT + "downloadURL", url)
        add(distribution, DCAT + "accessURL", url)
        add(distribution, DCAT + "mediaType", ox.NamedNode(IANA + download.media_type))  # what is inside, for .gz
        add(distribution, DCT + "format", ox.NamedNode(FILE_TYPE + FILE_TYPES[download.media_type]))
        if download.name.endswith(".gz"):
            add(distribution, DCAT + "compressFormat", ox.NamedNode(IANA + "application/gzip"))
        add(distribution, DCT + "license", ox.NamedNode(OGL))

    # VoID's partitions: of each class, its members; of each property, its statements.
    for kind, count, partitioned, measure, query in (
        ("class", "classes", "classPartition", "entities", CLASSES),
        ("property", "properties", "propertyPartition", "triples", PROPERTIES),
    ):
        rows = await services.public.solutions(query)
        add(dataset, VOID + count, integer(str(len(rows))))
        for row in rows:
            partition = ox.BlankNode(f"{kind}-" + hashlib.sha1(row[kind].value.encode()).hexdigest()[:12])
            add(dataset, VOID + partitioned, partition)
            add(partition, VOID + kind, row[kind])
            add(partition, VOID + measure, integer(row["n"].value))
    for row in await services.public.solutions(THEMES):
        topic = ox.NamedNode(row["topic"].value)
        add(dataset, DCAT + "theme", topic)
        add(topic, STANDARD["skos"] + "prefLabel", row["label"])
    for row in await services.public.solutions(
        "SELECT ?o WHERE { ?o a/rdfs:subClassOf* org:Organization ; skos:prefLabel ?l } ORDER BY ?l LIMIT 3"
    ):
        add(dataset, VOID + "exampleResource", row["o"])

    values = " ".join(f'({t.property} "{t.name}" "{t.namespace}")' for t in TARGETS)
    links = await services.public.solutions(
        f"""SELECT ?property ?name ?namespace (COUNT(*) AS ?n) WHERE {{
          VALUES (?property ?name ?namespace) {{ {values} }}
          {{ ?s ?property ?o }} UNION {{ {derived_links("?s", "?o")} BIND(skos:exactMatch AS ?property) }}
          FILTER(isIRI(?o) && STRSTARTS(STR(?o), ?namespace))
        }} GROUP BY ?property ?name ?namespace"""
    )
    for row in links:
        linkset = ox.NamedNode(f"{services.identity.dataset}#linkset-{row['name'].value}")
        target = ox.NamedNode(f"{services.identity.dataset}#target-{row['name'].value}")
        add(dataset, VOID + "subset", linkset)
        add(linkset, RDF_TYPE.value, ox.NamedNode(VOID + "Linkset"))
        add(linkset, VOID + "subjectsTarget", dataset)
        add(linkset, VOID + "objectsTarget", target)
        add(linkset, VOID + "linkPredicate", row["property"])
        add(linkset, VOID + "triples", integer(row["n"].value))
        add(target, RDF_TYPE.value, ox.NamedNode(VOID + "Dataset"))
        add(target, VOID + "uriSpace", ox.Literal(row["namespace"].value))
    return triples + _typed(triples)


def _typed(triples: list[ox.Triple]) -> list[ox.Triple]:
    """The class each value of a DCAT property has (``RANGES``), stated."""
    stated = {(t.subject, t.object) for t in triples if t.predicate == RDF_TYPE}
    typed: list[ox.Triple] = []
    for t in triples:
        expected = RANGES.get(t.predicate.value)
        if expected is None or isinstance(t.object, ox.Literal):
            continue
        fact = ox.Triple(t.object, RDF_TYPE, ox.NamedNode(expected))
        if (t.object, fact.object) not in stated:
            stated.add((t.object, fact.object))
            typed.append(fact)
    return typed


async def sitemap_urls(services: AppServices) -> list[str]:
    """The address of every document on the map (a thing's document, not its URI), for search engines."""
    base = services.settings.base_uri
    urls = [base + "/"]
    for row in await services.public.solutions(SITEMAP):
        iri = row["thing"].value
        if "#" in iri or not iri.startswith(base + "/"):
            continue
        path = iri[len(base) :]
        urls.append(base + (path.replace("/id/", "/doc/", 1) if path.startswith("/id/") else path))
    return urls
