# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
ASSETS := node_modules/.installed

.PHONY: install lint test test-virtuoso fuzz virtuoso run clean browser

install: $(INSTALLED) $(ASSETS)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $(INSTALLED)

# The query editor (YASGUI) and axe-core come from the npm registry and are served by the app itself.
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(ASSETS)

# Headless Chromium and its driver, from Debian, for the browser tests (no browser download).
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The suite in two passes side by side, so that both backends stay correct: over the stores ecomap serve supervises,
# and over remote SPARQL stores (Oxigraph servers that the tests start). A test whose result cannot depend on the
# backend (it reaches no store server, or is about the app and neither the supervision nor where the stores come
# from) runs in one pass only: tests/conftest.py says which. Each pass prints its report when both are done.
# Each pass in two pytest processes (pytest-xdist, a module's tests kept together for its fixtures): most of a pass's
# time is spent waiting on servers, deadlines and time limits, not computing, so four processes on two cores finish
# sooner than two.
SPLIT := -p no:cacheprovider -n 2 --dist loadfile

test: install lint browser
	@# Each test server's processes import the app; with PYTHONDONTWRITEBYTECODE set, they compile it first, every time.
	@$(BIN)/python -m compileall -q api graph >/dev/null
	@logs=$$(mktemp -d); \
	ECOMAP_TEST_PASS=embedded $(BIN)/pytest $(SPLIT) > $$logs/embedded.log 2>&1 & first=$$!; \
	ECOMAP_TEST_PASS=remote ECOMAP_TEST_BACKEND=oxigraph-server $(BIN)/pytest $(SPLIT) > $$logs/remote.log 2>&1; remote=$$?; \
	wait $$first; embedded=$$?; \
	echo "== pytest over the stores ecomap serve supervises (exit $$embedded)"; cat $$logs/embedded.log; \
	echo "== pytest over remote SPARQL stores (exit $$remote)"; cat $$logs/remote.log; \
	rm -rf $$logs; test $$embedded -eq 0 && test $$remote -eq 0

# The same suite over Virtuoso open source (Debian's package; each test's Virtuoso is started by the fixtures on
# free loopback ports), to show that what ecomap needs is SPARQL 1.1 and not Oxigraph: graph/store/dialect.py holds
# every difference.
test-virtuoso: install lint browser virtuoso
	env -u ECOMAP_TEST_PASS ECOMAP_TEST_BACKEND=virtuoso $(BIN)/pytest

# The fuzzing of every API operation that make test runs briefly, for 15 minutes and 100 examples an operation.
fuzz: install
	ECOMAP_FUZZ_SECONDS=900 ECOMAP_FUZZ_EXAMPLES=100 $(BIN)/pytest tests/test_fuzz.py

virtuoso:
	@command -v virtuoso-t >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null)

# Load the graph into the embedded store, print its shape, and serve it on http://127.0.0.1:8000.
run: install
	$(BIN)/ecomap init
	$(BIN)/ecomap stats
	$(BIN)/ecomap serve --host 127.0.0.1 --port 8000

clean:
	rm -rf $(VENV) data node_modules
