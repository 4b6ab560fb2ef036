"""The ``ecomap`` command line: create, load, validate, query, describe, export and rebase the store.

A command imports rdflib, pySHACL, numpy or the web stack itself, when it needs them: the commands that need none
of them (init, load, query, users ...) then start in half the time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import anyio
import click

from graph.cli import client as client_cli
from graph.contributions.accounts import Account, Role, add_account, list_accounts, revoke_account
from graph.contributions.history import Version, kept_versions
from graph.initialise import InitSummary, initialise, initialise_staging
from graph.matching.link_check import Cache, check_online
from graph.matching.links import Link, check_forms, outbound_links
from graph.metadata import utc_stamp
from graph.rdf.formats import BY_NAME, UnknownFormatError
from graph.rdf.identity import KEY_PATTERN, Identity, UriClass, checked_class
from graph.rdf.namespaces import prefixes
from graph.rdf.parsing import LoadError, ProgressCallback, parse_all
from graph.rdf.results import RESULT_FORMATS, write
from graph.rebase import rebase as rebase_store
from graph.serving import running
from graph.settings import Settings, SettingsError, normalise_base_uri
from graph.stats import statistics
from graph.store.embedded import EmbeddedStore, StoreDirectory
from graph.store.interface import StoreError
from graph.stores import export as export_store
from graph.stores import load as load_files
from graph.stores import opened, recorded_base, results
from graph.stores import quads as every_quad
from graph.stores import query as run_query
from graph.synth import SYNTHETIC_SUFFIX, SyntheticError, is_synthetic_base, starts_synthetic
from graph.synth import write as write_synthetic

T = TypeVar("T")
BULK_THRESHOLD = 64 * 1024 * 1024  # files larger than this are bulk-loaded into a new store generation
PROGRESS_THRESHOLD = 1024 * 1024


class InputError(click.ClickException):
    """Input ecomap cannot use at all (a syntax error, an unknown format): exit code 2, nothing written."""

    exit_code = 2


@click.group()
@click.option(
    "--store",
    "store_path",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of the store (default: $ECOMAP_STORE, else ./data/public).",
)
@click.pass_context
def main(ctx: click.Context, store_path: Path | None) -> None:
    """ecomap: the UK data ecosystem as linked data.

    The base URI of every IRI is $ECOMAP_BASE_URI (default http://127.0.0.1:8000), fixed when a store is
    created; `ecomap rebase` moves a store to another one.
    """
    try:
        ctx.obj = Settings.from_env(store_path)
    except SettingsError as error:
        raise click.UsageError(str(error)) from None


@contextmanager
def _errors() -> Iterator[None]:
    """Report failures as messages, not tracebacks.

    Unreadable input exits with code 2, naming the file, line and column; nothing has been written.
    """
    try:
        yield
    except (LoadError, UnknownFormatError) as error:
        raise InputError(str(error)) from None
    except (StoreError, SettingsError) as error:
        raise click.ClickException(str(error)) from None


def _run(work: Callable[[], Awaitable[T]]) -> T:
    """Run a command's work on the store, which is asynchronous as it is for the web app, reporting failures as
    ``_errors`` does."""
    with _errors():
        return anyio.run(work)


def _where(settings: Settings, *, staging: bool = False) -> str:
    remote = settings.staging_endpoint if staging else settings.store_endpoint
    return remote.query_url if remote else str(settings.staging_path if staging else settings.store_path)


@main.command()
@click.pass_obj
def init(settings: Settings) -> None:
    """Create the public and staging stores, and load the ontology, vocabularies, shapes, places, sources and seed.

    Running it again replaces those graphs with the repository's current files and changes nothing else.
    """

    async def work() -> InitSummary:
        async with opened(settings) as public, opened(settings, staging=True) as staging:
            summary = await initialise(public)
            await initialise_staging(staging)
            return summary

    summary = _run(work)
    click.echo(
        f"Initialised {_where(settings)} (base {settings.base_uri}): {summary.statements} statements, "
        f"{summary.records} seed records, {summary.reference_graphs} ontology, vocabulary and reference graphs; "
        f"staging store at {_where(settings, staging=True)}."
    )


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--graph", "graph_iri", default=None, help="Named graph for statements the files put in no graph.")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(sorted(BY_NAME)),
    default=None,
    help="Override the format the file extension implies.",
)
@click.option(
    "--bulk/--no-bulk",
    default=None,
    help=f"Bulk-load into a new store generation (default: for files over {BULK_THRESHOLD // 2**20} MiB).",
)
@click.pass_obj
def load(
    settings: Settings, files: tuple[Path, ...], graph_iri: str | None, format_name: str | None, bulk: bool | None
) -> None:
    """Load RDF files (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML), all or nothing.

    Each record graph loaded that the metadata graph does not describe yet is described as an editor's approved
    record. A bulk load takes the statements as they are, so its files should bring their records' metadata (as
    `ecomap synth` files do); `ecomap check` lists any record graph left undescribed.
    """
    synthetic = [path for path in files if starts_synthetic(path)]
    if synthetic and not is_synthetic_base(settings.base_uri):
        raise InputError(
            f"{synthetic[0]} is synthetic data (from ecomap synth): load it into a store of its own, with "
            f"ECOMAP_BASE_URI ending in {SYNTHETIC_SUFFIX} and its own --store, never into the public store"
        )
    sizes = [path.stat().st_size if path.is_file() else 0 for path in files]
    use_bulk = bulk if bulk is not None else max(sizes) > BULK_THRESHOLD
    with _progress(sum(sizes)) as progress:

        async def work() -> int:
            async with opened(settings) as store:
                return await load_files(
                    store, list(files), graph=graph_iri, format_name=format_name, bulk=use_bulk, progress=progress
                )

        count = _run(work)
    click.echo(f"Loaded {count} statements from {len(files)} file{'s' * (len(files) != 1)}.")


@contextmanager
def _progress(total: int) -> Iterator[ProgressCallback | None]:
    if total < PROGRESS_THRESHOLD:
        yield None
        return
    if not sys.stderr.isatty():  # a log, not a terminal: a line at every tenth of the input read
        read, reported = 0, 0

        def report(size: int) -> None:
            nonlocal read, reported
            read += size
            if read * 10 // total > reported:
                reported = read * 10 // total
                click.echo(f"Loading: {read * 100 // total}% of {total / 2**20:,.0f} MiB read", err=True)

        yield report
        return
    with click.progressbar(length=total, label="Loading", file=sys.stderr) as bar:
        yield bar.update


@main.command()
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "output", type=click.Choice(["text", "json", "turtle"]), default="text", show_default=True)
@click.option("--input-format", "format_name", type=click.Choice(sorted(BY_NAME)), default=None)
@click.pass_obj
def validate(settings: Settings, file: Path | None, output: str, format_name: str | None) -> None:
    """Check FILE (or, without FILE, the whole store) against the SHACL shapes.

    Exit code 0 if it conforms (warnings allowed), 1 if it has violations, 2 if it cannot be read.
    """
    from rdflib import Graph

    from graph.contributions import report as reports
    from graph.contributions.validation import Validator, known_things
    from graph.rdf.convert import to_rdflib

    exists = settings.store_endpoint is not None or StoreDirectory(settings.store_path).current is not None
    with _errors():
        if file is not None:
            data = to_rdflib(parse_all(file, base_iri=settings.base_uri + "/", format_name=format_name))
        elif not exists:
            raise StoreError(f"there is no store at {settings.store_path} to validate: run `ecomap init` first")

    async def work() -> tuple[Graph, Graph | None]:
        if not exists:
            return data, None
        async with opened(settings) as store:
            read = data if file is not None else to_rdflib(await every_quad(store))
            return read, await known_things(read, store)

    data, known = _run(work)
    report = Validator.from_repository(settings.base_uri).validate(data, known)
    writer = {"text": reports.as_text, "json": reports.as_json, "turtle": reports.as_turtle}[output]
    click.echo(writer(report), nl=False)
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.argument("query")
@click.option(
    "--format", "format_name", type=click.Choice(["table", *RESULT_FORMATS]), default="table", show_default=True
)
@click.pass_obj
def query(settings: Settings, query: str, format_name: str) -> None:
    """Run a SPARQL QUERY (text, or a .rq file) over the whole store.

    Relative IRIs resolve against the base, and the usual prefixes (eco:, skos:, org:, dcterms: ...) need no
    declaration.
    """
    path = Path(query)
    text = path.read_text(encoding="utf-8") if query.endswith(".rq") and path.is_file() else query

    async def work() -> tuple[bytes, bool]:
        async with opened(settings) as store:
            return await run_query(store, text)

    try:
        answer = anyio.run(work)
    except StoreError as error:
        if error.status == 400:
            raise InputError(f"SPARQL syntax error: {error}") from None
        raise click.ClickException(str(error)) from None
    write(results(*answer), sys.stdout.buffer, format_name, settings.base_uri)


@main.command()
@click.argument("text", required=False)
@click.option(
    "--file", "file", type=click.Path(path_type=Path, dir_okay=False, exists=True), help="Read the text here."
)
@click.option("--per-scheme", type=click.IntRange(1, 20), default=3, show_default=True, help="Concepts per scheme.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def suggest(settings: Settings, text: str | None, file: Path | None, per_scheme: int, output: str) -> None:
    """Suggest the priority areas, principles, pillars, missions and topics that TEXT (or --file) is about.

    Each concept comes with a score in [0, 1] and its evidence. Suggestions are printed, never recorded.
    """
    from graph.matching.suggestions import Suggester, SuggestionError, as_text, read_suggester

    if (text is None) == (file is None):
        raise click.UsageError("Give the text as an argument or with --file, not both.")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as problem:
            raise InputError(f"{file}: not UTF-8 text (byte {problem.start} cannot be read).") from None

    async def work() -> Suggester:
        async with opened(settings) as store:
            return await read_suggester(store)

    suggester = _run(work)
    try:
        answer = suggester.suggest(text or "", per_scheme)
    except SuggestionError as problem:
        raise InputError(str(problem)) from None
    click.echo(json.dumps(answer, indent=1, ensure_ascii=False) if output == "json" else as_text(answer), nl=False)


@main.command()
@click.option("--organisation", default=None, metavar="KEY", help="Only this organisation's leads, e.g. odi.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def leads(settings: Settings, organisation: str | None, limit: int, output: str) -> None:
    """Likely but unrecorded links between organisations, with their evidence, best first.

    A lead is a question for a person: confirm one by submitting a relationship with its source.
    """
    from graph.matching.leads import Leads, read_leads

    if organisation is not None and not KEY_PATTERN.match(organisation):
        raise click.BadParameter(f"{organisation!r} is not an organisation key, e.g. odi", param_hint="--organisation")

    async def work() -> Leads:
        async with opened(settings) as store:
            return await read_leads(store)

    every = _run(work)
    about = Identity(settings.base_uri).thing(UriClass.ORGANISATION, organisation) if organisation else None
    if about is not None and about not in every.organisations:
        raise click.ClickException(f"There is no organisation {organisation!r} on the map.")
    found = every.of(about, limit)
    if output == "json":
        click.echo(json.dumps([lead.as_json() for lead in found], indent=1, ensure_ascii=False))
        return
    for lead in found:
        first, second = (f"{label} <{iri}>" for label, iri in zip(lead.labels, lead.organisations, strict=True))
        click.echo(f"{lead.score:.2f}  {first} and {second}")
        click.echo("".join(f"      {reason}\n" for reason in lead.reasons()), nl=False)
    if not found:
        click.echo("No leads: every pair with alike activities is linked already, or none is alike enough.")


@main.command()
@click.argument("record")
@click.pass_obj
def history(settings: Settings, record: str) -> None:
    """Every approved version of RECORD (its class and key, such as organisation/odi), newest first: when it was
    approved, from which submission, and the version it revised. The same list as /doc/RECORD/history."""
    uri_class, _, key = record.strip("/").removeprefix("id/").removeprefix("doc/").partition("/")
    cls = checked_class(uri_class, key)
    if cls is None:
        raise click.ClickException(f"{record} names no record: give its class and key, such as organisation/odi")
    identity = Identity(settings.base_uri)
    graph = identity.record_graph(cls, key)

    async def work() -> list[Version]:
        async with opened(settings, staging=True) as staging:
            return await kept_versions(staging, identity, graph)

    kept = _run(work)
    if not kept:
        click.echo(f"No approved versions of {cls}/{key}.")
    for version in kept:
        submission = version.submission.rsplit("/", 1)[-1] if version.submission else "(loaded, not submitted)"
        revised = f"  revises {version.revises.rsplit('/', 1)[-1]}" if version.revises else ""
        click.echo(
            f"{utc_stamp(version.generated)}  {version.iri.rsplit('/', 1)[-1]}  submission {submission}{revised}"
        )


@main.command()
@click.pass_obj
def stats(settings: Settings) -> None:
    """Counts by kind of thing, kind of organisation, nation, and support for each framework concept."""

    async def work() -> str:
        async with opened(settings) as store:
            return await statistics(store)

    click.echo(_run(work), nl=False)


@main.command()
@click.option(
    "--format", "format_name", type=click.Choice(["nq", "trig", "ttl", "nt"]), default="nq", show_default=True
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File to write (default: standard output).",
)
@click.pass_obj
def export(settings: Settings, format_name: str, output: Path | None) -> None:
    """Write the whole store; nq and trig keep the named graphs, ttl and nt merge them."""

    async def work() -> None:
        async with opened(settings) as store:
            if output is None:
                await export_store(store, sys.stdout.buffer, BY_NAME[format_name])
            else:
                with output.open("wb") as stream:
                    await export_store(store, stream, BY_NAME[format_name])

    _run(work)


@main.command()
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def check(settings: Settings, output: str) -> None:
    """Check that the stores are whole and agree with each other, as after a crash.

    Every statement reads back; every record graph, submission and kept version is described in its store's
    metadata graph; every approval is complete in both stores; the public data conforms to the shapes.
    Exit code 0 if all holds, 1 if anything does not.
    """
    from graph import check as checks
    from graph.contributions.validation import Validator

    async def work() -> checks.CheckReport:
        async with opened(settings) as public, opened(settings, staging=True) as staging:
            return await checks.check(public, staging, Identity(public.base), Validator.from_repository(public.base))

    found = _run(work)
    click.echo(checks.as_json(found) if output == "json" else checks.as_text(found), nl=False)
    sys.exit(0 if found.clean else 1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="Web worker processes.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the map: the SPARQL endpoint, dereferenceable URIs and pages, on http://HOST:PORT."""
    from api.server import serve as run_server

    with _errors():
        run_server(settings, host, port, workers)


