"""What every request handler needs, built once per worker in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from api.answers import AnswerCache, KeptForVersion, Versions, shared_for_version
from api.limits import FairUse
from api.quarantine import Quarantine
from api.services.query_forms import Choices, read_choices
from api.turns import Turns
from graph.matching.leads import Leads, read_leads
from graph.matching.names import NAMES_QUERY, NameIndex
from graph.matching.reconciliation import CANDIDATES_QUERY, Candidates, candidates
from graph.matching.suggestions import Suggester, read_suggester
from graph.rdf.identity import Identity
from graph.rdf.namespaces import prefixes
from graph.rdf.query_text import prologue
from graph.rdf.results import strings
from graph.serving import Supervision
from graph.settings import Settings
from graph.store.interface import Store


@dataclass
class AppServices:
    settings: Settings
    public: Store
    staging: Store
    templates: Jinja2Templates
    # Where the public store's changes are announced, if ecomap serve runs it (graph.serving.Supervision).
    changes: Supervision | None = None
    identity: Identity = field(init=False)
    versions: Versions = field(init=False)
    fair_use: FairUse = field(init=False)
    submission_fair_use: FairUse = field(init=False)
    trusted_fair_use: FairUse = field(init=False)
    # Query texts that took the store down, and their senders, refused for a while (shared by the workers).
    quarantine: Quarantine = field(init=False)
    # Moderators' decisions, one at a time among the workers (api/turns.py).
    turns: Turns = field(init=False)
    prefixes: dict[str, str] = field(init=False)
    # What the stores put in front of every query (graph.rdf.query_text.prologue): the inspection of a client's query
    # reads it with the same, so that relative IRIs and ecomap's prefixes mean what they will mean to the store.
    prologue: str = field(init=False)
    # The organisations reconciliation compares names and numbers with: read from the whole map, so once per
    # data version (bench/README.md), not per batch.
    reconciliation_candidates: KeptForVersion[Candidates] = field(init=False)
    # Every name on the map, for searching lists by name without a scan of the store.
    names: KeptForVersion[NameIndex] = field(init=False)
    # The concepts of every subject scheme and what the map says about each, encoded for suggestions.
    suggester: KeptForVersion[Suggester] = field(init=False)
    # Likely but unrecorded links between organisations, best first.
    leads: KeptForVersion[Leads] = field(init=False)
    # What the saved queries' forms offer for their IRI parameters (api/services/query_forms.py).
    query_choices: KeptForVersion[Choices] = field(init=False)

    def __post_init__(self) -> None:
        self.identity = Identity(self.settings.base_uri)
        answers = AnswerCache(self.settings.cache_path / "answers")
        self.versions = Versions(self.public, self.settings.base_uri, answers, self.changes)
        allowances = self.settings.cache_path / "allowances"  # shared by the workers (api/limits.FairUse)
        self.fair_use = FairUse(self.settings.queries_per_minute, allowances / "queries")
        self.submission_fair_use = FairUse(self.settings.submissions_per_minute, allowances / "writes")
        self.trusted_fair_use = FairUse(self.settings.submissions_per_minute * 10, allowances / "trusted-writes")
        self.quarantine = Quarantine(self.settings.cache_path / "quarantine", self.settings.penalty_seconds)
        self.turns = Turns(self.settings.cache_path, patience_s=self.settings.claim_seconds)
        self.prefixes = prefixes(self.settings.base_uri)
        self.prologue = prologue(self.settings.base_uri)
        self.reconciliation_candidates = KeptForVersion(self.versions, self._read_candidates)
        self.names = KeptForVersion(self.versions, self._read_names)
        self.suggester = KeptForVersion(self.versions, self._read_concepts)
        self.leads = KeptForVersion(self.versions, self._find_leads)
        self.query_choices = KeptForVersion(self.versions, partial(read_choices, self.public, self.settings.base_uri))

    async def _read_candidates(self) -> Candidates:
        rows = await self.public.solutions(CANDIDATES_QUERY)
        # Indexing takes seconds at 10^5 organisations: off the event loop, so that other requests go on.
        return await anyio.to_thread.run_sync(lambda: candidates(strings(rows), self.settings.base_uri))

    async def _read_names(self) -> NameIndex:
        rows = await self.public.solutions(NAMES_QUERY)
        return await anyio.to_thread.run_sync(lambda: NameIndex((row["item"].value, row["name"].value) for row in rows))

    async def _read_concepts(self) -> Suggester:
        return await read_suggester(self.public)

    async def _find_leads(self) -> Leads:
        """Found by one worker a version (tens of seconds on a large map) and shared with the others."""
        version = await self.versions.current()
        return await shared_for_version(self.settings.cache_path / "leads", version, partial(read_leads, self.public))


async def _services(request: Request) -> AppServices:
    """Asynchronous, as it never waits: FastAPI runs a plain function on its thread pool, a thread hop (5% of a
    lookup's time, profiled) for every request."""
    return request.app.state.services


Services = Annotated[AppServices, Depends(_services)]
