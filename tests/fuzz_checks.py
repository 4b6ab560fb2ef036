"""A check schemathesis runs on every answer in ``test_fuzz.py``, besides its own: no body gives away a stack trace;
and how to send the bodies of the media types it does not know.

Loaded by schemathesis as hooks (``SCHEMATHESIS_HOOKS=fuzz_checks``), not collected by pytest."""

from __future__ import annotations

from typing import Any

import schemathesis

# Bodies sent as text: a query (POST /sparql), statements and CSV (POST /submissions); a workbook as bytes.
for media_type in (
    "application/sparql-query",
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "text/csv",
):
    schemathesis.serializer.alias(media_type, "text/plain")
schemathesis.serializer.alias("application/ld+json", "application/json")
schemathesis.serializer.alias(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"
)


@schemathesis.check
def no_stack_trace(ctx: Any, response: Any, case: Any) -> None:
    """Bytes, not text: images and spreadsheets are answers too."""
    if b"Traceback (most recent call last)" in response.content:
        raise AssertionError("The body holds a Python stack trace")
