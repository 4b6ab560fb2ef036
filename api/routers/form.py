"""A plain HTML form for one organisation and its activities, for contributors who write no RDF.

It needs no JavaScript. Its fields are the template's columns, so they come from the shapes too; a
submission from the form goes through the same conversion and validation as a spreadsheet, and problems
are shown beside the fields they concern.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from urllib.parse import parse_qsl

import pyoxigraph as ox
import rdflib
from fastapi import APIRouter, Request
from fastapi.responses import Response
from rdflib.namespace import RDF, SKOS

from api import access
from api.dependencies import AppServices, Services
from api.renderers.pages import render
from api.responses import FORM, HTML, PAGE, STORE, WRITES, answers, documented, fields
from api.services.corrections import organisation_of, published_record
from api.services.submission_template import template_columns
from api.services.submitting import EMAIL, convert_rows, process
from graph.contributions.correction import activities, carry_over, shown
from graph.contributions.submissions import ContributorRole
from graph.contributions.template import SEPARATOR, Column
from graph.contributions.validation import Validator
from graph.rdf.identity import UriClass

router = APIRouter(tags=["Contributions"])
ACTIVITY_BLOCKS = 3
HIDDEN = {"row", "record", "iri", "run_by"}
RDF_TYPE = str(RDF.type)


Choices = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (group, ((value, label), ...)); () for free text
PLACE_TYPE = "http://purl.org/dc/terms/type"
WITHIN = "http://www.opengis.net/ont/geosparql#sfWithin"
VALID_FROM, VALID_THROUGH = "https://schema.org/validFrom", "https://schema.org/validThrough"


@dataclass(frozen=True)
class Field:
    name: str
    column: Column
    hint: str
    choices: Choices
    values: list[str]
    errors: list[str]

    @property
    def label(self) -> str:
        """The column's title as a sentence starts: "Charity number (England and Wales)", not "(england and wales)"."""
        return self.column.title[:1].upper() + self.column.title[1:]


@dataclass(frozen=True)
class Group:
    """The fields the shapes put in one ``sh:PropertyGroup``, shown under its label."""

    label: str
    fields: list[Field]


@cache
def _choices(base: str, column: Column) -> Choices:
    """A field's choices, grouped: concepts by scheme, places by nation (GOV.UK's checkboxes grouped, not a list box
    of 35 entries that needs Ctrl-click). None for free text."""
    context = Validator.from_repository(base).context

    def label(node: rdflib.term.Node) -> str:
        names = [n for n in context.objects(node, SKOS.prefLabel) if getattr(n, "language", None) in ("en", None)]
        return str(names[0]) if names else str(node).rsplit("/", 1)[-1]

    if column.kind == "concept":
        by_scheme: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for value in column.values:
            concept = rdflib.URIRef(f"{base}/def/{column.scheme}/{value}" if column.scheme else f"{base}/def/{value}")
            in_scheme = None if column.scheme else context.value(concept, SKOS.inScheme)
            scheme = "" if in_scheme is None else label(in_scheme)
            by_scheme[scheme].append((value, label(concept)))
        return tuple(
            (scheme, tuple(sorted(options, key=lambda o: o[1].lower())))
            for scheme, options in sorted(by_scheme.items())
        )
    if column.kind == "place":
        return _places(context, label, rdflib.URIRef(f"{base}/def/place-type/country"))
    return ()


