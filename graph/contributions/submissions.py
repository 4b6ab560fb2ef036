"""Submissions: turning submitted statements into records, and the transactions that keep a submission
pending in the staging store, approve it into the public store, or reject it.

A submission's statements are split into records, each the named graph it will become in the public store:
an organisation with its registry identifiers and the activities it leads, runs or hosts; a person with the
posts they hold; a relationship; a strategy; an activity whose organisation is not in the submission. A
record replaces its public graph whole when approved, so a correction sends the whole record.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pyoxigraph as ox

from graph.contributions.history import INITIAL, keep_version
from graph.contributions.ownership import Owners, mintable, record_topic, reserved
from graph.metadata import record_description
from graph.rdf.identity import Identity, UriClass
from graph.rdf.namespaces import ORGANISATION_CLASSES, STANDARD
from graph.rdf.query_text import iri
from graph.rdf.terms import Subject, Term, as_subject, value_of
from graph.store.transaction import Transaction

RDF_TYPE = STANDARD["rdf"] + "type"
AGENT_PROPERTIES = ("ledBy", "runBy", "hostedBy")  # whose record an activity joins, in this order


class SubmissionStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ContributorRole(StrEnum):
    """Who sent a record, as far as ecomap knows (/def/contributor-role): an account is not tied to an organisation,
    and a claim to speak for one is only the organisation's own once an editor has checked it."""

    EDITOR = "editor"
    ORGANISATION = "organisation"
    UNVERIFIED_ORGANISATION = "unverified-organisation"
    REGISTERED = "registered-submitter"
    PUBLIC = "public"


@dataclass(frozen=True)
class Split:
    """A submission's statements by the record they will be part of. ``records`` are sent whole: each replaces its
    record. ``additions`` are statements about the subjects of records already on the map that the submission does
    not send whole: approving adds them to those records, and a moderator sees them as changes to those records."""

    records: dict[str, list[ox.Triple]]
    problems: list[str]
    additions: dict[str, list[ox.Triple]] = field(default_factory=dict)

    @property
    def graphs(self) -> list[str]:
        """Every record the submission changes."""
        return sorted({*self.records, *self.additions})

    def proposed(self, current: Mapping[str, list[ox.Triple]]) -> dict[str, list[ox.Triple]]:
        """What each record it changes will be once approved: as sent, or as it is now (``current``) with the
        statements added."""
        records = dict(self.records)
        for graph, added in self.additions.items():
            now = current.get(graph, [])
            present = set(now)
            records[graph] = now + [t for t in dict.fromkeys(added) if t not in present]
        return records


def new_submission_id() -> str:
    """The submission's public identifier, in its IRI and in the provenance of what it changed."""
    return secrets.token_hex(16)


def new_status_key() -> str:
    """128 random bits for the submitter's private status link (``/submissions/{key}``), unguessable, and unlike the
    submission's identifier never published: only its hash is kept."""
    return secrets.token_hex(16)


def status_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def status_key_query(identity: Identity, key: str) -> str:
    """The submission whose private status link is ``key``."""
    statement = f"?submission {iri(identity.resolve('def/ecosystem/statusKey'))} {ox.Literal(status_key_hash(key))}"
    return f"SELECT ?submission WHERE {{ GRAPH {iri(identity.metadata_graph)} {{ {statement} }} }}"


def subjects_named(triples: Iterable[ox.Triple]) -> set[str]:
    """The IRIs a submission states things about: whose they are is for the public store to say
    (graph.contributions.ownership)."""
    return {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}


