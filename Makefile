# Rekindle — `make run` starts the whole app, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test e2e bench lint messages check clean

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

## The whole suite against PostgreSQL/Redis on localhost when they answer, else SQLite + embedded Redis.
test: $(VENV)/.dev messages
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest

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
