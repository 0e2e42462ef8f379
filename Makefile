# The two commands: `make run` serves the demo, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1:8000
# The suite runs on every core (pytest-xdist, at most 4 workers) and lists its 20 slowest tests (the
# suite should stay well under ten minutes); PYTEST_ARGS="-n 0" runs it in one process.
PYTEST_ARGS ?= -n auto --maxprocesses 4 --durations=20

.PHONY: run test lint format install clean bench load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: $(BIN)/python requirements.txt constraints.txt
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.run-installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.run-installed

## make run: virtualenv, install, migrate, demo data, then the site, a Celery worker and beat (Procfile,
## run by honcho) on http://$(HOST); today's reminders are queued first, so the worker sends them at once
run: $(VENV)/.run-installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py sweep_reminders --queue
	@echo ""
	@echo "Serving on http://$(HOST)/ with a worker and beat – log in as one of the demo users above. Ctrl-C stops them all."
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) $(BIN)/honcho start -f Procfile

## make test: install what tests need (Chromium from Debian too), lint, then the whole suite
test: $(VENV)/.dev-installed
	@bash scripts/ensure-chromium.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .venv-load db.sqlite3 staticfiles var media .pytest_cache .ruff_cache

## make bench: every page of the app and the admin, each board pack and the reminder sweep on the national
## data (`load_scale`, loaded first when missing; PostgreSQL when DATABASE_URL names it), each beside its bare
## SQL, figures also in var/bench.json; then the synthetic checks (1,000-role board and comparison, 100,000
## milestones, the ICS-wide pack). Everything the benchmark makes is rolled back.
bench: $(VENV)/.run-installed
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_scale --if-missing
	@mkdir -p var
	$(BIN)/python manage.py benchmark --roles 1000 --repeat 5 --pages yes --json var/bench.json
	$(BIN)/python manage.py sweep_reminders --bench 100000
	$(BIN)/python manage.py bench_board_pack --places 6 --roles 50 --repeat 3

.venv-load/.installed: requirements-load.txt
	$(PYTHON) -m venv .venv-load
	.venv-load/bin/pip install --quiet -r requirements-load.txt
	touch $@

## make load: 50 users for 60 s (LOAD_CLIENTS, LOAD_TIME) against gunicorn on PostgreSQL (DATABASE_URL) with the
## national data; p95 per page printed and in var/load/; fails on any error (scripts/load-test.sh)
load: $(VENV)/.run-installed .venv-load/.installed
	bash scripts/load-test.sh

.PHONY: image test-production

## make image: the production container image (Dockerfile), as compose.yaml builds it
image:
	docker build -t leadership:latest .

## make test-production: the production processes (Procfile.production: gunicorn, worker, beat) started without
## Docker against PostgreSQL and Redis, and /health/; set DATABASE_URL and REDIS_URL as for `make test` on them
test-production: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -p no:randomly -n 0 tests/test_production.py tests/test_health.py
