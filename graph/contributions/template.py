"""The spreadsheet template for contributors, generated from the SHACL shapes: its columns, their CSVW
description, and the rows of a filled-in sheet turned into statements.

Because the columns come from the shapes, the template cannot ask for less or other than validation
demands: a new property shape with an ``sh:name`` becomes a new column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypedDict

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDFS, SH, SKOS

from graph.rdf.identity import KEY_PATTERN, ORG_ID, Identity, UriClass, mint_key
from graph.rdf.namespaces import STANDARD
from graph.rdf.untrusted import unkeepable_character

RECORDS = {"organisation": "OrganisationShape", "activity": "ActivityShape", "relationship": "RelationshipShape"}
RECORD_TYPES = {
    "organisation": STANDARD["org"] + "Organization",
    "activity": "def/ecosystem/Activity",
    "relationship": "def/ecosystem/Relationship",
}
REGISTER_COLUMNS = {"company-number": "GB-COH", "charity-number": "GB-CHC", "scottish-charity-number": "GB-SC"}
REFERENCE_CLASSES = {STANDARD["org"] + "Organization", STANDARD["foaf"] + "Agent"}
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
SEPARATOR = ";"


@dataclass(frozen=True)
class Placing:
    """Where a column sits among one kind of record's fields, and the hint it gives there: read off the shapes'
    ``sh:group`` (a ``sh:PropertyGroup`` with its label and ``sh:order``), ``sh:order`` and ``sh:description``, so
    that the form and the template ask in the order a person thinks in (name, kind, what it does, website, where)."""

    group: str
    group_order: float
    order: float
    hint: str


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    description: str
    records: tuple[str, ...]
    path: str
    kind: str  # name, welsh-name, text, concept, place, reference, activity, url, date, identifier, row, record, iri
    values: tuple[str, ...] = ()
    scheme: str | None = None  # a concept column's one scheme, e.g. organisation-kind; else values name theirs
    register: str | None = None
    required: bool = False
    multiple: bool = False
    placings: tuple[tuple[str, Placing], ...] = ()  # (record, placing) for each record the column is in

    def placing(self, record: str) -> Placing:
        return dict(self.placings)[record]

    @property
    def position(self) -> tuple[int, float, float]:
        """The column's place in the template: its first record's fields, by group, then by order in the group."""
        first = self.placing(self.records[0]) if self.placings else Placing("", 0, 0, "")
        return RECORDS_ORDER[self.records[0]], first.group_order, first.order


FIXED = [
    Column(
        "row",
        "row",
        "Your own id for this row, so that other rows can refer to it, e.g. org1.",
        ("organisation", "activity", "relationship"),
        "",
        "row",
        required=True,
    ),
    Column(
        "record",
        "record",
        "What the row describes: organisation, activity or relationship.",
        ("organisation", "activity", "relationship"),
        "",
        "record",
        values=tuple(RECORDS),
        required=True,
    ),
    Column(
        "iri",
        "ecomap IRI",
        "To correct a record already on the map, its IRI (e.g. id/organisation/odi); leave empty for a new one.",
        ("organisation", "activity", "relationship"),
        "",
        "iri",
    ),
]


def columns(shapes: rdflib.Graph, context: rdflib.Graph, base: str) -> list[Column]:
    """The template's columns, read off the record shapes."""
    shp = rdflib.Namespace(f"{base}/def/shapes/")
    found: dict[str, Column] = {}
    for record, shape in RECORDS.items():
        by_path: dict[rdflib.URIRef, list[rdflib.term.Node]] = {}
        for prop in shapes.objects(shp[shape], SH.property):
            path = shapes.value(prop, SH.path)
            if isinstance(path, rdflib.URIRef) and shapes.value(prop, SH.name) is not None:
                by_path.setdefault(path, []).append(prop)
        for path, props in by_path.items():
            for column in _columns_for(shapes, context, shp, record, path, props):
                if column.name in found:
                    earlier = found[column.name]
                    column = replace(
                        earlier,
                        records=(*earlier.records, record),
                        placings=(*earlier.placings, *column.placings),
                        description=_described(earlier, column),
                    )
                found[column.name] = column
    return FIXED + sorted(found.values(), key=lambda c: c.position)


