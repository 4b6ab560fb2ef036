"""The columns of the submission template (CSV, XLSX and the form), made from the shapes once for each base URI."""

from __future__ import annotations

from functools import cache

from api.dependencies import AppServices
from graph.contributions.template import Column, columns
from graph.contributions.validation import Validator

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_columns(services: AppServices) -> tuple[Column, ...]:
    return _columns(services.settings.base_uri)


@cache
def _columns(base: str) -> tuple[Column, ...]:
    """The shapes do not change while the app runs, so neither do the columns made from them."""
    validator = Validator.from_repository(base)
    return tuple(columns(validator.shapes, validator.context, base))