def split_into_records(triples: list[ox.Triple], identity: Identity, known: Owners | None = None) -> Split:
    """Sort statements by the record that owns their subject: a subject already on the map stays with its record
    (``known``, from the public store); a new organisation, person, relationship or strategy heads a record of its
    own; a new activity joins the record of the organisation in the submission that leads, runs or hosts it, or is
    a record of its own; what a record's subjects point to (identifiers, posts, judgements, blank nodes, the pages
    it cites) joins that record if no other holds it. Statements about the reference data are refused."""
    known = known or Owners()
    eco = identity.resolve("def/ecosystem/")
    by_subject: dict[Subject, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[as_subject(t.subject)].append(t)
    types = {s: {value_of(t.object) for t in ts if t.predicate.value == RDF_TYPE} for s, ts in by_subject.items()}

    def head_class(subject: ox.NamedNode | ox.BlankNode) -> UriClass | None:
        kinds = types.get(subject, set())
        if kinds & ORGANISATION_CLASSES:
            return UriClass.ORGANISATION
        if STANDARD["foaf"] + "Person" in kinds:
            return UriClass.PERSON
        if eco + "Relationship" in kinds:
            return UriClass.RELATIONSHIP
        if eco + "Strategy" in kinds:
            return UriClass.STRATEGY
        return None

    problems = []
    taken: dict[ox.NamedNode | ox.BlankNode, str] = {}  # subjects whose record is already decided: its graph
    for subject in by_subject:
        described_by = known.reference.get(subject.value) if isinstance(subject, ox.NamedNode) else None
        if (why := reserved(subject, identity, described_by)) is not None:
            problems.append(f"{_show(subject, identity)} is {why}: no submission may state things about it.")
            taken[subject] = ""
        elif isinstance(subject, ox.NamedNode) and subject.value in known.records:
            # A record's topic sent with its type is the record sent whole; anything else stays where it is.
            typed = head_class(subject) is not None or eco + "Activity" in types[subject]
            if not typed or known.records[subject.value] != record_topic(subject, identity):
                taken[subject] = known.records[subject.value]
    owner: dict[ox.NamedNode | ox.BlankNode, ox.NamedNode | ox.BlankNode] = {}
    for subject in by_subject:
        if subject not in taken and head_class(subject) is not None:
            owner[subject] = subject
    activities = [s for s in by_subject if eco + "Activity" in types[s] and s not in taken]
    for subject in activities:  # an activity joins the record of the organisation that leads, runs or hosts it
        if isinstance(subject, ox.NamedNode) and subject.value in known.records:
            owner[subject] = subject  # unless it is a record of its own already
            continue
        agents = [
            t.object
            for p in AGENT_PROPERTIES
            for t in by_subject[subject]
            if t.predicate.value == eco + p and isinstance(t.object, ox.NamedNode | ox.BlankNode)
        ]
        head = next((a for a in agents if owner.get(a) == a and head_class(a) is UriClass.ORGANISATION), None)
        if head is not None:
            owner[subject] = head
    # What belongs to a record follows it: registry identifiers, posts, judgements about its statements,
    # sources it cites that the submission describes, and blank nodes it uses; never a subject another record
    # holds, nor one that would head a record of its own.
    forward = {STANDARD["adms"] + "identifier", STANDARD["org"] + "holds", STANDARD["dcterms"] + "source"}
    backward = {
        STANDARD["rdf"] + "subject",
        STANDARD["org"] + "heldBy",
        STANDARD["org"] + "originalOrganization",
        STANDARD["dcterms"] + "isPartOf",
    }

    def free(subject: ox.NamedNode | ox.BlankNode) -> bool:
        return subject not in owner and subject not in taken and mintable(subject, identity)

    changed = True
    while changed:
        changed = False
        for t in triples:
            # by_subject and owner hold only IRIs and blank nodes: a literal object is in neither.
            s, o = as_subject(t.subject), t.object
            if s in owner and isinstance(o, ox.NamedNode | ox.BlankNode) and o in by_subject and free(o):
                if t.predicate.value in forward or isinstance(o, ox.BlankNode):
                    owner[o] = owner[s]
                    changed = True
            elif (
                isinstance(o, ox.NamedNode | ox.BlankNode)
                and o in owner
                and s in by_subject
                and free(s)
                and t.predicate.value in backward
            ):
                owner[s] = owner[o]
                changed = True
        if not changed:  # an activity with no organisation of this submission is a record of its own
            for subject in activities:
                if subject not in owner:
                    owner[subject] = subject
                    changed = True

    records: dict[str, list[ox.Triple]] = defaultdict(list)
    for subject, statements in by_subject.items():
        if subject in taken:
            continue
        head = owner.get(subject)
        if head is None:
            problems.append(
                f"{_show(subject, identity)} is not an organisation, activity, relationship, person or strategy, "
                "nor part of one in this submission: say what it is (rdf:type) or leave it out."
            )
            continue
        graph = _record_graph(head, types.get(head, set()), head_class(head), identity, eco)
        if graph is None:
            problems.append(
                f"{_show(head, identity)} needs an ecomap IRI of its own, such as "
                f"<{identity.base}/id/organisation/your-organisation>."
            )
            continue
        records[graph].extend(statements)
    additions: dict[str, list[ox.Triple]] = defaultdict(list)
    for subject, graph in taken.items():  # subjects of records on the map: part of that record, whole or not
        if graph in records:
            records[graph].extend(by_subject[subject])
        elif graph and any(isinstance(t.object, ox.BlankNode) for t in by_subject[subject]):
            problems.append(
                f"{_show(subject, identity)} belongs to the record <{graph}>, which this submission does not send: "
                "statements added to it cannot use blank nodes. Name the thing with an IRI, or send the record whole."
            )
        elif graph:
            additions[graph].extend(by_subject[subject])
    if not records and not additions and not problems:
        problems.append("The submission holds no organisation, activity, relationship, person or strategy.")
    return Split(dict(records), problems, dict(additions))


def _record_graph(
    head: ox.NamedNode | ox.BlankNode, kinds: set[str], cls: UriClass | None, identity: Identity, eco: str
) -> str | None:
    if not isinstance(head, ox.NamedNode):
        return None
    ref = identity.parse(head.value)
    expected = cls or (UriClass.ACTIVITY if eco + "Activity" in kinds else None)
    if ref is None or ref.space != "id" or ref.uri_class != expected:
        return None
    return identity.record_graph(ref.uri_class, ref.key)


def _show(node: ox.NamedNode | ox.BlankNode, identity: Identity) -> str:
    if isinstance(node, ox.NamedNode) and node.value.startswith(identity.base + "/"):
        return f"<{node.value[len(identity.base) + 1 :]}>"
    return str(node)


def _now() -> ox.Literal:
    return ox.Literal(
        datetime.now(UTC).isoformat(timespec="seconds"), datatype=ox.NamedNode(STANDARD["xsd"] + "dateTime")
    )


def pending_transaction(
    identity: Identity,
    submission_id: str,
    triples: list[ox.Triple],
    records: list[str],
    *,
    contributor_role: str,
    account: str | None,
    contact: str | None,
    status_key: str,
) -> Transaction:
    """Keep the submission in the staging store: its statements in a graph of their own, and its metadata (with the
    hash of its private status link)."""
    eco = identity.resolve("def/ecosystem/")
    submission = ox.NamedNode(identity.thing(UriClass.SUBMISSION, submission_id))
    meta = ox.NamedNode(identity.metadata_graph)
    described: list[tuple[ox.NamedNode, Term]] = [
        (ox.NamedNode(RDF_TYPE), ox.NamedNode(eco + "Submission")),
        (ox.NamedNode(eco + "status"), ox.NamedNode(identity.resolve(f"def/record-status/{SubmissionStatus.PENDING}"))),
        (ox.NamedNode(STANDARD["dcterms"] + "created"), _now()),
        (
            ox.NamedNode(eco + "contributorRole"),
            ox.NamedNode(identity.resolve(f"def/contributor-role/{contributor_role}")),
        ),
        *((ox.NamedNode(eco + "recordGraph"), ox.NamedNode(g)) for g in records),
        (ox.NamedNode(eco + "statusKey"), ox.Literal(status_key_hash(status_key))),
        *([(ox.NamedNode(eco + "submittedBy"), ox.NamedNode(account))] if account else []),
        *([(ox.NamedNode(eco + "contactEmail"), ox.Literal(contact))] if contact else []),
    ]
    transaction = Transaction()
    transaction.replace_graph(identity.record_graph(UriClass.SUBMISSION, submission_id), triples)
    transaction.add(ox.Quad(submission, p, o, meta) for p, o in described)
    return transaction


def approval_transactions(
    identity: Identity,
    submission_id: str,
    records: dict[str, list[ox.Triple]],
    *,
    contributor_role: str,
    created: dict[str, datetime],
    moderator: str,
    previous: dict[str, str] | None,
    initial: dict[str, list[ox.Triple]] | None,
    added_to: Mapping[str, list[ox.Triple]] | None = None,
) -> tuple[Transaction, Transaction, Transaction]:
    """Three atomic updates, to be sent in this order: the staging store's copy of each record's new version
    (revising its `previous` version, or the `initial` published state of a record never versioned before),
    kept before the public record changes so that a retried approval cannot lose that state; the public
    store's change (each record replaced whole, described as approved and derived from the submission); and
    the submission marked approved. With `previous` and `initial` both None the versions are already kept.
    `added_to` are the records the submission only adds statements to (``Split.additions``): those statements are
    inserted, not the record replaced, so that two approvals adding to one record at once both stay (``records``
    holds what each such record was, with them, when this approval read it)."""
    approved = datetime.now(UTC)  # versions keep microseconds, so that approvals in one second stay in order
    now = approved.replace(microsecond=0)
    submission = ox.NamedNode(identity.thing(UriClass.SUBMISSION, submission_id))
    meta = identity.metadata_graph
    public = Transaction()
    described: list[ox.Triple] = []
    added_to = added_to or {}
    for graph, triples in records.items():
        if graph in added_to:
            public.add(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(graph)) for t in added_to[graph])
        else:
            public.replace_graph(graph, triples)
        public.delete_description(meta, graph)
        described += record_description(
            identity,
            graph,
            triples,
            status=SubmissionStatus.APPROVED,
            contributor_role=contributor_role,
            created=created.get(graph, now),
            modified=now,
        )
        described.append(ox.Triple(ox.NamedNode(graph), ox.NamedNode(STANDARD["prov"] + "wasDerivedFrom"), submission))
    public.add(ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(meta)) for t in described)
    staging = Transaction()
    if previous is not None and initial is not None:
        for graph, triples in records.items():
            revises = previous.get(graph)
            if graph in initial:
                revises = keep_version(
                    identity,
                    staging,
                    graph,
                    initial[graph],
                    key=INITIAL,
                    generated=created.get(graph, now),
                    submission=None,
                    revises=None,
                )
            keep_version(
                identity,
                staging,
                graph,
                triples,
                key=submission_id,
                generated=approved,
                submission=submission.value,
                revises=revises,
            )
    return staging, public, decision_transaction(identity, submission_id, SubmissionStatus.APPROVED, moderator, None)


