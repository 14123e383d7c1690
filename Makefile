# Reststroom: `make run` serves the demo region, `make test` runs the whole suite.
# Works on a fresh Debian machine with Python 3.11, make and apt; everything else is installed here.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
SIZE   ?= region
CHROMIUM ?= /usr/bin/chromium

.PHONY: serve bench-load run test install install-test db translations browser lint format bench clean help

help:
	@echo "make run    install, migrate, load the demo region and serve on http://$(HOST):$(PORT)"
	@echo "make test   install the test extras and run the whole test suite"
	@echo "make lint   ruff, import contracts and mypy"
	@echo "make bench  engine benchmark (region and national)"
	@echo "make serve  migrate DATABASE_URL and serve with gunicorn (production settings required)"
	@echo "make bench-load  load benchmark of the web app under gunicorn (see bench/README.md)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

translations: $(BIN)/python
	$(BIN)/pybabel compile -d marketplace/translations

db: install translations
	$(FLASK) db upgrade
	$(FLASK) reference load

run: db
	$(FLASK) demo load --if-empty --size $(SIZE)
	$(FLASK) flows run
	$(FLASK) demo exchanges
	@echo "Reststroom runs on http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production: refuses without SECRET_KEY, DATABASE_URL and RESTSTROOM_BASE_URL (config.py).
# Workers: WEB_CONCURRENCY (default 2 x cores + 1); address: HOST/PORT (default 127.0.0.1:8000).
serve: install translations
	@test -n "$$DATABASE_URL" || { echo "make serve: set DATABASE_URL (PostgreSQL), SECRET_KEY and RESTSTROOM_BASE_URL"; exit 2; }
	RESTSTROOM_CONFIG=production $(FLASK) db upgrade
	RESTSTROOM_CONFIG=production $(FLASK) reference load
	exec env RESTSTROOM_CONFIG=production $(BIN)/gunicorn -c python:marketplace.gunicorn_config wsgi:app

# Browser tests drive Debian's Chromium; as root we install it, otherwise we say how.
browser:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo ""; \
	  echo "######################################################################"; \
	  echo "# WARNING: $(CHROMIUM) is missing: the browser tests will be SKIPPED."; \
	  echo "# Install it with:  sudo apt-get install -y chromium"; \
	  echo "######################################################################"; \
	  echo ""; \
	fi

test: install-test translations browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy flows geo

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-test
	$(BIN)/python bench/engine.py --size both

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@touch $@ $(VENV)/.installed $(VENV)/.installed-test

bench-load: $(VENV)/.installed-bench translations
	$(BIN)/python bench/load.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache .hypothesis