def _described(earlier: Column, column: Column) -> str:
    """The template's one description of a column that two kinds of record share, each with its own hint."""
    if column.description == earlier.description:
        return earlier.description
    hints = {record: placing.hint for record, placing in (*earlier.placings, *column.placings)}
    return " ".join(
        f"For {'an' if record[0] in 'aeiou' else 'a'} {record}: {hint[:1].lower()}{hint[1:]}"
        for record, hint in hints.items()
    )


def _placing(shapes: rdflib.Graph, props: list, title: str) -> Placing:
    """A field's group, order and hint from its property shapes; every field the template shows has them (a test
    of the shapes checks it), so a shape without them is refused here rather than put at random."""
    group = next((g for p in props for g in shapes.objects(p, SH.group)), None)
    order = min((float(str(o)) for p in props for o in shapes.objects(p, SH.order)), default=None)
    hint = next((str(d) for p in props for d in shapes.objects(p, SH.description)), None)
    if group is None or order is None or hint is None:
        raise ValueError(f"The shape of the field {title!r} needs its sh:group, sh:order and sh:description.")
    return Placing(str(shapes.value(group, RDFS.label)), float(str(shapes.value(group, SH.order) or 0)), order, hint)


RECORDS_ORDER = {name: i for i, name in enumerate(RECORDS)}


class _Common(TypedDict):
    """What every column read off one property's shapes shares, whatever its kind."""

    description: str
    records: tuple[str, ...]
    path: str
    required: bool
    multiple: bool
    placings: tuple[tuple[str, Placing], ...]


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def _columns_for(
    shapes: rdflib.Graph, context: rdflib.Graph, shp: rdflib.Namespace, record: str, path: rdflib.URIRef, props: list
) -> list[Column]:
    title = str(shapes.value(props[0], SH.name))
    placing = _placing(shapes, props, title) if path != rdflib.URIRef(STANDARD["adms"] + "identifier") else None
    description = placing.hint if placing else title
    required = any(
        int(shapes.value(p, SH.minCount) or 0) >= 1 and shapes.value(p, SH.severity) == SH.Violation for p in props
    )
    multiple = not any(int(shapes.value(p, SH.maxCount) or 0) == 1 for p in props)
    common: _Common = {
        "description": description,
        "records": (record,),
        "path": str(path),
        "required": required,
        "multiple": multiple,
        "placings": ((record, placing),) if placing else (),
    }
    if path == SKOS.prefLabel and placing:
        welsh = "Its name in Welsh, if it has one."
        return [
            Column(
                "name",
                "name",
                description,
                (record,),
                str(path),
                "name",
                required=required,
                placings=((record, placing),),
            ),
            Column(
                "welsh_name",
                "name in Welsh",
                welsh,
                (record,),
                str(path),
                "welsh-name",
                placings=((record, replace(placing, order=placing.order + 0.5, hint=welsh)),),
            ),
        ]
    if path == rdflib.URIRef(STANDARD["adms"] + "identifier"):
        identifier_shape = shp.IdentifierShape
        result = []
        for prop in shapes.objects(identifier_shape, SH.property):
            local = str(prop).rsplit("/", 1)[-1]
            if local in REGISTER_COLUMNS:
                name = str(shapes.value(prop, SH.name))
                placed = _placing(shapes, [prop], name)
                result.append(
                    Column(
                        _slug(name),
                        name,
                        placed.hint,
                        (record,),
                        str(path),
                        "identifier",
                        register=REGISTER_COLUMNS[local],
                        placings=((record, placed),),
                    )
                )
        return result
    schemes = _schemes(shapes, props)
    if schemes:
        values = sorted(
            str(c)[len(str(s)) + 1 :] if len(schemes) == 1 else str(c).split("/def/", 1)[1]
            for s in schemes
            for c in context.subjects(SKOS.inScheme, s)
        )
        scheme = str(schemes[0]).split("/def/", 1)[1] if len(schemes) == 1 else None
        return [Column(_slug(title), title, kind="concept", values=tuple(values), scheme=scheme, **common)]
    classes = {c for p in props for c in shapes.objects(p, SH["class"])}
    if rdflib.URIRef(STANDARD["dcterms"] + "Location") in classes:
        return [Column(_slug(title), title, kind="place", **common)]
    if {str(c) for c in classes} & REFERENCE_CLASSES:
        return [Column(_slug(title), title, kind="reference", **common)]
    if any(str(c).endswith("/def/ecosystem/Activity") for c in classes):
        return [Column(_slug(title), title, kind="activity", **common)]
    if any(shapes.value(p, SH["or"]) is not None and "date" in title for p in props):
        return [Column(_slug(title), title, kind="date", **common)]
    anywhere = list(shapes.subjects(SH.path, path))  # e.g. the shared shape that checks every source's form
    if any(shapes.value(p, SH.nodeKind) == SH.IRI for p in [*props, *anywhere]):
        return [Column(_slug(title), title, kind="url", **common)]
    return [Column(_slug(title), title, kind="text", **(common | {"multiple": False}))]  # prose may hold ";"