def _places(context: rdflib.Graph, label: Callable[[rdflib.term.Node], str], country: rdflib.URIRef) -> Choices:
    """The places in groups: the UK-wide ones, the four nations, then each nation's regions and areas by their kind;
    an area that has ended says when it was in force, as three are all called "North East"."""

    def nation(place: rdflib.term.Node | None) -> rdflib.term.Node | None:
        while place is not None and context.value(place, rdflib.URIRef(PLACE_TYPE)) != country:
            place = context.value(place, rdflib.URIRef(WITHIN))
        return place

    def named(place: rdflib.term.Node) -> str:
        began, ended = (context.value(place, rdflib.URIRef(p)) for p in (VALID_FROM, VALID_THROUGH))
        return f"{label(place)} ({str(began)[:4]} to {str(ended)[:4]})" if began and ended else label(place)

    groups: dict[tuple[str, str, str], list[tuple[str, str]]] = defaultdict(list)
    for place in context.subjects(RDF.type, rdflib.URIRef("http://purl.org/dc/terms/Location")):
        kind, home = context.value(place, rdflib.URIRef(PLACE_TYPE)), nation(place)
        notation = str(context.value(kind, SKOS.notation))  # E12 regions, E47 combined authority areas, E61 the GLA
        key = (
            ("", "", "")
            if home is None
            else ("nations", "", "")
            if kind == country
            else (str(home), notation, str(kind))
        )
        groups[key].append((str(place).rsplit("/", 1)[-1], named(place)))

    def heading(key: tuple[str, str, str], count: int) -> str:
        if key[2]:
            return f"{label(rdflib.URIRef(key[0]))}: {label(rdflib.URIRef(key[2]))}{'s' if count > 1 else ''}"
        return "The nations" if key[0] else "The United Kingdom as a whole"

    ordered = sorted(groups.items(), key=lambda g: (g[0][0] != "", g[0][0] != "nations", g[0]))
    return tuple(  # the UK-wide ones from the whole UK down, by code; the others by name
        (heading(key, len(options)), tuple(sorted(options, key=lambda o: o[0] if key == ("", "", "") else o[1])))
        for key, options in ordered
    )


def _form_columns(services: AppServices) -> list[Column]:
    """The template's columns that the form shows (not those it fills in itself)."""
    return [c for c in template_columns(services) if c.name not in HIDDEN]


def _fields(
    services: AppServices, prefix: str, record: str, values: dict[str, list[str]], errors: dict[str, list[str]]
) -> list[Group]:
    """A record's fields in the shapes' groups and order."""
    columns = sorted(
        (c for c in _form_columns(services) if record in c.records),
        key=lambda c: (c.placing(record).group_order, c.placing(record).order),
    )
    groups: list[Group] = []
    for column in columns:
        placing = column.placing(record)
        if not groups or groups[-1].label != placing.group:
            groups.append(Group(placing.group, []))
        groups[-1].fields.append(
            Field(
                f"{prefix}.{column.name}",
                column,
                placing.hint,
                _choices(services.settings.base_uri, column),
                values.get(column.name, []),
                errors.get(column.name, []),
            )
        )
    return groups


def _page(
    services: AppServices,
    request: Request,
    values: dict[str, dict[str, list[str]]],
    errors: dict[str, dict[str, list[str]]],
    general: list[str],
    iri: str,
    claim: bool,
    status: int,
    contact: str = "",
) -> Response:
    blocks = [
        (
            f"activity{n}",
            _fields(
                services, f"activity{n}", "activity", values.get(f"activity{n}", {}), errors.get(f"activity{n}", {})
            ),
            next(iter(values.get(f"activity{n}", {}).get("iri", [])), ""),
        )
        for n in range(1, ACTIVITY_BLOCKS + 1)
    ]
    organisation = _fields(
        services, "organisation", "organisation", values.get("organisation", {}), errors.get("organisation", {})
    )
    shown = {f.name for groups in (organisation, *(b[1] for b in blocks)) for g in groups for f in g.fields}
    unplaced = [  # a problem with no field of its own (e.g. a hidden column) goes to the summary
        message
        for block, by_column in errors.items()
        for column, messages in by_column.items()
        if f"{block}.{column}" not in shown
        for message in messages
    ]
    context = {
        "title": "Add or correct an organisation",
        "organisation": organisation,
        "activities": blocks,
        "general": [*general, *unplaced],
        "iri": iri,
        "claim": claim,
        "has_errors": bool(general or any(errors.values())),
        "contact": contact,
    }
    return render(request, "form.html", context, status=status)


