# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/var/dagster_home

.PHONY: venv demo test lint dev backfill clean

$(BIN)/dagster: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/dagster

demo: venv
	$(BIN)/python -m jobs.demo

dev: venv
	$(BIN)/python -m jobs.dev

test: venv
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy p9_platform

# One run over a range of billing months: make backfill FROM=2026-04-01 TO=2026-11-01
backfill: venv
	$(BIN)/dagster asset materialize -f definitions.py --select 'group:bills' \
		--partition-range $(FROM)...$(TO)

clean:
	rm -rf var
