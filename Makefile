# The front door. `make dev` and `make test` work on a machine with only python3 and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
# Prefer a uv already on PATH; otherwise bootstrap the pinned one into the project's venv.
UV := $(or $(shell command -v uv 2>/dev/null),$(VENV)/bin/uv)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Trust the platform certificate store too (corporate proxies re-sign PyPI's certificate).
export UV_SYSTEM_CERTS ?= 1

STAMP := $(VENV)/.nceflow-synced
PYPROJECTS := pyproject.toml $(wildcard shared/*/pyproject.toml services/*/pyproject.toml)

.PHONY: help install dev test test-unit lint format schemas bench clean

help:
	@echo "make dev      install, then run the whole stack on 127.0.0.1 (Ctrl-C stops it)"
	@echo "make test     install, then run every test against real servers"
	@echo "make test-unit  the unit tier only: no servers, no network, seconds"
	@echo "make lint     ruff + mypy --strict"
	@echo "make schemas  regenerate the committed JSON Schemas and AsyncAPI document"
	@echo "make bench    run the benchmarks in bench/"
	@echo "make clean    remove the venv and local state"

$(VENV)/bin/uv:
	@test -x "$(VENV)/bin/python" || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): uv.lock $(PYPROJECTS) | $(if $(shell command -v uv 2>/dev/null),,$(VENV)/bin/uv)
	$(UV) sync --frozen --all-packages
	@touch $@

install: $(STAMP)

dev: install
	$(VENV)/bin/nceflow dev up

test: install
	$(VENV)/bin/pytest

# The fast tier: domain and service-layer tests over in-memory fakes, no servers and no network
# (pytest-socket refuses any socket but a Unix one: asyncio's own wake-up pipe is one).
test-unit: install
	$(VENV)/bin/pytest -m unit --disable-socket --allow-unix-socket -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# One mypy run per member: test modules (conftest.py, test_app.py…) share names across members.
	@set -e; for dir in shared/* services/* tests bench; do \
	  [ -d "$$dir" ] || continue; echo "mypy $$dir"; $(VENV)/bin/mypy "$$dir"; done

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schemas: install
	$(VENV)/bin/nceflow schemas export

bench: install
	@# The benchmarks run the stack on its development defaults.
	@for b in bench/*.py; do echo "== $$b"; NCEFLOW_ENV=dev $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .nceflow .pytest_cache .mypy_cache .ruff_cache
