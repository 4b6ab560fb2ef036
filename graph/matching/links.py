"""Links out of the map to other linked data and the web, kept honest.

Each target dataset is known by the property ecomap links to it with, its URI space and the exact form its
URIs take (from ``../shared/reference``: ONS statistical geography, Wikidata entities, reference.data.gov.uk,
Companies House, legislation.gov.uk, GOV.UK pages). ``check_forms`` checks every outbound link offline against
its target's form (and an ONS link against the place's own GSS code); ``graph.matching.link_check`` dereferences
them. The VoID linksets (``api/services/dataset_description.py``) count links per target from the same list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from graph.store.interface import Store


@dataclass(frozen=True)
class Target:
    name: str
    property: str  # as a prefixed name, for queries with ecomap's prefixes
    namespace: str
    form: re.Pattern[str]
    example: str


TARGETS = (
    Target(
        "ons-geography",
        "owl:sameAs",
        "http://statistics.data.gov.uk/id/statistical-geography/",
        re.compile(r"^http://statistics\.data\.gov\.uk/id/statistical-geography/[EKNSW][0-9]{8}$"),
        "http://statistics.data.gov.uk/id/statistical-geography/E92000001",
    ),
    Target(
        "wikidata",
        "skos:exactMatch",
        "http://www.wikidata.org/entity/",
        re.compile(r"^http://www\.wikidata\.org/entity/Q[1-9][0-9]*$"),
        "http://www.wikidata.org/entity/Q123885",
    ),
    Target(
        "reference-data-gov-uk",
        "skos:exactMatch",
        "http://reference.data.gov.uk/id/",
        re.compile(r"^http://reference\.data\.gov\.uk/id/(department|public-body)/[a-z0-9-]+$"),
        "http://reference.data.gov.uk/id/department/dcms",
    ),
    Target(
        "companies-house",
        "skos:exactMatch",
        "http://business.data.gov.uk/id/company/",
        re.compile(r"^http://business\.data\.gov\.uk/id/company/[A-Z0-9]{8}$"),
        "http://business.data.gov.uk/id/company/08030289",
    ),
    Target(
        "legislation",
        "rdfs:seeAlso",
        "http://www.legislation.gov.uk/id/",
        re.compile(r"^http://www\.legislation\.gov\.uk/id/[a-z]+/[0-9]{4}/[0-9]+(/[a-z0-9/-]+)?$"),
        "http://www.legislation.gov.uk/id/ukpga/2018/12",
    ),
    Target(
        "gov-uk",
        "foaf:page",
        "https://www.gov.uk/",
        re.compile(r"^https://www\.gov\.uk/[A-Za-z0-9/_.-]+$"),
        "https://www.gov.uk/government/publications/national-ai-strategy",
    ),
)
# Links to the web at large (an organisation's website, a page about it): any http(s) address with a host.
WEB_PROPERTIES = ("foaf:homepage", "foaf:page", "rdfs:seeAlso")
WEB = re.compile(r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]+)?(/[^\s<>\"{}|\\^`]*)?$")


def derived_links(subject: str, link: str) -> str:
    """A graph pattern binding ``link`` to each link derived from a registry number of ``subject`` by its
    register's URI template (``eco:uriTemplate``): links that are computed when asked for, never stored."""
    return f"""{subject} adms:identifier/skos:notation ?derived_number .
    ?derived_register eco:uriTemplate ?derived_template FILTER(DATATYPE(?derived_number) = ?derived_register)
    BIND(IRI(REPLACE(?derived_template, "\\\\{{number\\\\}}", ENCODE_FOR_URI(STR(?derived_number)))) AS {link})"""


LINKS_QUERY = f"""SELECT DISTINCT ?subject ?property ?link ?code WHERE {{
  {{
    VALUES ?property {{ owl:sameAs skos:exactMatch skos:closeMatch foaf:homepage foaf:page rdfs:seeAlso }}
    ?subject ?property ?link FILTER(isIRI(?link))
  }} UNION {{
    {derived_links("?subject", "?link")} BIND(skos:exactMatch AS ?property)
  }}
  OPTIONAL {{ ?subject skos:notation ?code FILTER(DATATYPE(?code) = eco:GSSCode) }}
}} ORDER BY ?subject ?property ?link"""


@dataclass(frozen=True)
class Link:
    subject: str
    property: str
    url: str
    code: str | None = None


@dataclass(frozen=True)
class Problem:
    link: Link
    message: str


async def outbound_links(store: Store, base: str) -> list[Link]:
    """Every link, by a linking property, to an IRI outside the map."""
    return [
        Link(
            row["subject"].value, row["property"].value, row["link"].value, row["code"].value if "code" in row else None
        )
        for row in await store.solutions(LINKS_QUERY)
        if not row["link"].value.startswith(base + "/")
    ]


def target_of(url: str) -> Target | None:
    return next((t for t in TARGETS if url.startswith(t.namespace)), None)


def check_forms(links: Iterable[Link]) -> list[Problem]:
    """Offline: each link has its target's form, an ONS link names the place's own GSS code, and a web link is
    an http(s) address with a host."""
    problems = []
    for link in links:
        target = target_of(link.url)
        if target is not None:
            if not target.form.match(link.url):
                problems.append(Problem(link, f"not of the form of {target.name} URIs, e.g. {target.example}"))
            elif target.name == "ons-geography" and link.code and not link.url.endswith("/" + link.code):
                problems.append(Problem(link, f"names another area than this place's GSS code {link.code}"))
        elif not WEB.match(link.url):
            problems.append(Problem(link, "not a web address with a host (http:// or https://)"))
    return problems