def claim_update(
    identity: Identity, submission_id: str, claim: str, now: datetime, *, stale_after: timedelta, approver: str | None
) -> str:
    """Take a pending submission for one decision. It succeeds only if nobody holds it, or if the claim is
    older than ``stale_after`` (a decision that died midway), so two moderators cannot both decide. An
    approval's claim names its moderator (``approver``), so that one that died can be completed for them."""
    eco = identity.resolve("def/ecosystem/")
    submission = identity.thing(UriClass.SUBMISSION, submission_id)
    pending = identity.resolve(f"def/record-status/{SubmissionStatus.PENDING}")
    xsd = STANDARD["xsd"] + "dateTime"
    stale = (now - stale_after).isoformat()
    meta, held, at, by = (
        identity.metadata_graph,
        f"{iri(eco + 'decisionClaim')}",
        f"{iri(eco + 'decisionClaimed')}",
        f"{iri(eco + 'approvalClaimedBy')}",
    )
    approving = f" ; {by} {iri(approver)}" if approver else ""
    return f"""DELETE {{ GRAPH {iri(meta)} {{ {iri(submission)} {held} ?old ; {at} ?at ; {by} ?by }} }}
INSERT {{ GRAPH {iri(meta)} {{ {iri(submission)} {held} "{claim}" ; {at} "{now.isoformat()}"^^{iri(xsd)}{approving}
  }} }}
WHERE {{ GRAPH {iri(meta)} {{
  {iri(submission)} {iri(eco + "status")} {iri(pending)} .
  OPTIONAL {{ {iri(submission)} {held} ?old ; {at} ?at }}
  OPTIONAL {{ {iri(submission)} {by} ?by }}
  FILTER(!BOUND(?at) || ?at < "{stale}"^^{iri(xsd)})
}} }}"""


