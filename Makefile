# Relance: two commands. `make demo` runs it; `make test` checks it.
# Both work from a fresh clone with Python 3.11+ and make: they create .venv and install.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
XERO_PORT ?= 8081
QUICKBOOKS_PORT ?= 8082
MAIL_PORT ?= 8025

.PHONY: demo test lint format install lock clean catalogues translations

$(BIN)/relance: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/relance catalogues

# The UI's translations: .po sources in the repository, compiled here (and by the package build).
catalogues: $(BIN)/relance
	$(BIN)/pybabel compile --statistics -d web/translations

# After changing the UI's strings: extract them and merge them into each language's catalogue.
translations: $(BIN)/relance
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -o web/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i web/translations/messages.pot -d web/translations

# `relance demo` exits 0 on Ctrl-C, so make has no error to report when a person stops it.
demo: install
	$(BIN)/relance db upgrade
	$(BIN)/relance demo --port $(PORT) --xero-port $(XERO_PORT) --quickbooks-port $(QUICKBOOKS_PORT) --mail-port $(MAIL_PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

# requirements.txt, what Heroku's Python buildpack installs: pinned from pyproject.toml, then Relance
# itself (the Procfile runs its `relance` command). Run after changing pyproject's dependencies.
lock: install
	$(BIN)/uv pip compile pyproject.toml --quiet --output-file requirements.txt
	printf '# Relance itself (the Procfile runs its relance command):\n.\n' >> requirements.txt

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
