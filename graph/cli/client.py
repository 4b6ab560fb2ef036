"""The ``ecomap`` commands that talk to a running server over HTTP: submit, and the moderators' work (review
submissions, answer people's requests, withdraw, merge or redact records). They need a token, not the store."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import click
import httpx

SERVER = click.option(
    "--server", default="http://127.0.0.1:8000", show_default=True, envvar="ECOMAP_SERVER", help="The ecomap server."
)
TOKEN = click.option("--token", envvar="ECOMAP_TOKEN", default=None, help="A bearer token (default: $ECOMAP_TOKEN).")


def _call(
    method: str,
    url: str,
    token: str | None,
    *,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    content: bytes | None = None,
    json: object = None,
) -> httpx.Response:
    headers = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        return httpx.request(method, url, headers=headers, params=params, content=content, json=json, timeout=120)
    except httpx.HTTPError as error:
        raise click.ClickException(f"cannot reach {url}: {error}") from None


def _answer(response: httpx.Response) -> dict:
    """The JSON body, or the server's error as a message and a non-zero exit."""
    try:
        body = response.json()
    except ValueError:
        body = {"error": response.text.strip()}
    if response.status_code >= 400:
        problems = "".join(f"\n  {p}" for p in body.get("problems", []))
        raise click.ClickException(f"{response.status_code}: {body.get('error', response.text.strip())}{problems}")
    return body


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@SERVER
@TOKEN
@click.option("--dry-run", is_flag=True, help="Check the file against the shapes without storing it.")
@click.option("--accept-terms", is_flag=True, help="License the data under the Open Government Licence v3.0.")
@click.option("--contact", default=None, help="An e-mail address for the moderators (never published).")
def submit(file: Path, server: str, token: str | None, dry_run: bool, accept_terms: bool, contact: str | None) -> None:
    """Send FILE to the map as a submission and print what the server says of it."""
    media_types = {
        ".ttl": "text/turtle",
        ".nt": "application/n-triples",
        ".jsonld": "application/ld+json",
        ".rdf": "application/rdf+xml",
        ".csv": "text/csv",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    media_type = media_types.get(file.suffix.lower())
    if media_type is None:
        raise click.BadParameter(f"{file}: send a .ttl, .nt, .jsonld, .rdf, .csv or .xlsx file", param_hint="FILE")
    params = {
        "dry_run": str(dry_run).lower(),
        "accept_terms": str(accept_terms).lower(),
        **({"contact": contact} if contact else {}),
    }
    response = _call(
        "POST",
        f"{server}/submissions",
        token,
        content=file.read_bytes(),
        params=params,
        headers={"Content-Type": media_type, "Accept": "text/plain, application/json;q=0.5"},
    )
    if response.status_code == 422 and response.headers.get("content-type", "").startswith("text/plain"):
        click.echo(response.text, nl=False)
        sys.exit(1)
    body = _answer(response)
    if dry_run:
        click.echo(f"Valid: it would make or replace {len(body['records'])} record(s). Nothing was stored.")
    else:
        click.echo(
            f"Stored as pending: submission {body['id']}. Follow it at {server}{body['status_url']} "
            "(a private address: keep it)"
        )


@click.group()
def review() -> None:
    """Moderate submissions on a running server (needs a moderator's token)."""


@review.command("list")
@SERVER
@TOKEN
@click.option("--status", type=click.Choice(["pending", "approved", "rejected"]), default="pending", show_default=True)
def review_list(server: str, token: str | None, status: str) -> None:
    """Submissions with the given status, oldest first."""
    body = _answer(_call("GET", f"{server}/submissions", token, params={"status": status}))
    for item in body["submissions"]:
        click.echo(f"{item['id']}\t{item['created']}\t{item['records']} record(s)")


@review.command("show")
@click.argument("submission")
@SERVER
@TOKEN
def review_show(submission: str, server: str, token: str | None) -> None:
    """What approving SUBMISSION would change, likely duplicates, and its concepts against the suggested ones."""
    response = _call("GET", f"{server}/submissions/{submission}/review", token)
    body = _answer(response)
    click.echo(f"Submission {submission}: {body['status']}, sent {body['created']} ({body['contributor_role']})")
    if body.get("contact"):
        click.echo(f"Contact address (private): {body['contact']}")
    for change in body["changes"]:
        if not change["sent_whole"]:
            kind = "ADDS TO another record, which the submission does not send"
        else:
            kind = "replaces the public record" if change["exists"] else "a new record"
        click.echo(f"\n{change['graph']} ({kind})")
        click.echo(
            "".join(f"  + {line}\n" for line in change["added"])
            + "".join(f"  - {line}\n" for line in change["removed"]),
            nl=False,
        )
    for duplicate in body["possible_duplicates"]:
        click.echo(
            f"\nPossible duplicate: {duplicate['submitted']} and {duplicate['candidate']} share {duplicate['reason']}"
        )
    for check in body.get("concept_checks", []):
        click.echo(f"\nConcepts of {check['activity']} (suggestions from its description; scores in [0, 1]):")
        for concept in check["submitted"]:
            click.echo(
                f"  submitted  {concept['score']:.2f}  {concept['label']} (number {concept['rank']} in its scheme)"
            )
        for scheme in check["suggested"]:
            best = scheme["suggestions"][0]
            click.echo(f"  suggested  {best['score']:.2f}  {best['label']} ({scheme['label']})")
        for flag in check["disagreements"]:
            click.echo(f"  ! {flag}")
    click.echo(f"\nTo approve exactly this: ecomap review approve {submission} --if-match '{response.headers['etag']}'")


@review.command("approve")
@click.argument("submission")
@SERVER
@TOKEN
@click.option("--if-match", help="The review tag that `review show` printed: refuse if the records changed since.")
@click.option(
    "--claim-checked",
    is_flag=True,
    help="The sender says they speak for the organisation, and you have checked it (at the contact address).",
)
def review_approve(submission: str, server: str, token: str | None, if_match: str | None, claim_checked: bool) -> None:
    """Publish SUBMISSION's records (with --if-match, only if they are as `review show` showed them)."""
    headers = {"If-Match": if_match} if if_match else {}
    url = f"{server}/submissions/{submission}/approve"
    body = _answer(_call("POST", url, token, headers=headers, json={"claim_checked": True} if claim_checked else None))
    click.echo(f"Approved: {', '.join(body['records'])}")


@review.command("reject")
@click.argument("submission")
@click.option("--reason", required=True, help="Why, in words the submitter will read.")
@SERVER
@TOKEN
def review_reject(submission: str, reason: str, server: str, token: str | None) -> None:
    """Reject SUBMISSION, with a reason the submitter sees."""
    _answer(_call("POST", f"{server}/submissions/{submission}/reject", token, json={"reason": reason}))
    click.echo("Rejected.")


@click.group()
def requests() -> None:
    """People's requests to have their details corrected or removed (needs a moderator's token)."""


@requests.command("list")
@SERVER
@TOKEN
@click.option("--status", type=click.Choice(["pending", "answered"]), default="pending", show_default=True)
def requests_list(server: str, token: str | None, status: str) -> None:
    """Requests with the given status, oldest first, with the person's own words and e-mail address."""
    body = _answer(_call("GET", f"{server}/requests", token, params={"status": status}))
    for item in body["requests"]:
        click.echo(f"{item['id']}\t{item['created']}\t{item['kind']}\t{item['person']}\t{item['contact']}")
        click.echo(f"  {item['details']}")


@requests.command("answer")
@click.argument("request")
@click.option("--answer", "text", required=True, help="What was done (corrected, removed, kept) and why.")
@SERVER
@TOKEN
def requests_answer(request: str, text: str, server: str, token: str | None) -> None:
    """Record the answer to REQUEST, once its correction or redaction is done (or refused)."""
    _answer(_call("POST", f"{server}/requests/{request}/answer", token, json={"answer": text}))
    click.echo("Answered.")


@click.group()
def records() -> None:
    """End published records: withdraw, merge, or redact a person (needs a moderator's token)."""


RECORD = click.argument("record", metavar="CLASS/KEY")


def _record_path(record: str) -> str:
    uri_class, _, key = record.strip("/").removeprefix("id/").partition("/")
    if not uri_class or not key or "/" in key:
        raise click.BadParameter(f"{record}: name the record as CLASS/KEY, e.g. organisation/odi", param_hint="RECORD")
    return f"{uri_class}/{key}"


@records.command("withdraw")
@RECORD
@click.option("--reason", required=True, help="Why, in words the record's page will show.")
@SERVER
@TOKEN
def records_withdraw(record: str, reason: str, server: str, token: str | None) -> None:
    """Withdraw RECORD: its URI then answers 410 Gone, saying when and why."""
    body = _answer(_call("POST", f"{server}/records/{_record_path(record)}/withdraw", token, json={"reason": reason}))
    click.echo(f"Withdrawn: {body['record']}")


@records.command("merge")
@RECORD
@click.option("--into", required=True, metavar="CLASS/KEY", help="The record that survives.")
@click.option("--reason", required=True, help="Why, in words the record's page will show.")
@SERVER
@TOKEN
def records_merge(record: str, into: str, reason: str, server: str, token: str | None) -> None:
    """Merge RECORD into another: its URI then redirects to the survivor."""
    asked = {"reason": reason, "into": f"id/{_record_path(into)}"}
    body = _answer(_call("POST", f"{server}/records/{_record_path(record)}/merge", token, json=asked))
    click.echo(f"Merged: {body['record']} into {body['survivor']}")


@records.command("redact")
@click.argument("person", metavar="person/KEY")
@SERVER
@TOKEN
def records_redact(person: str, server: str, token: str | None) -> None:
    """Remove a person from the map and from its history, at their request (UK GDPR)."""
    path = _record_path(person)
    if not path.startswith("person/"):
        raise click.BadParameter(f"{person}: only a person can be redacted, e.g. person/their-key", param_hint="PERSON")
    body = _answer(_call("POST", f"{server}/records/{path}/redact", token))
    click.echo(f"Redacted: {body['record']} ({body['removed']} things removed from the map and its history)")
