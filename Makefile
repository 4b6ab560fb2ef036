# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install lint test run clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $(INSTALLED)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install lint
	$(BIN)/pytest

# Load the graph into the embedded store, print its shape, and serve it on http://127.0.0.1:8000.
run: install
	$(BIN)/ecomap init
	$(BIN)/ecomap stats
	$(BIN)/ecomap serve --host 127.0.0.1 --port 8000

clean:
	rm -rf $(VENV) data
