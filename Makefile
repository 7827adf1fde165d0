# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
CHROMIUM := /usr/bin/chromium-headless-shell
# The test run: both cores, unless PYTEST_WORKERS says otherwise. Work is
# handed out by position and an idle worker takes over another's queue
# (`worksteal`): the 142 schemathesis tests share one test id under pytest 9,
# and a scheduler keyed by id would run only one of them.
PYTEST_WORKERS ?= 2
RUN_ADDRESS ?= 127.0.0.1:8000
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal
# Python keeps the compiled test modules (pytest's assertion rewriting is a
# tenth of a run's start) even where the shell asks it not to write bytecode.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run serve shots test test-sqlite test-postgres lint format browser pdf-libs messages schemathesis bench bench-smoke wrk

install: pdf-libs $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

# The web server and the background worker (tasks, and the periodic tick that
# lapses claims, approves reports and ends missions on time) run side by side:
# Ctrl-C, or either of them stopping, stops both.
run: SHELL := /bin/bash
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_data
	@set -m; \
	trap 'kill -- -$$worker -$$server 2>/dev/null; wait' EXIT INT TERM; \
	$(BIN)/python manage.py db_worker & worker=$$!; \
	$(BIN)/python manage.py runserver $(RUN_ADDRESS) & server=$$!; \
	wait -n $$worker $$server

# Chromium's headless shell for the browser tests (Debian's package: the same
# Blink as the browser without its windowing layer, about 40 % less CPU a
# journey), from Debian's packages when missing.
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's Chromium headless shell for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null; \
		elif [ -x /usr/bin/chromium ]; then \
			echo "Chromium's headless shell cannot be installed here: browser tests use /usr/bin/chromium."; \
		else \
			echo "Chromium is missing and cannot be installed here: browser tests will be skipped."; \
		fi; \
	fi

# The system libraries weasyprint renders invoices with (Pango, HarfBuzz, a
# font), from Debian's packages when missing.
PDF_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf-libs:
	@if ! dpkg -s $(PDF_PACKAGES) >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's libraries for invoice PDFs"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_PACKAGES) >/dev/null; \
		else \
			echo "Missing for invoice PDFs (install them as root): $(PDF_PACKAGES)"; \
		fi; \
	fi

# The property tests search deeply once, on SQLite, when HYPOTHESIS_PROFILE=ci
# asks (CI); on PostgreSQL they search briefly: what differs between the two
# databases (locks, races, constraints) has tests of its own.
POSTGRES_HYPOTHESIS_PROFILE ?= quick
test: install browser
	@echo "== Test suite on SQLite"
	env -u DATABASE_URL $(PYTEST)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== Test suite on PostgreSQL ($$DATABASE_URL)"; \
		HYPOTHESIS_PROFILE=$(POSTGRES_HYPOTHESIS_PROFILE) $(PYTEST); \
	fi

# The browser tests again, leaving a phone-size screenshot of every page they
# pass through in var/shots/ (a plain `make test` takes none).
shots: install browser
	rm -rf var/shots
	SHOTS=$(CURDIR)/var/shots env -u DATABASE_URL $(PYTEST) -m browser
	@echo "Screenshots in var/shots/"

# A deeper schemathesis run against the OpenAPI document than the suite's short
# one: `make schemathesis EXAMPLES=500`.
EXAMPLES ?= 100
schemathesis: install
	HYPOTHESIS_PROFILE=ci SCHEMATHESIS_MAX_EXAMPLES=$(EXAMPLES) env -u DATABASE_URL $(BIN)/pytest -p no:xdist -q -m schemathesis

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy microwork
	$(BIN)/lint-imports
	env -u DATABASE_URL $(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install
	cd microwork && ../$(BIN)/django-admin makemessages -l fr --ignore '*/tests/*' && ../$(BIN)/django-admin compilemessages

# wrk, the HTTP load generator of the benchmarks, from Debian's packages when missing.
wrk:
	@if ! command -v wrk >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian's wrk for the benchmarks"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else \
			echo "wrk is missing and cannot be installed here (apt-get install wrk)."; exit 1; \
		fi; \
	fi

# The benchmark (bench/README.md): gunicorn on PostgreSQL then SQLite, driven
# by wrk and locust beside bare twin views; prints one table. About 15 minutes;
# BENCH_SCALES=10000,100000 makes it shorter.
bench: install wrk
	$(BIN)/python bench/run_bench.py

# The same, in about a minute, on SQLite at 2,000 missions: it checks the bench
# runs and prints its table with no error; it asserts no speed (CI).
bench-smoke: install wrk
	BENCH_SMOKE=1 $(BIN)/python bench/run_bench.py
