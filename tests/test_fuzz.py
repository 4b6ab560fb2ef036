"""Every operation of ecomap's own OpenAPI, fuzzed by schemathesis against a real server: no 5xx, no stack trace in
any body, and every answer as the OpenAPI declares it (its status, its media type, and a JSON body that fits the
declared schema; ``api/responses.py`` describes them), so an operation that answers what it does not document fails.
Bounded here (``ECOMAP_FUZZ_SECONDS``, default 25, a few examples an operation); ``make fuzz`` runs the long
profile."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import web
from conftest import SAME_OVER_EITHER, make_tokens, one_pass, start_app, stop_server

pytestmark = one_pass("remote", SAME_OVER_EITHER)

ST = Path(sys.executable).parent / "st"
TESTS = Path(__file__).parent
CHECKS = [
    "not_a_server_error",
    "no_stack_trace",  # tests/fuzz_checks.py
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]


def test_every_operation_answers_as_documented_without_5xx_or_a_stack_trace(tmp_path_factory):
    # A server of its own, without fair-use limits in the way: what the fuzzer submits, approves, withdraws or
    # merges stays in its stores. It asks as a moderator, so that the moderators' operations are fuzzed past the
    # token check (tests/test_access.py refuses everyone else).
    server = start_app(
        tmp_path_factory.mktemp("fuzz"), ECOMAP_QUERIES_PER_MINUTE="0", ECOMAP_SUBMISSIONS_PER_MINUTE="0"
    )
    try:
        moderator = make_tokens(server)["moderator"]
        paths = web.get(f"{server.url}/openapi.json").json()["paths"]
        operations = sum(len(methods) for methods in paths.values())
        seconds = os.environ.get("ECOMAP_FUZZ_SECONDS", "25")
        examples = os.environ.get("ECOMAP_FUZZ_EXAMPLES", "5")
        run = subprocess.run(
            [
                str(ST),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                ",".join(CHECKS),
                "--phases",
                # Not the coverage phase: under Python 3.11 it can stop with an internal error of Hypothesis
                # ("AST constructor recursion depth mismatch") that says nothing about ecomap.
                "examples,fuzzing",
                "--max-examples",
                examples,
                "--max-time",
                seconds,
                "--workers",
                "2",
                "--header",
                f"Authorization: Bearer {moderator}",
                "--suppress-health-check",
                "all",
                "--no-color",
            ],
            env={**os.environ, "SCHEMATHESIS_HOOKS": "fuzz_checks", "PYTHONPATH": str(TESTS)},
            cwd=server.folder,  # schemathesis keeps its cache of failures in .schemathesis/ there, not in the checkout
            capture_output=True,
            text=True,
            timeout=int(seconds) + 300,
            check=False,
        )
        summary = run.stdout[-3000:]
        assert run.returncode == 0, run.stdout[-30000:] + run.stderr[-3000:]
        selected = re.search(r"Selected: (\d+)/(\d+)\s+Tested: (\d+)", summary)
        assert selected and int(selected[1]) == int(selected[2]) == int(selected[3]) == operations, summary
        generated = re.search(r"(\d+) generated, \1 passed", summary)
        # Several examples an operation, whatever the load of the machine (about 15 when it is quiet; make test runs
        # its two passes side by side).
        assert generated and int(generated[1]) > 2 * int(selected[1]), summary
        log = (server.folder / "server.log").read_text()
        assert " 500 Internal Server Error" not in log and "Traceback" not in log
    finally:
        stop_server(server)
