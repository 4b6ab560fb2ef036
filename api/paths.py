"""The path parameters that several routes share, described once for the OpenAPI."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# Examples that exist in the seed, so that the examples in the OpenAPI (and the fuzzer's first cases) reach a record.
ClassPath = Annotated[
    str,
    Path(description="A broad class: organisation, activity, relationship, person, place …", examples=["organisation"]),
]
KeyPath = Annotated[str, Path(description="The record's key within its class", examples=["odi"])]
PersonKeyPath = Annotated[str, Path(description="The person's key", examples=["sue-daley"])]
