"""``ecomap check``: do the stores hold a whole, consistent map, after a crash or at any time?

Five questions, each answered by reading the stores, never by trusting a log:

- *integrity*: every statement of each store can be read back, as many as the store counts, under the base
  URI the store was created with;
- *description*: every record graph in the public store is described in the metadata graph as an approved
  record (and no withdrawn or merged record still has statements), and every submission and kept version in
  the staging store is described in its metadata graph;
- *agreement*: an approval spans both stores, so a public record derived from a submission needs that
  submission approved in the staging store, and an approved submission needs each of its records' versions
  kept (or the record ended since); anything else is an approval that stopped midway;
- *ownership*: a record states things only about its own subjects (``graph.contributions.ownership``): never about
  the reference data, another record's topic, or a subject another record holds;
- *conformance*: the public data has no violation of the shapes.

A redaction may empty a submission or delete a record's versions, so a description without its graph is
not a problem; a graph without its description is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from graph.contributions.history import PROV
from graph.contributions.ownership import misplaced
from graph.contributions.validation import Report, Validator, known_things
from graph.contributions.withdrawal import Ending
from graph.metadata import STORED_BASE_QUERY
from graph.rdf.convert import to_rdflib
from graph.rdf.identity import Identity, UriClass
from graph.rdf.query_text import iri
from graph.store.interface import Store, StoreError
from graph.stores import quads as every_quad


@dataclass(frozen=True)
class Problem:
    """One thing found wrong: which store, about what, in words an operator can act on."""

    store: str
    subject: str
    message: str


@dataclass
class StoreCount:
    statements: int
    graphs: int


@dataclass
class CheckReport:
    counts: dict[str, StoreCount] = field(default_factory=dict)
    records: int = 0
    submissions: int = 0
    problems: list[Problem] = field(default_factory=list)
    shapes: Report | None = None

    @property
    def clean(self) -> bool:
        return not self.problems and (self.shapes is None or self.shapes.conforms)


async def check(public: Store, staging: Store, identity: Identity, validator: Validator) -> CheckReport:
    """Every check, on both stores; the report lists each problem found."""
    report = CheckReport()
    for name, store in (("public", public), ("staging", staging)):
        report.counts[name] = await _integrity(name, store, identity, report.problems)
    if report.problems:  # nothing read from a damaged store can be trusted
        return report
    records, tombstones = await _public_records(public, identity, report.problems)
    report.records = len(records)
    submissions = await _staging_descriptions(staging, identity, report.problems)
    report.submissions = len(submissions)
    await _agreement(records, tombstones, submissions, staging, identity, report.problems)
    quads = await every_quad(public)
    report.problems += [Problem("public", m.about, m.reason) for m in misplaced(quads, identity)]
    data = to_rdflib(quads)
    report.shapes = validator.validate(data, await known_things(data, public))
    return report


async def _integrity(name: str, store: Store, identity: Identity, problems: list[Problem]) -> StoreCount:
    """Read every statement back (``Store.verify``), and the base the store was made with."""
    try:
        read = await store.verify()
    except StoreError as error:
        problems.append(Problem(name, "", str(error)))
        return StoreCount(0, 0)
    spaces = {row["space"].value.rstrip("/") for row in await store.solutions(STORED_BASE_QUERY)}
    if spaces != {identity.base}:
        found = ", ".join(sorted(spaces)) or "none"
        problems.append(Problem(name, "", f"the store should describe itself with base {identity.base}, not {found}"))
    return StoreCount(read, len(await store.graph_names()))


async def _select(store: Store, query: str) -> list[dict[str, str]]:
    """A SELECT's rows as plain strings, unbound variables left out."""
    return [{name: term.value for name, term in row.items()} for row in await store.solutions(query)]


async def _public_records(
    public: Store, identity: Identity, problems: list[Problem]
) -> tuple[dict[str, str], set[str]]:
    """The public record graphs and their descriptions must match one for one; returns each described
    record's submission (empty for the seed and loads), and the records ended (withdrawn or merged)."""
    eco = identity.resolve("def/ecosystem/")
    meta = identity.metadata_graph
    approved = identity.resolve("def/record-status/approved")
    ended = {identity.resolve(f"def/record-status/{e}") for e in Ending}
    graphs = {g for g in await public.graph_names() if identity.topic_of_record(g)}
    described = await _select(
        public,
        f"""SELECT ?record ?status ?submission ?type WHERE {{ GRAPH {iri(meta)} {{
  ?record {iri(eco + "status")} ?status .
  OPTIONAL {{ ?record a ?type FILTER(?type = {iri(eco + "Record")}) }}
  OPTIONAL {{ ?record {iri(PROV + "wasDerivedFrom")} ?submission }}
}} }}""",
    )
    records: dict[str, str] = {}
    tombstones: set[str] = set()
    for row in described:
        record, status = row["record"], row["status"]
        if status in ended:
            tombstones.add(record)
            if record in graphs:
                problems.append(Problem("public", record, "the record is withdrawn or merged but still has statements"))
            continue
        if status != approved or "type" not in row:
            problems.append(Problem("public", record, f"a public record must be an approved eco:Record, not {status}"))
        if record not in graphs:
            problems.append(Problem("public", record, "the record is described in the metadata graph but is empty"))
        records[record] = row.get("submission", "")
    for graph in sorted(graphs - records.keys() - tombstones):
        problems.append(Problem("public", graph, "the record graph has no description in the metadata graph"))
    return records, tombstones


