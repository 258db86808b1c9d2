# Two commands matter: `make run` (the site on SQLite with demo data at
# http://127.0.0.1:8000) and `make test` (lint, unit tests, then the integration and
# browser tests against PostgreSQL, Redis and Chromium on this machine).
VENV ?= .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/spine_match
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
# The compiled Spanish catalogue is built here, never committed; editing the .po rebuilds it.
CATALOGUES := locale/es/LC_MESSAGES/django.mo

.PHONY: run test lint unit integration cluster-test browser install services

install: $(VENV)/.installed $(CATALOGUES)

# npm brings us-atlas (the state outlines the results map draws) and axe-core (the
# accessibility audit of the browser tests).
$(VENV)/.installed: pyproject.toml package-lock.json
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	npm ci --silent --no-audit --no-fund
	$(PY) -m geo.zipdata
	touch $@

# A build step: DEBUG=1, the development settings, not a production environment.
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po $(VENV)/.installed
	bash scripts/gettext-up
	DEBUG=1 $(PY) manage.py compilemessages --locale $* --ignore '.venv' --ignore 'node_modules' --ignore 'var'

run: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py seed_demo --if-empty
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

lint: install
	$(PY) -m ruff check .

unit: install
	$(PY) -m pytest -m "not integration and not browser"

services:
	bash scripts/services-up

integration: install services
	DATABASE_URL=$(PG_TEST_URL) CELERY_BROKER_URL=$(REDIS_TEST_URL) $(PY) -m pytest --create-db -m "integration and not cluster"

# HAProxy in front of two gunicorn instances, two Celery workers, the relay and a beat, on
# a Redis and a PostgreSQL of their own (ports 18050-18055, 6391, 5441); every process is
# stopped after.
cluster-test: install
	bash scripts/cluster-up --install-only
	$(PY) -m pytest -m cluster -s

browser: install
	bash scripts/browser-up
	$(PY) -m pytest -m browser

test: lint unit integration cluster-test browser
