"""Links out of the map to other linked data and the web, kept honest.

Each target dataset is known by the property ecomap links to it with, its URI space and the exact form its
URIs take (from ``../shared/reference``: ONS statistical geography, Wikidata entities, reference.data.gov.uk,
Companies House, legislation.gov.uk, GOV.UK pages). ``check_forms`` checks every outbound link offline against
its target's form (and an ONS link against the place's own GSS code); ``check_online`` dereferences them
politely (one request per host per interval, results cached) and reports the broken ones. The VoID linksets
(``api/services/dataset_description.py``) count links per target from the same list.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

import httpx

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


class Checked(TypedDict, total=False):
    """What a URL answered: its status, or the error that stopped the request; and when (``time.time()``)."""

    checked: float
    status: int
    error: str


class Cache:
    """What each URL answered when last checked, kept in a JSON file so that repeated checks stay polite."""

    def __init__(self, path: Path, max_age_s: float) -> None:
        self.path, self.max_age_s = path, max_age_s
        self.entries: dict[str, Checked] = json.loads(path.read_text()) if path.exists() else {}

    def fresh(self, url: str, now: float) -> Checked | None:
        entry = self.entries.get(url)
        return entry if entry and now - float(entry["checked"]) < self.max_age_s else None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.entries, indent=1, sort_keys=True))


def check_online(
    links: Iterable[Link],
    cache: Cache,
    *,
    interval_s: float = 1.0,
    timeout_s: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Problem]:
    """Dereference each distinct URL (HEAD, then GET where HEAD is refused), at most one request per host per
    ``interval_s``; a 4xx or 5xx answer or no answer is a problem. Answers are cached."""
    last_at: dict[str, float] = {}
    problems: list[Problem] = []
    by_url: dict[str, list[Link]] = {}
    for link in links:
        by_url.setdefault(link.url, []).append(link)
    headers = {"User-Agent": "ecomap-links-check (checks that the map's links still resolve)"}
    with httpx.Client(follow_redirects=True, timeout=timeout_s, headers=headers) as client:
        for url, found in by_url.items():
            entry = cache.fresh(url, time.time())
            if entry is None:
                host = urlsplit(url).netloc
                wait = last_at.get(host, -interval_s) + interval_s - clock()
                if wait > 0:
                    sleep(wait)
                last_at[host] = clock()
                entry = {"checked": time.time(), **_answer(client, url)}
                cache.entries[url] = entry
            if entry.get("error") or int(entry.get("status", 0)) >= 400:
                reason = entry.get("error") or f"answered {entry['status']}"
                problems.extend(Problem(link, f"broken: {reason}") for link in found)
    cache.save()
    return problems


def _answer(client: httpx.Client, url: str) -> Checked:
    try:
        response = client.head(url)
        if response.status_code in (405, 501):
            response = client.get(url)
        return {"status": response.status_code}
    except httpx.HTTPError as error:
        return {"error": f"{type(error).__name__}: {error}"[:200]}
