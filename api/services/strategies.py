"""The strategies on the map and where they meet: each strategy with its concept schemes, the support found for each
concept, and the organisations whose activities support both an NDS concept and a National AI Strategy pillar."""

from __future__ import annotations

from dataclasses import dataclass

from api.dependencies import AppServices
from api.services.page_queries import STRATEGIES
from api.services.saved_rows import saved_rows
from graph.store.interface import Row


@dataclass(frozen=True)
class StrategyRows:
    strategies: list[Row]
    support: list[Row]  # the saved query stats-support-by-concept
    meetings: list[Row]  # the saved query strategy-meeting-points


async def strategy_rows(services: AppServices) -> StrategyRows:
    return StrategyRows(
        await services.public.solutions(STRATEGIES),
        await saved_rows(services, "stats-support-by-concept"),
        await saved_rows(services, "strategy-meeting-points"),
    )
