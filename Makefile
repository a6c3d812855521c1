# Cergas: `make run` to try it, `make test` to check it. Both set up .venv on first use.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when the packaging metadata changes.
STAMP := $(VENV)/.installed
CATALOGS := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint format bench wheel clean install catalogs

run: install catalogs
	$(BIN)/cergas db upgrade
	$(BIN)/cergas demo --if-empty
	$(BIN)/cergas run --host $(HOST) --port $(PORT)

test: install catalogs lint
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install catalogs
	$(BIN)/python bench/board.py

# A wheel in dist/, built from a clean build/ so no stale file slips in.
wheel: install catalogs
	rm -rf build dist
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation --wheel-dir dist .
	rm -rf build

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache $(COMPILED)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): setup.cfg pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

catalogs: $(COMPILED)

app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@
