# Rekindle — `make run` starts the whole app, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test e2e bench lint audit deploy-check messages check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

messages: $(VENV)/.runtime
	$(BIN)/python scripts/compile_messages.py

## Start web + Celery worker + beat (+ a private Redis unless REDIS_URL is set) with demo data.
run: $(VENV)/.runtime messages
	$(BIN)/python scripts/run.py

# What production sets (as tests/config/test_settings.py PRODUCTION_ENV): `check --deploy` must find nothing.
DEPLOY_ENV := DEBUG=0 HTTPS=1 SECRET_KEY=prod-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y- \
	ALLOWED_HOSTS=rekindle.example.co.jp DATABASE_URL=postgres://postgres@127.0.0.1:5432/rekindle \
	REDIS_URL=redis://127.0.0.1:6379/0 REKINDLE_VAR_DIR=$(CURDIR)/var/deploy-check

## The whole suite against PostgreSQL/Redis on localhost when they answer, else SQLite + embedded Redis.
## Gates first: migrations, ruff (with the bandit S rules), check --deploy, pip-audit; then pytest.
test: $(VENV)/.dev messages
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m ruff check .
	$(MAKE) --no-print-directory deploy-check audit
	$(BIN)/python -m pytest

## Django's deployment checklist under production settings; any warning fails.
deploy-check: $(VENV)/.runtime
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

## pip-audit on the pinned requirements: fails on a known vulnerability; only warns when no advisory service
## answers (an offline network), see scripts/audit_requirements.py.
audit: $(VENV)/.dev
	$(BIN)/python scripts/audit_requirements.py

## Only the browser tests (headless chromium).
e2e: $(VENV)/.dev messages
	$(BIN)/python -m pytest -m browser

lint: $(VENV)/.dev
	$(BIN)/python -m ruff check .

## Benchmarks print figures; they are never part of `make test`.
bench: $(VENV)/.dev messages
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/contact_list_bench.py
	$(BIN)/python bench/dormancy_bench.py
	$(BIN)/python bench/segment_bench.py

clean:
	rm -rf $(VENV) staticfiles
