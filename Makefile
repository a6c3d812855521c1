# Cergas: `make run` to try it, `make test` to check it. Both set up .venv on first use.

# Any Python 3.11 or newer: `make run PYTHON=/path/to/python3.12`, or the first of these that is.
PYTHONS := python3.13 python3.12 python3.11 python3
NEW_ENOUGH := import sys; sys.exit(sys.version_info < (3, 11))
PYTHON ?= $(firstword $(foreach p,$(PYTHONS),$(shell command -v $(p) >/dev/null 2>&1 && $(p) -c '$(NEW_ENOUGH)' 2>/dev/null && echo $(p))))
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when the packaging metadata changes. `make run` installs what running needs;
# the test tools (pytest, ruff, playwright, ...: the `test` extra) only come with make test/lint.
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CATALOGS := $(wildcard app/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test test-full lint format bench bench-load wheel clean install install-test catalogs screenshots permissions-doc hook-reference

run: install catalogs
	$(BIN)/cergas db upgrade
	$(BIN)/cergas demo --if-empty
	$(BIN)/cergas run --host $(HOST) --port $(PORT)

# Production-style serving: gunicorn with threaded workers (deploy/gunicorn.conf.py explains).
# WORKERS=2 needs REDIS_URL for live updates across workers.
WORKERS ?=
serve: install catalogs
	$(BIN)/cergas db upgrade
	MALLOC_ARENA_MAX=2 CERGAS_BIND=$(HOST):$(PORT) CERGAS_WORKERS=$(WORKERS) $(BIN)/gunicorn -c deploy/gunicorn.conf.py

# The fast run: every test on SQLite, on PostgreSQL (TEST_DATABASE_URL) those marked `pg`, no
# `slow` test; spread over JOBS processes (auto: one per core, at most 4, as each holds its own
# PostgreSQL connections). tests/conftest.py explains the markers.
JOBS ?= auto
# Python may keep the compiled (and pytest's assertion-rewritten) modules in __pycache__ even
# where the environment says not to (PYTHONDONTWRITEBYTECODE, set in some containers): otherwise
# every worker of every run compiles the whole suite again.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest
test: install-test catalogs lint
	$(PYTEST) -q -n $(JOBS) --maxprocesses 4 -m "not slow"

# The full matrix: every test on both databases, the browser tests (tests/e2e), the live
# cluster, the API fuzz test and the wheel build. `.ci/run` runs it after `make test`.
test-full: install-test catalogs
	$(PYTEST) -q -n $(JOBS) --maxprocesses 4 --full-matrix

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install catalogs
	$(BIN)/python bench/board.py

# Network load with wrk (apt-get install -y wrk) against gunicorn, 2 workers, Redis at REDIS_BENCH;
# BENCH_PG (emptied first!) adds the move load on PostgreSQL. Figures: docs/benchmarks.md.
REDIS_BENCH ?= redis://127.0.0.1:6379/13
BENCH_PG ?=
bench-load: install catalogs
	$(BIN)/python bench/load.py --redis $(REDIS_BENCH) $(if $(BENCH_PG),--pg $(BENCH_PG)) --json bench/results/load.json

# PNGs of the main pages (desktop and phone) into docs/screenshots/; needs Chromium.
screenshots: install-test catalogs
	$(BIN)/python tools/screenshots.py

# docs/permissions.md from the table in tests/test_api_permissions.py (a test checks they agree).
permissions-doc: install-test
	$(BIN)/python tests/test_api_permissions.py > docs/permissions.md

# The hook reference of docs/plugins.md from the docstrings of app/hookspecs.py (a test checks).
hook-reference: install
	$(BIN)/python tools/hook_reference.py --write

# A wheel in dist/, built from a clean build/ so no stale file slips in.
wheel: install-test catalogs
	rm -rf build dist
	$(BIN)/python -m pip wheel --no-deps --no-build-isolation --wheel-dir dist .
	rm -rf build

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache $(COMPILED)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

install: $(STAMP)

install-test: $(TEST_STAMP)

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Cergas needs Python 3.11 or newer, and none of $(PYTHONS) is (or is installed)."; \
		echo "Install one (e.g. apt-get install python3.11 python3.11-venv), or name it:"; \
		echo "  make run PYTHON=/path/to/python3.12"; \
		exit 1; \
	fi
	@$(PYTHON) -c '$(NEW_ENOUGH)' 2>/dev/null || { \
		echo "$(PYTHON) is not Python 3.11 or newer; name another: make run PYTHON=python3.12"; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): setup.cfg pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install -e '.[test]'
	touch $(TEST_STAMP)

catalogs: $(COMPILED)

app/translations/%/LC_MESSAGES/messages.mo: app/translations/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@