def _schemes(shapes: rdflib.Graph, props: list) -> list[rdflib.term.Node]:
    """The concept schemes a property's values must belong to (through sh:node, or sh:or of sh:node)."""
    helpers = [h for p in props for h in shapes.objects(p, SH.node)]
    for p in props:
        alternatives = shapes.value(p, SH["or"])
        if alternatives is not None:
            helpers += [
                h
                for member in rdflib.collection.Collection(shapes, alternatives)
                for h in shapes.objects(member, SH.node)
            ]
    return [v for h in helpers for inner in shapes.objects(h, SH.property) for v in shapes.objects(inner, SH.hasValue)]


class RowProblem(TypedDict):
    """A problem with a row itself (not one validation finds): its number, the column and what to do."""

    row: int
    column: str
    message: str


@dataclass
class Conversion:
    """Statements from rows, where each came from (row and column), and problems with the rows themselves."""

    triples: list[ox.Triple] = field(default_factory=list)
    origin: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # the row each subject came from
    problems: list[RowProblem] = field(default_factory=list)

    def cell_of(self, focus: str, path: str | None, field_name: str) -> tuple[int | None, str | None]:
        """The row and column a validation finding about ``focus`` and ``path`` points at in the spreadsheet."""
        cell = self.origin.get((focus, path or ""))
        if cell:
            return cell
        return self.rows.get(focus), field_name.replace(" ", "_") if field_name else None


def convert(
    rows: list[dict[str, str]],
    cols: Sequence[Column],
    identity: Identity,
    *,
    existing_by_number: Mapping[str, str],
    taken: Callable[[str], bool],
) -> Conversion:
    """Turn the rows of a filled-in template into statements. Rows are numbered as a spreadsheet shows them
    (the header is row 1); references between rows use the ``row`` column."""
    out = Conversion()
    by_name = {c.name: c for c in cols}
    known = {name for name in (rows[0] if rows else {})}
    for unknown in sorted(known - set(by_name)):
        out.problems.append(
            {"row": 1, "column": unknown, "message": f"There is no column called {unknown!r} in the template."}
        )
    subjects: dict[str, ox.NamedNode] = {}
    minted: set[str] = set()
    names = row_names(rows, existing_by_number)
    for number, row in enumerate(rows, start=2):
        record = row.get("record", "").strip().lower()
        if record not in RECORDS:
            out.problems.append(
                {
                    "row": number,
                    "column": "record",
                    "message": "Say what the row describes: organisation, activity or relationship.",
                }
            )
            continue
        subject = _subject(row, record, identity, existing_by_number, taken, minted, out, number, names)
        if subject is not None:
            subjects[row.get("row", "").strip() or f"row {number}"] = subject
            out.rows[subject.value] = number
    for number, row in enumerate(rows, start=2):
        record = row.get("record", "").strip().lower()
        subject = subjects.get(row.get("row", "").strip() or f"row {number}")
        if record not in RECORDS or subject is None:
            continue
        kind = RECORD_TYPES[record]
        out.triples.append(
            ox.Triple(
                subject,
                ox.NamedNode(STANDARD["rdf"] + "type"),
                ox.NamedNode(kind if kind.startswith("http") else identity.resolve(kind)),
            )
        )
        for name, raw in row.items():
            column = by_name.get(name)
            value = (raw or "").strip()
            if (unkeepable := unkeepable_character(value)) is not None:
                out.problems.append({"row": number, "column": name, "message": f"This cell {unkeepable}"})
                continue
            if column is None or not value or column.kind in ("row", "record", "iri") or record not in column.records:
                continue
            for part in [v.strip() for v in value.split(SEPARATOR)] if column.multiple else [value]:
                if part:
                    _cell(out, identity, subject, column, part, subjects, existing_by_number, number)
    return out


