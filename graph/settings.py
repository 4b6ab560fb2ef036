"""One settings object, read from the environment, so that every part of ecomap agrees on base and store."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from graph.store.dialect import STANDARD, Dialect, StoreAuth, dialect_from_env

DEFAULT_BASE_URI = "http://127.0.0.1:8000"
DEFAULT_STORE = Path("data") / "public"
DEFAULT_STAGING_STORE = Path("data") / "staging"
DEFAULT_CACHE = Path("data") / "cache"
DEFAULT_QUERY_TIMEOUT_S = 30.0
DEFAULT_RESULT_CAP_ROWS = 100_000
DEFAULT_RESULT_CAP_BYTES = 100 * 1024 * 1024
DEFAULT_QUERIES_PER_MINUTE = 120
DEFAULT_QUERY_MAX_LENGTH = 100_000
DEFAULT_SUBMISSION_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_SUBMISSION_MAX_STATEMENTS = 20_000
DEFAULT_SUBMISSIONS_PER_MINUTE = 10
DEFAULT_KEEP_AFTER_MS = 10
DEFAULT_CLAIM_SECONDS = 120
DEFAULT_PENALTY_SECONDS = 600
DEFAULT_HEADER_TIMEOUT_S = 15.0
DEFAULT_BODY_TIMEOUT_S = 30.0


class SettingsError(ValueError):
    """A setting has a value ecomap cannot use."""


def normalise_base_uri(value: str) -> str:
    """Return the base URI without a trailing slash, refusing anything that cannot prefix ecomap's IRIs."""
    base = value.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            f"The base URI {value!r} must be an http(s) address with no query or fragment, "
            f"e.g. {DEFAULT_BASE_URI} or https://ecomap.example.org"
        )
    return base


REMOTE_SCHEME = "sparql+"


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL 1.1 store reached over HTTP: where it answers queries, takes updates, and gives its statements
    through the Graph Store Protocol, and the credentials it wants, if any."""

    query_url: str
    update_url: str
    store_url: str
    user: str | None = None
    password: str | None = None
    dialect: Dialect = STANDARD

    @classmethod
    def oxigraph(cls, query_url: str) -> Endpoint:
        """An Oxigraph server's endpoints, which sit beside its query endpoint."""
        root = query_url.removesuffix("/query")
        return cls(query_url, root + "/update", root + "/store")

    @property
    def auth(self) -> StoreAuth | None:
        return StoreAuth(self.user, self.password or "") if self.user else None


