# Two commands for a fresh machine: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck faults soak bench load schemas dashboards clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Tandem needs Python 3.11+"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Tandem and what it needs into $(VENV) (once; about a minute)…"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --progress-bar on -e '.[dev]'
	@echo "Installed."
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/tandem up

# The suite (under 15 minutes); the fault suite, the flood and the benchmarks have targets of
# their own. CI (.ci/run) runs `make test` and then `make faults`.
test: $(STAMP) lint typecheck
	$(BIN)/pytest -m "not slow and not soak and not faults"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

faults: $(STAMP)
	$(BIN)/pytest -m faults

# The flood: ~124,000 events as fast as the stack takes them, then every consumer checked.
soak: $(STAMP)
	$(BIN)/pytest -m soak

bench: $(STAMP)
	$(BIN)/pytest -m slow -s tests/bench

# The load test alone: 2,000 events/s for 5 minutes, then a flood (TANDEM_LOAD_SECONDS=60 for a
# shorter run); its rows replace only their own in bench/results.md.
load: $(STAMP)
	$(BIN)/pytest -m slow -s tests/bench/test_load_bench.py

schemas: $(STAMP)
	$(BIN)/python -m schemas.export

dashboards: $(STAMP)
	$(BIN)/tandem dashboards build

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
