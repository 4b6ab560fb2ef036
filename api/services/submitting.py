"""Taking a submission in: its statements split into the records they change, validated against the shapes (with
what they refer to on the map), and kept pending in the staging store; and the rows of a spreadsheet or the form as
statements."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import anyio
import pyoxigraph as ox

from api.dependencies import AppServices
from api.services import approval
from api.services.submission_template import template_columns
from graph.contributions import report as reports
from graph.contributions.accounts import Role
from graph.contributions.submissions import ContributorRole, new_status_key, new_submission_id, pending_transaction
from graph.contributions.template import Conversion, candidate_keys, convert, named_registry_numbers
from graph.contributions.validation import Validator, known_from_rows, known_things_queries, referenced_iris
from graph.rdf.convert import to_rdflib
from graph.rdf.identity import UriClass, registry_numbers_query
from graph.rdf.query_text import iris
from graph.rdf.terms import value_of

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# One validation at a time in each worker. pySHACL is pure Python and holds the GIL, so validations running side by
# side in threads validate no faster than one after another; but every thread waiting for the GIL delays the event
# loop: with 25 submissions validating at once, each of the loop's turns waited for its share among 26 threads, every
# other request on that worker (pages, /sparql, moderators' decisions) took seconds, and some answered 503 because
# the connection to the store timed out while the loop waited (tests/test_concurrency.py, 50 submitters: 4 reads and 8
# decisions in 15 s, or 503s; with this limit, hundreds of reads and dozens of decisions, no 503).
VALIDATIONS = anyio.CapacityLimiter(1)


@dataclass
class Outcome:
    """What became of a submission: its report, records, problems, and its id if it was stored."""

    report: reports.Report | None = None
    records: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    submission_id: str | None = None
    # The submitter's private status link is /submissions/{status_key}: never the (public) submission id.
    status_key: str | None = None

    @property
    def report_json(self) -> Any:
        return report_json(self.report) if self.report is not None else None


async def process(
    services: AppServices,
    triples: list[ox.Triple],
    *,
    account: tuple[str, Role] | None,
    contact: str | None,
    store: bool,
    role: str | None = None,
) -> Outcome:
    """Split statements into the records they change (those of subjects already on the map staying with their
    records), validate them against the shapes (a record they add to as it would be, with the types of what they
    refer to, from the public store), and, if asked and valid, keep them pending in the staging store."""
    identity = services.identity
    split = await approval.split_submission(services, triples)
    added_to = await approval.current_records(services, split.additions)
    data = to_rdflib([*triples, *(t for statements in added_to.values() for t in statements)])
    iris = referenced_iris(data)
    known = known_from_rows(
        [row for query in known_things_queries(iris) for row in await services.public.solutions(query)]
    )
    validator = Validator.from_repository(services.settings.base_uri)
    report = await anyio.to_thread.run_sync(validator.validate, data, known, limiter=VALIDATIONS)
    if added_to:
        report = report.for_subjects({value_of(t.subject) for t in triples})
    if not report.conforms:
        return Outcome(report=report)
    outcome = Outcome(report=report, records=split.graphs, problems=split.problems)
    if split.problems or not store:
        return outcome
    outcome.submission_id, outcome.status_key = new_submission_id(), new_status_key()
    transaction = pending_transaction(
        identity,
        outcome.submission_id,
        triples,
        outcome.records,
        contributor_role=role or (ContributorRole.REGISTERED if account else ContributorRole.PUBLIC),
        account=account[0] if account else None,
        contact=contact,
        status_key=outcome.status_key,
    )
    await services.staging.update(transaction.as_update())
    return outcome


def report_json(report: reports.Report) -> Any:
    return json.loads(reports.as_json(report))


async def convert_rows(services: AppServices, rows: list[dict[str, str]]) -> Conversion:
    """The rows as statements, matching registry numbers to organisations already on the map."""
    identity = services.identity
    query = registry_numbers_query(named_registry_numbers(rows), services.settings.base_uri)
    numbers = await services.public.solutions(query) if query else []
    by_number = {row["org_id"].value: row["org"].value for row in numbers}
    candidates = [
        identity.thing(UriClass(record), key)
        for record, keys in candidate_keys(rows, by_number).items()
        for key in keys
    ]
    taken: set[str] = set()
    if candidates:
        values = iris(candidates)
        found = await services.public.solutions(f"SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o }}")
        taken = {row["s"].value for row in found}
    return convert(rows, template_columns(services), identity, existing_by_number=by_number, taken=taken.__contains__)