@main.group()
def users() -> None:
    """Accounts of trusted submitters and moderators (kept in the staging store)."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.pass_obj
def users_add(settings: Settings, name: str, role: str) -> None:
    """Make an account and print its bearer token, once: it is stored only as a hash."""

    async def work() -> str:
        async with opened(settings, staging=True) as staging:
            return await add_account(staging, name, Role(role))

    token = _run(work)
    click.echo(f"Made {role} account {name!r}. Its token, shown only now:\n{token}")


@users.command("list")
@click.pass_obj
def users_list(settings: Settings) -> None:
    """The accounts, with their roles and whether they are revoked (never their tokens)."""

    async def work() -> list[Account]:
        async with opened(settings, staging=True) as staging:
            return await list_accounts(staging)

    accounts = _run(work)
    for account in accounts:
        state = f"revoked {account.revoked}" if account.revoked else "active"
        click.echo(f"{account.name}\t{account.role}\tcreated {account.created}\t{state}")


@users.command("revoke")
@click.argument("name")
@click.pass_obj
def users_revoke(settings: Settings, name: str) -> None:
    """Stop accepting an account's token."""

    async def work() -> None:
        async with opened(settings, staging=True) as staging:
            await revoke_account(staging, name)

    _run(work)
    click.echo(f"Revoked {name!r}: its token is no longer accepted.")


