"""The change feed: approved changes, newest first, for catalogues that link to ecomap and want to follow.

Each approved version (graph.contributions.history) is a Create or an Update of the thing its record is about; each
tombstone (graph.contributions.withdrawal) is a Delete or, for a merge, a Move to the survivor. The same changes are
written as Activity Streams 2.0 and as Atom.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from graph.contributions.history import PROV
from graph.metadata import utc_stamp
from graph.rdf.identity import Identity
from graph.rdf.query_text import iri

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


@dataclass(frozen=True)
class Change:
    kind: str  # Create, Update, Delete or Move
    thing: str
    when: datetime
    id: str
    target: str | None = None
    summary: str | None = None


def versions_query(identity: Identity, limit: int) -> str:
    """Approved versions from the staging store (those kept from before any approval have no submission, and
    those of an approval still under way have no approved submission yet)."""
    eco, approved = identity.resolve("def/ecosystem/"), identity.resolve("def/record-status/approved")
    return f"""SELECT ?version ?record ?generated ?revises WHERE {{
  GRAPH {iri(identity.metadata_graph)} {{
    ?version {iri(PROV + "specializationOf")} ?record ; {iri(PROV + "generatedAtTime")} ?generated ;
      {iri(PROV + "wasDerivedFrom")} ?submission .
    ?submission {iri(eco + "status")} {iri(approved)} .
    OPTIONAL {{ ?version {iri(PROV + "wasRevisionOf")} ?revises }}
  }}
}} ORDER BY DESC(?generated) LIMIT {limit}"""


def changes(identity: Identity, versions: list[dict], tombstones: list[dict], limit: int) -> list[Change]:
    """The rows of both queries as one list of changes, newest first."""
    found = []
    for row in versions:
        thing = identity.topic_of_record(row["record"].value)
        if thing is not None:
            kind = "Update" if "revises" in row else "Create"
            found.append(Change(kind, thing, datetime.fromisoformat(row["generated"].value), row["version"].value))
    for row in tombstones:
        thing = identity.topic_of_record(row["record"].value)
        if thing is not None:
            survivor = row["survivor"].value if "survivor" in row else None
            when = datetime.fromisoformat(row["modified"].value)
            reason = row["reason"].value if "reason" in row else None
            event = f"{row['record'].value}#ended-{when:%Y%m%dT%H%M%S%f}"
            found.append(Change("Move" if survivor else "Delete", thing, when, event, survivor, reason))
    return sorted(found, key=lambda c: c.when, reverse=True)[:limit]


def activity_streams(changes: list[Change], feed: str) -> dict:
    """An Activity Streams 2.0 OrderedCollection; a Delete's object is a Tombstone."""
    items = []
    for change in changes:
        item: dict = {"id": change.id, "type": change.kind, "published": utc_stamp(change.when), "object": change.thing}
        if change.kind == "Delete":
            item["object"] = {"id": change.thing, "type": "Tombstone", "deleted": utc_stamp(change.when)}
        if change.target:
            item["origin"], item["target"] = change.thing, change.target
        if change.summary:
            item["summary"] = change.summary
        items.append(item)
    return {
        "@context": AS_CONTEXT,
        "id": feed,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "orderedItems": items,
    }


def atom(changes: list[Change], feed: str, document: Callable[[str], str]) -> str:
    """An Atom feed of the same changes; each entry links to the thing's document."""
    verbs = {"Create": "Added", "Update": "Updated", "Delete": "Withdrawn", "Move": "Merged"}
    updated = utc_stamp(changes[0].when) if changes else "1970-01-01T00:00:00Z"
    entries = []
    for change in changes:
        title = f"{verbs[change.kind]}: {change.thing}" + (f" into {change.target}" if change.target else "")
        summary = f"<summary>{escape(change.summary)}</summary>" if change.summary else ""
        entries.append(
            f"<entry><id>{escape(change.id)}</id><title>{escape(title)}</title><updated>{utc_stamp(change.when)}</updated>"
            f'<link rel="alternate" href={quoteattr(document(change.target or change.thing))}/>{summary}</entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{escape(feed)}</id><title>ecomap: approved changes</title><updated>{updated}</updated>"
        f'<author><name>ecomap</name></author><link rel="self" href={quoteattr(feed)}/>'
        + "".join(entries)
        + "</feed>\n"
    )