async def _staging_descriptions(
    staging: Store, identity: Identity, problems: list[Problem]
) -> dict[str, dict[str, str]]:
    """Every submission graph and kept version in the staging store must be described; returns each described
    submission's status and claim."""
    eco = identity.resolve("def/ecosystem/")
    meta = identity.metadata_graph
    rows = await _select(
        staging,
        f"""SELECT ?submission ?status ?claimedBy WHERE {{ GRAPH {iri(meta)} {{
  ?submission a {iri(eco + "Submission")} ; {iri(eco + "status")} ?status .
  OPTIONAL {{ ?submission {iri(eco + "approvalClaimedBy")} ?claimedBy }}
}} }}""",
    )
    submissions = {row["submission"]: row for row in rows}
    described = f"SELECT ?version WHERE {{ GRAPH {iri(meta)} {{ ?version {iri(PROV + 'specializationOf')} ?record }} }}"
    versions = {row["version"] for row in await _select(staging, described)}
    for graph in await staging.graph_names():
        ref = identity.parse(graph)
        if ref is not None and ref.space == "data" and ref.uri_class == UriClass.SUBMISSION:
            if identity.thing(UriClass.SUBMISSION, ref.key) not in submissions:
                problems.append(Problem("staging", graph, "the submission has no description in the metadata graph"))
        elif "/version/" in graph and graph not in versions:
            problems.append(Problem("staging", graph, "the kept version has no description in the metadata graph"))
    return submissions


async def _agreement(
    records: dict[str, str],
    tombstones: set[str],
    submissions: dict[str, dict[str, str]],
    staging: Store,
    identity: Identity,
    problems: list[Problem],
) -> None:
    """An approval's three updates (versions kept, public changed, submission approved) must all be there."""
    approved = identity.resolve("def/record-status/approved")
    for record, submission in sorted(records.items()):
        if not submission:
            continue
        found = submissions.get(submission)
        if found is None or found["status"] != approved:
            status = found["status"].rsplit("/", 1)[-1] if found else "unknown to the staging store"
            stopped = (
                " (an approval stopped midway: ecomap serve completes it)" if found and "claimedBy" in found else ""
            )
            problems.append(
                Problem("both", record, f"public, derived from {submission}, which is {status} in staging{stopped}")
            )
    eco = identity.resolve("def/ecosystem/")
    meta = identity.metadata_graph
    kept = await _select(
        staging,
        f"""SELECT ?submission ?record ?version WHERE {{ GRAPH {iri(meta)} {{
  ?submission {iri(eco + "status")} {iri(approved)} ; {iri(eco + "recordGraph")} ?record .
  OPTIONAL {{ ?version {iri(PROV + "specializationOf")} ?record ; {iri(PROV + "wasDerivedFrom")} ?submission }}
}} }}""",
    )
    for row in kept:
        if "version" not in row and row["record"] not in tombstones:
            problems.append(
                Problem("staging", row["submission"], f"approved, but no version of {row['record']} was kept for it")
            )


def as_text(report: CheckReport) -> str:
    lines = [f"{name} store: {c.statements} statements in {c.graphs} graphs." for name, c in report.counts.items()]
    if report.shapes is None:
        lines.append("Records and submissions not checked: nothing read from a damaged store can be trusted.")
    else:
        lines.append(f"{report.records} public records and {report.submissions} submissions checked.")
        listed = "." if report.shapes.conforms else " (`ecomap validate` lists them)."
        lines.append(
            f"Shapes: {len(report.shapes.violations)} violations, {len(report.shapes.warnings)} warnings{listed}"
        )
    for p in report.problems:
        where = "both stores" if p.store == "both" else f"the {p.store} store"
        lines.append(f"Problem in {where}: {f'<{p.subject}> ' if p.subject else ''}{p.message}")
    if report.clean:
        lines.append("Clean: every statement read back, every graph described, every approval whole.")
    else:
        lines.append(
            f"Not clean: {_count(len(report.problems), 'problem')}, {_count(_violations(report), 'violation')}."
        )
    return "\n".join(lines) + "\n"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _violations(report: CheckReport) -> int:
    return len(report.shapes.violations) if report.shapes else 0


def as_json(report: CheckReport) -> str:
    body = {
        "clean": report.clean,
        "stores": {name: {"statements": c.statements, "graphs": c.graphs} for name, c in report.counts.items()},
        "records": report.records,
        "submissions": report.submissions,
        "violations": _violations(report),
        "problems": [{"store": p.store, "subject": p.subject, "message": p.message} for p in report.problems],
    }
    return json.dumps(body, indent=2) + "\n"