def _subject(
    row: Mapping[str, str],
    record: str,
    identity: Identity,
    existing_by_number: Mapping[str, str],
    taken: Callable[[str], bool],
    minted: set[str],
    out: Conversion,
    number: int,
    names: Mapping[str, str],
) -> ox.NamedNode | None:
    given = row.get("iri", "").strip()
    if given:
        ref = identity.parse(given if given.startswith("http") else identity.resolve(given.lstrip("/")))
        if ref is None or ref.uri_class != UriClass(record):
            out.problems.append(
                {
                    "row": number,
                    "column": "iri",
                    "message": f"Give an ecomap IRI for a {record}, such as id/{record}/its-key.",
                }
            )
            return None
        return ox.NamedNode(identity.thing(ref.uri_class, ref.key))
    for name, register in REGISTER_COLUMNS.items():
        number_given = _registry_number(row.get(name.replace("-", "_"), ""), register)
        if number_given and f"{register}-{number_given}" in existing_by_number:
            return ox.NamedNode(existing_by_number[f"{register}-{number_given}"])
    label = _label(row, record, names) or f"{record}-{number}"
    key = mint_key(label, lambda k: k in minted or taken(identity.thing(UriClass(record), k)))
    minted.add(key)
    return ox.NamedNode(identity.thing(UriClass(record), key))


def _label(row: Mapping[str, str], record: str, names: Mapping[str, str]) -> str:
    """What a new key is made from: the name; for a relationship, its parties and kind, never the row id,
    which is local to one spreadsheet and would collide with another's."""
    if record != "relationship":
        return row.get("name", "").strip() or row.get("row", "").strip()
    parties = []
    for column in ("from_organisation", "kind_of_relationship", "to_organisation"):
        value = row.get(column, "").strip()
        parties.append(names.get(value) or value.rstrip("/").rsplit("/", 1)[-1])
    return " ".join(p for p in parties if p)


def _registry_number(value: str, register: str) -> str:
    """The number as the register writes it: Companies House numbers are zero-padded to 8 characters."""
    value = value.strip().upper().replace(" ", "")
    if register == "GB-COH" and value.isascii() and value.isdigit() and len(value) < 8:
        return value.zfill(8)
    return value


def _cell(
    out: Conversion,
    identity: Identity,
    subject: ox.NamedNode,
    column: Column,
    value: str,
    subjects: Mapping[str, ox.NamedNode],
    existing_by_number: Mapping[str, str],
    number: int,
) -> None:
    path = ox.NamedNode(column.path)
    obj: ox.NamedNode | ox.Literal | None = None
    try:
        if column.kind == "name":
            obj = ox.Literal(value, language="en")
        elif column.kind == "welsh-name":
            obj = ox.Literal(value, language="cy")
        elif column.kind == "text":
            obj = ox.Literal(value, language="en")
        elif column.kind == "concept":
            obj = ox.NamedNode(identity.resolve(f"def/{column.scheme}/{value}" if column.scheme else f"def/{value}"))
        elif column.kind == "place":
            obj = ox.NamedNode(identity.resolve(f"id/place/{value.upper()}"))
        elif column.kind in ("reference", "activity"):
            obj = _reference(
                identity,
                value,
                subjects,
                existing_by_number,
                "activity" if column.kind == "activity" else "organisation",
            )
        elif column.kind == "url":
            obj = ox.NamedNode(value)
        elif column.kind == "date":
            kind = {4: "gYear", 7: "gYearMonth", 10: "date"}[len(value)] if DATE.match(value) else "string"
            obj = ox.Literal(value, datatype=ox.NamedNode(STANDARD["xsd"] + kind))
        elif column.kind == "identifier":
            notation = _registry_number(value, column.register or "")
            node = ox.NamedNode(identity.thing(UriClass.IDENTIFIER, f"{column.register}-{_key(notation)}"))
            out.triples += [
                ox.Triple(subject, path, node),
                ox.Triple(node, ox.NamedNode(STANDARD["rdf"] + "type"), ox.NamedNode(STANDARD["adms"] + "Identifier")),
                ox.Triple(
                    node,
                    ox.NamedNode(STANDARD["skos"] + "notation"),
                    ox.Literal(notation, datatype=ox.NamedNode(identity.resolve(f"def/register/{column.register}"))),
                ),
            ]
            out.origin[(node.value, STANDARD["skos"] + "notation")] = (number, column.name)
            out.origin.setdefault((subject.value, column.path), (number, column.name))
            return
    except ValueError:
        out.problems.append(
            {"row": number, "column": column.name, "message": f"{value!r} is not a usable value for {column.title}."}
        )
        return
    if obj is not None:
        out.triples.append(ox.Triple(subject, path, obj))
        out.origin.setdefault((subject.value, column.path), (number, column.name))


