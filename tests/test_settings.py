"""Every setting the code reads is documented in ``docs/settings.md``, and the page documents none it does not read (as
Datasette's ``test_settings_are_documented`` does)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import one_pass_only

pytestmark = one_pass_only

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"ECOMAP_[A-Z][A-Z_]*[A-Z]")
# Settings whose names the code composes: a remote store's setting, and its endpoints for updates and the Graph Store.
COMPOSED = re.compile(r'f"\{name\}(_[A-Z]+)"')


def read_by_the_code() -> set[str]:
    sources = [p for folder in ("api", "graph", "tests", "bench") for p in (ROOT / folder).rglob("*.py")]
    names: set[str] = set()
    suffixes: set[str] = set()
    for path in sources:
        if path.name == Path(__file__).name:
            continue
        text = path.read_text()
        names |= set(NAME.findall(text))
        suffixes |= set(COMPOSED.findall(text))
    remote = {"ECOMAP_STORE", "ECOMAP_STAGING_STORE"}
    return names | {store + suffix for store in remote for suffix in suffixes}


def test_every_setting_the_code_reads_is_documented_and_nothing_else_is():
    documented = set(NAME.findall((ROOT / "docs" / "settings.md").read_text()))
    code = read_by_the_code()
    assert code - documented == set(), "read by the code, not in docs/settings.md"
    assert documented - code == set(), "in docs/settings.md, not read by the code"