@main.command()
@click.option("--organisations", type=click.IntRange(1), required=True, help="How many organisations to make.")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed makes the same graph.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), required=True, help="An .nq file.")
@click.pass_obj
def synth(settings: Settings, organisations: int, seed: int, output: Path) -> None:
    """Write a realistic synthetic graph for benchmarks (it conforms to the shapes) under a synthetic base.

    Run it, and load its output, with ECOMAP_BASE_URI ending in /synthetic and a --store of its own:
    `ecomap load` refuses synthetic data for any other store.
    """
    with _errors(), output.open("wb") as out:
        try:
            count = write_synthetic(organisations, seed, settings.base_uri, out)
        except SyntheticError as error:
            raise click.UsageError(f"{error}: set ECOMAP_BASE_URI=…{SYNTHETIC_SUFFIX}") from None
    click.echo(f"Wrote {count} statements for {organisations} synthetic organisations to {output}.")


@main.group()
def links() -> None:
    """Links out of the map: to ONS geography, Wikidata, Companies House, GOV.UK and the web."""


@links.command("check")
@click.option("--online", is_flag=True, help="Also dereference each link, politely, and report broken ones.")
@click.option("--only", "prefix", default="", help="Check only links that start with this, e.g. https://www.gov.uk/")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between requests to one host.")
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where answers are kept for a week (default: links.json in $ECOMAP_CACHE).",
)
@click.pass_obj
def links_check(settings: Settings, online: bool, prefix: str, interval: float, cache_path: Path | None) -> None:
    """Check every outbound link's form offline (and, with --online, that it resolves); exit 1 on a problem."""

    async def work() -> list[Link]:
        async with opened(settings) as store:
            return [link for link in await outbound_links(store, settings.base_uri) if link.url.startswith(prefix)]

    found = _run(work)
    problems = check_forms(found)
    if online:
        cache = Cache(cache_path or settings.cache_path / "links.json", max_age_s=7 * 24 * 3600)
        problems += check_online(found, cache, interval_s=interval)
    for problem in problems:
        link = problem.link
        click.echo(f"{link.subject}\t{link.property}\t{link.url}\t{problem.message}")
    checked = "checked offline and online" if online else "checked offline"
    click.echo(f"{len(found)} link(s) {checked}: {len(problems)} problem(s).")
    if problems:
        sys.exit(1)