def role_update(identity: Identity, submission_id: str, role: str) -> str:
    """Record the role a submission is approved in (a moderator checked its claim), in place of the one it was sent
    in."""
    eco = identity.resolve("def/ecosystem/")
    submission = identity.thing(UriClass.SUBMISSION, submission_id)
    role_iri = identity.resolve(f"def/contributor-role/{role}")
    return f"""DELETE {{ GRAPH {iri(identity.metadata_graph)} {{ {iri(submission)} {iri(eco + "contributorRole")}
      ?role }} }}
INSERT {{ GRAPH {iri(identity.metadata_graph)} {{ {iri(submission)} {iri(eco + "contributorRole")} {iri(role_iri)} }} }}
WHERE {{ GRAPH {iri(identity.metadata_graph)} {{ {iri(submission)} {iri(eco + "contributorRole")} ?role }} }}"""


def interrupted_approvals_query(identity: Identity, now: datetime, stale_after: timedelta) -> str:
    """Pending submissions whose approval was claimed longer ago than ``stale_after`` and never finished (the
    process died midway), with the moderator who approved them."""
    eco = identity.resolve("def/ecosystem/")
    pending = identity.resolve(f"def/record-status/{SubmissionStatus.PENDING}")
    stale = (now - stale_after).isoformat()
    return f"""SELECT ?submission ?moderator WHERE {{ GRAPH {iri(identity.metadata_graph)} {{
  ?submission {iri(eco + "status")} {iri(pending)} ; {iri(eco + "approvalClaimedBy")} ?moderator ;
    {iri(eco + "decisionClaimed")} ?at .
  FILTER(?at < "{stale}"^^{iri(STANDARD["xsd"] + "dateTime")})
}} }}"""


