# The README's commands are these targets.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8000
# `make run` is a local, single-user run: DEBUG is asked for here, never by default.
RUN_ENV = DEBUG=1

.PHONY: run setup install migrate seed test test-sqlite test-postgres vendor screenshots bench lint check-deploy clean

run: setup ## Set up (venv, install, migrate, seed) and start the app on http://127.0.0.1:$(PORT)/
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

setup: install migrate seed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt

migrate:
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

seed:
	$(RUN_ENV) $(BIN)/python manage.py loadseed

test: install ## Install and run every test (browser tests need Debian's chromium: see README)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-sqlite: install
	env -u DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-vendor the NHS.UK frontend and Leaflet.markercluster builds into static/vendor/.
# Needs Node and the npm registry; the result is committed so running the app needs neither.
# See docs/adr/0003-vendoring-nhsuk-frontend.md.
vendor:
	bash scripts/vendor-assets.sh

check-deploy:
	SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=directory.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

bench:
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