def _key(value: str) -> str:
    key = re.sub(r"[^A-Za-z0-9._-]", "-", value)
    return key if KEY_PATTERN.match(key) else "x" + key


def _reference(
    identity: Identity,
    value: str,
    subjects: Mapping[str, ox.NamedNode],
    existing_by_number: Mapping[str, str],
    cls: str,
) -> ox.NamedNode:
    if value in subjects:
        return subjects[value]
    if value.upper() in existing_by_number:
        return ox.NamedNode(existing_by_number[value.upper()])
    if value.startswith(("http://", "https://")):
        return ox.NamedNode(value)
    if value.startswith(("id/", "/id/")):
        return ox.NamedNode(identity.resolve(value.lstrip("/")))
    return ox.NamedNode(identity.thing(UriClass(cls), _key(value)))


def row_names(rows: list[dict[str, str]], existing_by_number: Mapping[str, str]) -> dict[str, str]:
    """What each row id or registry number stands for, so that a relationship's key can name its parties."""
    names = {number: iri.rsplit("/", 1)[-1] for number, iri in existing_by_number.items()}
    for row in rows:
        if row.get("row", "").strip() and row.get("name", "").strip():
            names[row["row"].strip()] = row["name"].strip()
    return names


def named_registry_numbers(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    """(register, number) for every registry number the rows name, in a register column or as an org-id in any
    cell: the only ones to look up on the map."""
    named = set()
    for row in rows:
        for column, value in row.items():
            register = REGISTER_COLUMNS.get((column or "").replace("_", "-"))
            text = (value or "").strip()
            found = ORG_ID.match(f"{register}-{_registry_number(text, register)}" if register else text.upper())
            if text and found:
                named.add((found["prefix"], found["number"]))
    return named


def candidate_keys(rows: list[dict[str, str]], existing_by_number: Mapping[str, str]) -> dict[str, list[str]]:
    """For each record kind, the keys minting might try for the rows' names (to ask the store which are taken)."""
    candidates: dict[str, list[str]] = {}
    names = row_names(rows, existing_by_number)
    for row in rows:
        record = row.get("record", "").strip().lower()
        if record in RECORDS and not row.get("iri", "").strip():
            slug = mint_key(_label(row, record, names) or record, lambda k: False)
            candidates.setdefault(record, []).extend([slug] + [f"{slug}-{n}" for n in range(2, 10)])
    return candidates


def csvw_metadata(cols: Iterable[Column], table_url: str) -> dict[str, object]:
    """The CSVW description of the template (W3C Metadata Vocabulary for Tabular Data)."""
    described = []
    for c in cols:
        column: dict[str, object] = {
            "name": c.name,
            "titles": c.title,
            "dc:description": c.description,
            "required": c.required and c.kind in ("row", "record"),
        }
        if c.values:
            choice = "|".join(v.replace(".", "\\.") for v in c.values)  # keys hold letters, digits, - / . only
            column["datatype"] = {"base": "string", "format": f"^({choice})$"}
        elif c.kind == "date":
            column["datatype"] = {"base": "string", "format": DATE.pattern}
        elif c.kind == "url":
            column["datatype"] = "anyURI"
        if c.multiple and c.kind not in ("row", "record", "iri"):
            column["separator"] = SEPARATOR
        column["dc:subject"] = ", ".join(c.records)
        described.append(column)
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": table_url,
        "dc:title": "ecomap submission template",
        "dc:license": {"@id": "http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
        "tableSchema": {"columns": described, "primaryKey": "row"},
    }