@router.get(
    "/submit",
    summary="The form for one organisation and its activities (HTML, no JavaScript needed)",
    response_class=Response,
    responses=documented(PAGE, STORE),
)
async def form(request: Request, services: Services, start: str | None = None, claim: bool = False) -> Response:
    values: dict[str, dict[str, list[str]]] = {}
    iri = ""
    if start:
        ref = services.identity.parse(
            start if start.startswith("http") else services.identity.resolve(start.lstrip("/"))
        )
        iri = await organisation_of(services, ref) if ref is not None else ""
        values = await _prefill(services, iri) if iri else {}
    return _page(services, request, values, {}, [], iri, claim, 200)


def _canonical(services: AppServices, value: str, cls: UriClass) -> str | None:
    """A hidden field's IRI as ecomap writes it: empty if none was given, None if it is not one of ecomap's."""
    value = value.strip()
    if not value:
        return ""
    ref = services.identity.parse(value if value.startswith("http") else services.identity.resolve(value.lstrip("/")))
    return services.identity.thing(cls, ref.key) if ref is not None and ref.uri_class is cls else None


async def _prefill(services: AppServices, iri: str) -> dict[str, dict[str, list[str]]]:
    """The form's values from the organisation's public record, with its first activities."""
    published = await published_record(services, iri)
    columns = _form_columns(services)
    base = services.settings.base_uri
    values = {"organisation": shown(published, ox.NamedNode(iri), "organisation", columns, base).values}
    for n, activity in enumerate(activities(published)[:ACTIVITY_BLOCKS], start=1):
        values[f"activity{n}"] = shown(published, activity, "activity", columns, base).values | {
            "iri": [activity.value]
        }
    return values


async def _merged(
    services: AppServices, iri: str, blocks: dict[str, str], proposed: list[ox.Triple]
) -> list[ox.Triple]:
    """The proposed statements with what the form did not show of the published record
    (graph.contributions.correction)."""
    published = await published_record(services, iri)
    if not published:
        return proposed
    columns = _form_columns(services)
    base = services.settings.base_uri
    replaced = shown(published, ox.NamedNode(iri), "organisation", columns, base).statements
    for activity in blocks.values():
        replaced |= shown(published, ox.NamedNode(activity), "activity", columns, base).statements
    typed = {t.subject for t in published if t.predicate.value == RDF_TYPE}
    proposed = [t for t in proposed if not (t.predicate.value == RDF_TYPE and t.subject in typed)]  # keep their types
    return carry_over(published, replaced, proposed)


