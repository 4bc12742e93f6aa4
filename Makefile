# The README's commands are these targets.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PORT ?= 8000
# `make run` is a local, single-user run: DEBUG is asked for here, never by default.
RUN_ENV = DEBUG=1

.PHONY: run setup install lock migrate seed test test-postgres mutation vendor bench bench-api bench-admin bench-checkins bench-recall bench-load bench-imports readability check-deploy clean messages backup restore

run: setup ## Set up (venv, install, migrate, seed) and start the app on http://127.0.0.1:$(PORT)/
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

setup: install migrate seed

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Everything the tests and measuring need, exactly as locked (hash-pinned; README "Dependencies").
install: $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock

# Re-make requirements.lock (what the image installs) and requirements-dev.lock (make install) from
# requirements.txt and requirements-dev.txt, with every file's hash, keeping the versions already
# locked where they still fit: after changing either .txt. `make lock LOCK_ARGS=--upgrade` moves
# every package to its newest allowed version; `LOCK_ARGS="--upgrade-package django"` one of them.
# pip-tools runs in a venv of its own; this machine's pip settings (local wheels, extra indexes) are
# ignored, so the hashes are PyPI's, as a new machine and the image build see them.
LOCK_VENV = $(VENV)-lock
PIP_COMPILE = env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-trusted-host $(LOCK_ARGS)
lock:
	test -x $(LOCK_VENV)/bin/pip-compile || ($(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet pip-tools==7.6.2)
	$(PIP_COMPILE) -o requirements.lock requirements.txt
	$(PIP_COMPILE) -o requirements-dev.lock requirements-dev.txt

migrate:
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput

seed:
	$(RUN_ENV) $(BIN)/python manage.py loadseed

test: install ## Install and run every test (on PostgreSQL when DATABASE_URL is set)
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: ## The same suite on the local PostgreSQL
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(MAKE) test

# Mutation testing of one module with the tests that exercise it (scripts/mutation.py, docs/mutation.md):
# `make mutation MODULE=directory/curation/roles.py`, `MUTATION_ARGS=--show` to print the survivors' diffs.
mutation:
	@test -n "$(MODULE)" || ($(BIN)/python scripts/mutation.py --list && echo "Say which module: make mutation MODULE=directory/curation/roles.py" && exit 2)
	$(BIN)/python scripts/mutation.py $(MODULE) $(MUTATION_ARGS)

# Re-vendor the NHS.UK frontend and Leaflet.markercluster builds into static/vendor/.
# Needs Node and the npm registry; the result is committed so running the app needs neither.
# See docs/adr/0003-vendoring-nhsuk-frontend.md.
vendor:
	bash scripts/vendor-assets.sh

# Django's deployment checks, and collectstatic as the Dockerfile runs it, with production settings.
check-deploy:
	SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=directory.example.org SITE_URL=https://directory.example.org DEFAULT_FROM_EMAIL=directory@directory.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING
	tmp=$$(mktemp -d) && SECRET_KEY=collectstatic-only STATIC_ROOT=$$tmp $(BIN)/python manage.py collectstatic --noinput -v0 && rm -rf $$tmp && echo "collectstatic: OK"

# Back up the database named by DATABASE_URL (SQLite by default) to backups/; restore one into an
# empty database: `make restore FILE=backups/backup-....json.gz` (README "Back up and restore").
backup:
	$(BIN)/python manage.py backup

restore:
	@test -n "$(FILE)" || (echo "Say which backup: make restore FILE=backups/backup-....json.gz" && exit 2)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py restore "$(FILE)"

bench:
	$(BIN)/python bench/search.py

bench-api:
	$(BIN)/python bench/api.py

# The curators' side at size: every admin list, the dashboard and the exports, per role, cold, on the
# database `make bench` fills (bench/admin.py; BENCH_ADMIN_DATABASE_URL for another).
bench-admin:
	$(BIN)/python bench/admin.py $(BENCH_ARGS)

# Services checking their entries (issue 20): the check-in page, invitations, the self-audit report.
bench-checkins:
	$(BIN)/python bench/checkins.py $(BENCH_ARGS)

# gunicorn (2 workers, production settings) on the seed, SQLite then PostgreSQL, under load
# from a separate process: every public page type against the About page (bench/load.py).
# Recall at 5 of the keyword search over the realistic queries (ADR 20); RECALL_DATABASE_URL for PostgreSQL.
bench-recall:
	$(BIN)/python bench/recall.py $(BENCH_ARGS)

bench-load:
	$(BIN)/python bench/load.py $(BENCH_ARGS)

# A curator's CSV import of 3,000 generated services on a database of its own, with /healthz, a page
# and a curator's save asked all the while (bench/imports.py; BENCH_ARGS="--database postgres").
bench-imports:
	$(BIN)/python bench/imports.py $(BENCH_ARGS)

# How easy each seeded description for parents is to read (Flesch reading ease, goal 70 or more),
# the lowest, and any word parents' pages never say (bench/readability.py; issue 21).
readability:
	$(BIN)/python bench/readability.py

clean:
	rm -rf $(VENV) $(VENV)-lock staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm

# Refresh the translation catalogue (locale/django.pot) after changing any marked string.
# Needs Debian's gettext. Translators copy it to locale/<lang>/LC_MESSAGES/django.po.
messages:
	$(RUN_ENV) $(BIN)/python manage.py makemessages -l en_GB --keep-pot --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=tests --ignore=screenshots --ignore=mutants
	rm -rf locale/en_GB