def remote_endpoint(name: str) -> Endpoint | None:
    """The remote store named by ``$name`` (``sparql+http://host:port/query``), with its update and Graph Store
    endpoints from ``${name}_UPDATE`` and ``${name}_GSP`` (an Oxigraph-style ``…/update`` and ``…/store`` beside
    a ``…/query`` endpoint by default), credentials from ``ECOMAP_STORE_USER`` and ``ECOMAP_STORE_PASSWORD``, and
    the store's departures from the standards from ``ECOMAP_STORE_DIALECT`` (``graph.store.dialect``); ``None`` where
    ``$name`` is a folder (the embedded store)."""
    value = os.environ.get(name, "")
    if not value.startswith(REMOTE_SCHEME):
        return None
    query_url = value.removeprefix(REMOTE_SCHEME)
    parts = urlsplit(query_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be sparql+http(s)://host:port/path-of-the-query-endpoint, not {value!r}")
    defaults = Endpoint.oxigraph(query_url) if query_url.endswith("/query") else None
    update = os.environ.get(f"{name}_UPDATE") or (defaults.update_url if defaults else None)
    gsp = os.environ.get(f"{name}_GSP") or (defaults.store_url if defaults else None)
    if not update or not gsp:
        raise SettingsError(f"set {name}_UPDATE and {name}_GSP: the store's update and Graph Store endpoints")
    try:
        dialect = dialect_from_env()
    except ValueError as error:
        raise SettingsError(str(error)) from None
    user, password = os.environ.get("ECOMAP_STORE_USER") or None, os.environ.get("ECOMAP_STORE_PASSWORD")
    return Endpoint(query_url, update, gsp, user, password, dialect)


@dataclass(frozen=True)
class Settings:
    """Where the store lives and which base URI its IRIs start with.

    The base is canonical: it is fixed when a store is created (see ``graph.rdf.identity``), and
    ``ecomap rebase`` is the only way to move a store to another one.
    """

    base_uri: str = DEFAULT_BASE_URI
    store_path: Path = DEFAULT_STORE
    # Pending and rejected submissions, old versions and accounts: never queried by the public.
    staging_path: Path = DEFAULT_STAGING_STORE
    # Remote SPARQL 1.1 stores to use instead of the embedded ones (``ECOMAP_STORE=sparql+http://…``).
    store_endpoint: Endpoint | None = None
    staging_endpoint: Endpoint | None = None
    # Where generated downloads are kept, one folder per version of the data.
    cache_path: Path = DEFAULT_CACHE
    # The SPARQL query endpoint of the server holding the public store; ``ecomap serve`` sets it.
    upstream_url: str | None = None
    staging_url: str | None = None
    # Seconds after which a public query is stopped.
    query_timeout_s: float = DEFAULT_QUERY_TIMEOUT_S
    # Hosts that SPARQL SERVICE clauses may call; none by default.
    service_allow_list: tuple[str, ...] = ()
    # The most rows a public SELECT may return, and the most bytes a CONSTRUCT or DESCRIBE may.
    result_cap_rows: int = DEFAULT_RESULT_CAP_ROWS
    result_cap_bytes: int = DEFAULT_RESULT_CAP_BYTES
    # Fair use: queries a minute from one client to /sparql, per worker; 0 turns the limit off.
    queries_per_minute: int = DEFAULT_QUERIES_PER_MINUTE
    # The longest query text /sparql accepts, in characters.
    query_max_length: int = DEFAULT_QUERY_MAX_LENGTH
    # Submissions: the largest body and the most statements one may hold, and how many an anonymous client
    # may send a minute (trusted accounts may send ten times as many).
    submission_max_bytes: int = DEFAULT_SUBMISSION_MAX_BYTES
    submission_max_statements: int = DEFAULT_SUBMISSION_MAX_STATEMENTS
    submissions_per_minute: int = DEFAULT_SUBMISSIONS_PER_MINUTE
    # After how long a moderator's claim on a submission counts as belonging to a decision that died: it may then
    # be taken over, and an approval that died midway is completed.
    claim_seconds: int = DEFAULT_CLAIM_SECONDS
    # An answer (of /sparql, or a page kept per data version) is kept only if computing it took at least this long:
    # keeping costs a file write, and serving the copy a file read, more than recomputing a lookup or a small
    # document (bench/README.md). 0 keeps all.
    keep_after_ms: int = DEFAULT_KEEP_AFTER_MS
    # How long a client's queries are refused after one of them crashed the store or ran so far past the time limit
    # that the store's server had to be restarted (api/quarantine.py).
    penalty_seconds: int = DEFAULT_PENALTY_SECONDS
    # How long a request's headers may take to arrive, from its first byte, and its body, from its headers: a
    # connection that sends slower is closed (api/protocol.py).
    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S

    @classmethod
    def from_env(cls, store_path: str | os.PathLike[str] | None = None) -> Settings:
        base = normalise_base_uri(os.environ.get("ECOMAP_BASE_URI", DEFAULT_BASE_URI))
        store_endpoint = None if store_path else remote_endpoint("ECOMAP_STORE")
        staging_endpoint = remote_endpoint("ECOMAP_STAGING_STORE")
        if store_endpoint is not None and staging_endpoint is None:
            raise SettingsError(
                "a remote ECOMAP_STORE needs a remote ECOMAP_STAGING_STORE too (a second dataset of the same server "
                "or another one): submissions and accounts must never share the public store"
            )
        store = store_path or (DEFAULT_STORE if store_endpoint else os.environ.get("ECOMAP_STORE")) or DEFAULT_STORE
        staging = None if staging_endpoint else os.environ.get("ECOMAP_STAGING_STORE")
        timeout = _number(
            "ECOMAP_QUERY_TIMEOUT", DEFAULT_QUERY_TIMEOUT_S, "a number of seconds, e.g. 30", minimum=0.001
        )
        allowed = tuple(h.strip() for h in os.environ.get("ECOMAP_SERVICE_ALLOW", "").split(",") if h.strip())
        return cls(
            base_uri=base,
            store_path=Path(store),
            staging_path=Path(staging or Path(store).parent / "staging"),
            store_endpoint=store_endpoint,
            staging_endpoint=staging_endpoint,
            cache_path=Path(os.environ.get("ECOMAP_CACHE") or DEFAULT_CACHE),
            upstream_url=os.environ.get("ECOMAP_UPSTREAM_URL") or None,
            staging_url=os.environ.get("ECOMAP_STAGING_URL") or None,
            query_timeout_s=timeout,
            service_allow_list=allowed,
            result_cap_rows=_count("ECOMAP_RESULT_CAP_ROWS", DEFAULT_RESULT_CAP_ROWS),
            result_cap_bytes=_count("ECOMAP_RESULT_CAP_BYTES", DEFAULT_RESULT_CAP_BYTES),
            queries_per_minute=_count("ECOMAP_QUERIES_PER_MINUTE", DEFAULT_QUERIES_PER_MINUTE, minimum=0),
            query_max_length=_count("ECOMAP_QUERY_MAX_LENGTH", DEFAULT_QUERY_MAX_LENGTH),
            submission_max_bytes=_count("ECOMAP_SUBMISSION_MAX_BYTES", DEFAULT_SUBMISSION_MAX_BYTES),
            submission_max_statements=_count("ECOMAP_SUBMISSION_MAX_STATEMENTS", DEFAULT_SUBMISSION_MAX_STATEMENTS),
            submissions_per_minute=_count("ECOMAP_SUBMISSIONS_PER_MINUTE", DEFAULT_SUBMISSIONS_PER_MINUTE, minimum=0),
            claim_seconds=_count("ECOMAP_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS),
            keep_after_ms=_count("ECOMAP_KEEP_AFTER_MS", DEFAULT_KEEP_AFTER_MS, minimum=0),
            penalty_seconds=_count("ECOMAP_PENALTY_SECONDS", DEFAULT_PENALTY_SECONDS, minimum=0),
            header_timeout_s=_number("ECOMAP_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT_S, "a number of seconds", 0.1),
            body_timeout_s=_number("ECOMAP_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT_S, "a number of seconds", 0.1),
        )


def _count(name: str, default: int, minimum: int = 1) -> int:
    """A whole-number setting; where 0 is allowed it turns the limit off."""
    what = "a whole number, 0 for no limit" if minimum == 0 else "a whole number"
    value = _number(name, default, what, minimum)
    if value != int(value):
        raise SettingsError(f"{name} must be {what}, not {value:g}")
    return int(value)


def _number(name: str, default: float, what: str, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be {what}, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum:g}, not {raw!r}")
    return value
