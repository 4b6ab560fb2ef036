"""Fixtures that use the real parts: the installed ``ecomap`` command, on-disk stores, the repository's files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.initialise import initialise
from graph.settings import DEFAULT_BASE_URI
from graph.validation import Validator

BASE = DEFAULT_BASE_URI
ECOMAP = Path(sys.executable).parent / "ecomap"

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_ecomap(store: Path, *args: str, base: str = BASE, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script against ``store``, as a user would."""
    env = {**os.environ, "ECOMAP_STORE": str(store), "ECOMAP_BASE_URI": base}
    return subprocess.run(
        [str(ECOMAP), *args], env=env, capture_output=True, text=True, input=stdin, timeout=300, check=False
    )


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def ecomap(store_dir: Path) -> Run:
    """The ``ecomap`` command bound to a fresh store folder of this test's own."""
    return lambda *args, **kwargs: run_ecomap(store_dir, *args, **kwargs)


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    """One initialised on-disk store shared by read-only tests."""
    store = EmbeddedStore.open(tmp_path_factory.mktemp("seeded") / "store", BASE)
    initialise(store)
    return store


@pytest.fixture(scope="session")
def validator() -> Validator:
    return Validator.from_repository(BASE)