@main.command()
@click.argument("old")
@click.argument("new")
@click.pass_obj
def rebase(settings: Settings, old: str, new: str) -> None:
    """Move the public and staging stores from base URI OLD to NEW (then set ECOMAP_BASE_URI=NEW).

    Stop `ecomap serve` first: a rebase rewrites the stores on disk.
    """
    with _errors():
        if settings.store_endpoint or settings.staging_endpoint:
            raise StoreError("a remote store is moved with its own tools; ecomap rebase moves the embedded stores")
        paths = [p for p in (settings.store_path, settings.staging_path) if StoreDirectory(p).current is not None]
        if any(running(p) for p in paths):
            raise StoreError("stop `ecomap serve` first: a rebase rewrites the stores on disk")
        base = normalise_base_uri(old)
        stores = [EmbeddedStore.open(p, base, prefixes(base)) for p in paths]  # both must open before either moves
        try:
            recorded = [anyio.run(recorded_base, store) for store in stores]
            count = sum(rebase_store(store, found, old, new) for store, found in zip(stores, recorded, strict=True))
        finally:
            for store in stores:
                anyio.run(store.close)
    click.echo(f"Rebased {count} statements from {old} to {new}. Set ECOMAP_BASE_URI={new} to use the stores.")


for command in (client_cli.submit, client_cli.review, client_cli.requests, client_cli.records):
    main.add_command(command)
