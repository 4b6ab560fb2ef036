"""Small helpers shared by the tests."""

from __future__ import annotations

from graph.store import Store, Term


def select(store: Store, query: str, **bindings: Term) -> list[dict[str, str]]:
    """Run a SELECT and return its rows as plain strings, unbound variables left out."""
    solutions = store.query(query, bindings=bindings)
    names = [v.value for v in solutions.variables]
    return [{name: row[name].value for name in names if row[name] is not None} for row in solutions]


def ask(store: Store, query: str) -> bool:
    return bool(store.query(query))
