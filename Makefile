# `make run` starts the portal on a fresh machine; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_VAR_DIR ?= $(CURDIR)/var/test

.PHONY: install migrate static seed run test test-fast lint format bench messages test-tools clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet ".[dev]"
	touch $(INSTALLED)

install: $(INSTALLED)

migrate: install
	$(BIN)/python manage.py migrate --noinput

static: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

seed: migrate
	$(BIN)/python manage.py seed --demo

run: seed static
	@echo
	@echo "  The portal:      http://127.0.0.1:8000"
	@echo "  Staff sign-in:   http://127.0.0.1:8000/staff/  (accounts above, password demo-pass-311,"
	@echo "                   then a backup code 311311..311315, each once)"
	@echo "  Traffic board:   http://127.0.0.1:8000/traffic/  (sign in as traffic)"
	@echo "  Catalog admin:   http://127.0.0.1:8000/admin/  (sign in as admin)"
	@echo "  Emails sent:     var/mail/  (one file per message)"
	@echo "  Stop everything: Ctrl-C"
	@echo
	$(BIN)/honcho start -f Procfile

# Browser tests drive Debian's Chromium and the deployment tests run Debian's nginx; install them when
# they are missing and we may.
TEST_PACKAGES := /usr/bin/chromium:chromium /usr/sbin/nginx:nginx-light
test-tools:
	@missing=""; for pair in $(TEST_PACKAGES); do \
	  [ -x "$${pair%%:*}" ] || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing for the browser and deployment tests: install Debian's$$missing."; \
	  fi; \
	fi

test: install test-tools
	mkdir -p $(TEST_VAR_DIR)
	VAR_DIR=$(TEST_VAR_DIR) $(BIN)/pytest

test-fast: install
	VAR_DIR=$(TEST_VAR_DIR) $(BIN)/pytest -m "not browser and not worker" -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py

messages: install
	$(BIN)/python manage.py makemessages -l es --ignore=.venv --ignore=var --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages -l es --ignore=.venv

clean:
	rm -rf var/test var/static