@router.post(
    "/submit",
    summary="Send the form",
    status_code=201,
    # The fields come from the shapes (GET /submit shows them all): a block's name, a dot, and the template's column.
    openapi_extra=fields(
        FORM,
        {
            "organisation.name": "Cymru Data Co-op",
            "organisation.kind_of_organisation": "charity-or-non-profit",
            "activity1.name": "Data skills evenings",
            "contact": "name@example.org",
            "accept_terms": "yes",
        },
        optional=("organisation.kind_of_organisation", "activity1.name", "contact"),
        more=True,
    ),
    response_class=Response,
    responses=documented(
        {
            201: answers("Sent: a page with the submission's status link", HTML),
            422: answers("The form again, with each problem beside its field", HTML),
        },
        WRITES,
        STORE,
    ),
)
async def send(request: Request, services: Services) -> Response:
    await access.counted(request, services, None)
    raw = (await access.limited_body(request, services.settings.submission_max_bytes)).decode("utf-8", "replace")
    fields = parse_qsl(raw, keep_blank_values=True)
    values: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, value in fields:
        block, _, column = name.partition(".")
        editable = column not in HIDDEN or (column == "iri" and block.startswith("activity"))
        if column and editable and value.strip():
            values[block][column].append(value.strip())
    form = dict(fields)
    claim = form.get("claim") == "1"
    contact = form.get("contact", "").strip() or None
    general = []
    iri = _canonical(services, form.get("iri", ""), UriClass.ORGANISATION)
    activity_iris = [
        _canonical(services, values[f"activity{n}"].get("iri", [""])[0], UriClass.ACTIVITY)
        for n in range(1, ACTIVITY_BLOCKS + 1)
    ]
    if iri is None or None in activity_iris:
        general.append(
            "The form was started from an address that ecomap did not give: open it again from the record's page."
        )
    iri = iri or ""
    blocks_without_name = [
        b for b in values if b.startswith("activity") and values[b].get("iri") and not values[b].get("name")
    ]
    if blocks_without_name:
        general.append(
            "An activity already on the map cannot be removed with this form: give its name back, and ask the"
            " editors to remove it (write to them in the organisation's description of the change)."
        )
    for n, activity in enumerate(activity_iris, start=1):
        values[f"activity{n}"]["iri"] = [activity] if activity else []
    if contact and not EMAIL.match(contact):
        general.append("The contact e-mail address is not an e-mail address.")
    if claim and not contact:
        general.append(
            "Give your work e-mail address, so that an editor can check that you speak for the organisation."
        )
    if form.get("accept_terms") != "yes":
        general.append("Tick the box to license what you send under the Open Government Licence v3.0.")
    rows, blocks = _rows(values, iri)
    conversion = await convert_rows(services, rows)
    errors: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for problem in conversion.problems:
        errors[blocks.get(int(problem["row"]), "organisation")][str(problem["column"])].append(str(problem["message"]))
    if errors or general:
        return _page(services, request, values, errors, general, iri, claim, 422, contact or "")
    edited = {block: values[block]["iri"][0] for block in blocks.values() if values[block].get("iri")}
    triples = await _merged(services, iri, edited, conversion.triples) if iri else conversion.triples
    outcome = await process(
        services,
        triples,
        account=None,
        contact=contact,
        store=True,
        role=ContributorRole.UNVERIFIED_ORGANISATION if claim else None,
    )
    if outcome.report is not None and not outcome.report.conforms:
        for finding in outcome.report.violations:
            row = conversion.origin.get(
                (finding.focus, finding.path or ""), (conversion.rows.get(finding.focus, 2), "")
            )[0]
            column = conversion.origin.get((finding.focus, finding.path or ""), (0, finding.field.replace(" ", "_")))[1]
            errors[blocks.get(row, "organisation")][column].append(finding.message)
        return _page(services, request, values, errors, general, iri, claim, 422, contact or "")
    if outcome.problems:
        return _page(services, request, values, errors, outcome.problems, iri, claim, 422, contact or "")
    status_url = f"/submissions/{outcome.status_key}"
    advice = sorted({f.message for f in outcome.report.warnings}) if outcome.report is not None else []
    context = {"title": "Thank you", "status_url": status_url, "records": outcome.records, "advice": advice}
    return render(request, "sent.html", context, status=201)


def _rows(values: dict[str, dict[str, list[str]]], iri: str) -> tuple[list[dict[str, str]], dict[int, str]]:
    """The form as template rows (the organisation first, then each activity that has a name), and which
    form block each spreadsheet row number stands for."""

    def row(block: str, record: str, **extra: str) -> dict[str, str]:
        return {
            "row": block,
            "record": record,
            **extra,
            **{k: SEPARATOR.join(v) for k, v in values.get(block, {}).items()},
        }

    rows = [row("organisation", "organisation", iri=iri)]
    blocks = {2: "organisation"}
    for n in range(1, ACTIVITY_BLOCKS + 1):
        block = f"activity{n}"
        if values.get(block, {}).get("name"):
            blocks[len(rows) + 2] = block
            new = not values[block].get("iri")  # a published activity keeps who runs it, as the form does not show it
            rows.append(row(block, "activity", **({"run_by": "organisation"} if new else {})))
    return rows, blocks
