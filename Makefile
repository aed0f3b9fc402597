# Kabinet — the two commands that matter: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: demo test install chromium lint typecheck fmt messages bench clean-demo

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## make demo: install, migrate the SQLite database, load the demo data, start everything.
demo: install
	bash scripts/demo.sh

## make test: the whole suite — unit, integration and browser tests.
test: install chromium
	$(PY) -m pytest -n 2

# Browser tests need Debian's Chromium (no downloaded browser builds).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Chromium from Debian's packages..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy kabinet bench

## make messages: extract strings and compile both languages' catalogues.
messages: install
	cd kabinet && ../$(PY) ../manage.py makemessages -l ru -l en --no-obsolete --ignore "tests/*"
	cd kabinet && ../$(PY) ../manage.py compilemessages

bench: install
	bash scripts/bench.sh

clean-demo:
	rm -rf var/kabinet.sqlite3* var/paysim.sqlite3* var/billingsim var/mail