def claim_query(identity: Identity, submission_id: str) -> str:
    eco = identity.resolve("def/ecosystem/")
    submission = identity.thing(UriClass.SUBMISSION, submission_id)
    return (
        f"SELECT ?claim WHERE {{ GRAPH {iri(identity.metadata_graph)} {{ "
        f"{iri(submission)} {iri(eco + 'decisionClaim')} ?claim }} }}"
    )


def new_claim() -> str:
    return secrets.token_hex(16)


def decision_transaction(
    identity: Identity, submission_id: str, status: str, moderator: str, reason: str | None
) -> Transaction:
    """Mark a submission approved or rejected in the staging store, with who decided, when and why."""
    eco = identity.resolve("def/ecosystem/")
    submission = ox.NamedNode(identity.thing(UriClass.SUBMISSION, submission_id))
    meta = ox.NamedNode(identity.metadata_graph)
    transaction = Transaction()
    for held in ("status", "decisionClaim", "decisionClaimed", "approvalClaimedBy"):
        transaction.operations.append(f"DELETE WHERE {{ GRAPH {meta} {{ {submission} {iri(eco + held)} ?value }} }}")
    decided: list[tuple[ox.NamedNode, Term]] = [
        (ox.NamedNode(eco + "status"), ox.NamedNode(identity.resolve(f"def/record-status/{status}"))),
        (ox.NamedNode(eco + "decidedBy"), ox.NamedNode(moderator)),
        (ox.NamedNode(STANDARD["dcterms"] + "modified"), _now()),
        *([(ox.NamedNode(eco + "decisionReason"), ox.Literal(reason))] if reason else []),
    ]
    transaction.add(ox.Quad(submission, p, o, meta) for p, o in decided)
    return transaction


def submission_query(identity: Identity, submission_id: str) -> str:
    """The submission's metadata, one row per record graph, from the staging store."""
    eco = identity.resolve("def/ecosystem/")
    submission = identity.thing(UriClass.SUBMISSION, submission_id)
    return f"""SELECT ?status ?created ?modified ?role ?record ?reason WHERE {{
  GRAPH {iri(identity.metadata_graph)} {{
    {iri(submission)} a {iri(eco + "Submission")} ; {iri(eco + "status")} ?status ;
      {iri(STANDARD["dcterms"] + "created")} ?created ;
        {iri(eco + "contributorRole")} ?role .
    OPTIONAL {{ {iri(submission)} {iri(eco + "recordGraph")} ?record }}
    OPTIONAL {{ {iri(submission)} {iri(STANDARD["dcterms"] + "modified")} ?modified }}
    OPTIONAL {{ {iri(submission)} {iri(eco + "decisionReason")} ?reason }}
  }}
}}"""


def submissions_query(identity: Identity, status: str) -> str:
    eco = identity.resolve("def/ecosystem/")
    return f"""SELECT ?submission ?created (COUNT(?record) AS ?records) WHERE {{
  GRAPH {iri(identity.metadata_graph)} {{
    ?submission a {iri(eco + "Submission")} ; {iri(eco + "status")}
      {iri(identity.resolve("def/record-status/" + status))} ;
        {iri(STANDARD["dcterms"] + "created")} ?created .
    OPTIONAL {{ ?submission {iri(eco + "recordGraph")} ?record }}
  }}
}} GROUP BY ?submission ?created ORDER BY ?created"""


def status_counts_query(identity: Identity) -> str:
    """How many submissions have each status (the key of its record-status concept)."""
    eco = identity.resolve("def/ecosystem/")
    return f"""SELECT ?status (COUNT(?submission) AS ?count) WHERE {{
  GRAPH {iri(identity.metadata_graph)} {{ ?submission a {iri(eco + "Submission")} ; {iri(eco + "status")} ?status }}
}} GROUP BY ?status"""


def contact_query(identity: Identity, submission_id: str) -> str:
    """The address the submitter gave, if any: for moderators only (to check a claim, or ask about a record)."""
    submission = identity.thing(UriClass.SUBMISSION, submission_id)
    gave = identity.resolve("def/ecosystem/contactEmail")
    return (
        f"SELECT ?contact WHERE {{ GRAPH {iri(identity.metadata_graph)} {{ {iri(submission)} {iri(gave)} ?contact }} }}"
    )


def statements_query(identity: Identity, submission_id: str) -> str:
    graph = identity.record_graph(UriClass.SUBMISSION, submission_id)
    return f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} }}"
