# Zrunva: `make demo` to try it, `make test` to check it. Everything installs from requirements.lock.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DEMO_HOUSEHOLDS ?= 3000
PG_URL ?= postgres://postgres@127.0.0.1:5432/zrunva_ci

.PHONY: demo test test-sqlite test-postgres test-api lint format bench messages install serve restore-drill

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade "pip>=24"
	$(VENV)/bin/pip install -q -r requirements.lock
	touch $@

install: $(VENV)/.installed

messages: install
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages -v0 --ignore '.venv/*' --ignore 'var/*'

demo: export DJANGO_DEBUG = 1
demo: install messages
	mkdir -p var
	$(PY) manage.py migrate -v0
	$(PY) manage.py createcachetable
	$(PY) manage.py demo_setup --households $(DEMO_HOUSEHOLDS)
	@echo "Serving on http://127.0.0.1:8000 with one background worker (Ctrl+C stops both)."
	trap 'kill 0' EXIT; $(PY) manage.py worker --queue-name '*' & $(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint messages
	mkdir -p var
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run -v1
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

test-sqlite: install
	$(PY) -m pytest -q -m "not schemathesis"

# The browser journey runs once, on SQLite; the rest runs again on PostgreSQL, with the
# schemathesis run over the whole API (config/tests/test_schemathesis.py: fixed seed, at most 50
# examples per operation, throttling off; about 2 minutes on 2 cores).
test-postgres: install
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q --create-db -m "not browser"

# The schemathesis run alone, on PostgreSQL.
test-api: install
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q --create-db -m schemathesis config/tests

bench: install
	$(VENV)/bin/pip install -q -r requirements-bench.lock -c requirements.lock
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench $(PY) bench/registry.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench $(PY) bench/eligibility.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench $(PY) bench/portal_load.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_catalogue $(PY) bench/catalogue.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_questionnaires $(PY) bench/questionnaires.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_cases $(PY) bench/cases.py
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_imports $(PY) bench/imports.py
	$(PY) bench/linkage.py

# Failure drills (issue 19, item 7; README "Failure drills"): the worker killed mid-job and the
# outbox's SMTP outage in the suite's tests, on PostgreSQL; then the database restarted under
# the portal's load, on a throw-away cluster of its own (bench/drill_db_restart.py).
.PHONY: drills
drills: install
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q --create-db -p no:randomly \
		zrunva/payments/tests/test_drill_worker.py zrunva/notifications/tests/test_drill_outbox.py
	$(PY) bench/drill_db_restart.py

# The restore drill (zrunva/audit/backups.py): back up DRILL_DB and its documents, drop the
# database and remove the documents, restore both under the same names, and compare every table's
# row count, the audit trail's digest and every document; non-zero exit on any difference. It
# destroys DRILL_DB: point it at a throw-away or staging copy, never at production. A DRILL_DB
# that does not exist is created first with DRILL_HOUSEHOLDS demo households. Its documents live
# in var/drill/, apart from the demo's.
DRILL_DB ?= zrunva_drill
DRILL_URL ?= postgres://postgres@127.0.0.1:5432/$(DRILL_DB)
DRILL_HOUSEHOLDS ?= 300
restore-drill: export DJANGO_DEBUG = 1
restore-drill: export DATABASE_URL = $(DRILL_URL)
restore-drill: export MEDIA_ROOT = $(CURDIR)/var/drill/media
restore-drill: export PRIVATE_MEDIA_ROOT = $(CURDIR)/var/drill/private
restore-drill: install messages
	@psql "$(DRILL_URL)" -Atqc 'SELECT 1' >/dev/null 2>&1 || { \
	  echo "Creating $(DRILL_DB) with $(DRILL_HOUSEHOLDS) demo households to drill on."; \
	  psql "$(dir $(DRILL_URL))postgres" -qc 'CREATE DATABASE "$(DRILL_DB)"' && \
	  $(PY) manage.py migrate -v0 && $(PY) manage.py createcachetable && \
	  $(PY) manage.py demo_setup --households $(DRILL_HOUSEHOLDS); }
	$(PY) manage.py restore_drill --destroy $(DRILL_DB)
