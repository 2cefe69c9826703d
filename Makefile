# fivestar developer tasks. See README.md.
.PHONY: venv run test demo lint

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

# Extra arguments for pytest: make test PYTEST_ARGS='-k ledger -x'
PYTEST_ARGS ?=
export PYTEST_ARGS

venv: $(STAMP)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml is newer than the stamp.
# Byte-compiled once here: an editable install has no .pyc files, and where
# PYTHONDONTWRITEBYTECODE is set every `fivestar` command would compile its modules again.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[dev]'
	$(VENV)/bin/python -m compileall -q domain projections api
	touch $(STAMP)

test: venv
	bash scripts/run_tests.sh

# The main job: a demo ledger on the embedded SQLite store, served over HTTP.
run: venv
	bash scripts/run_demo.sh

demo: venv
	$(VENV)/bin/fivestar demo

# Style, formatting, the layers (import-linter contracts in pyproject.toml) and types.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy .
