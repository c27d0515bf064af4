# `make run` starts the portal on a fresh machine; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_VAR_DIR ?= $(CURDIR)/var/test

.PHONY: install migrate static seed signing-key run test test-fast lint format bench mutants messages test-tools clean

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

# The self-signed pair that signs approved copies (docs/deploy.md: a city sets its own certificate).
signing-key: install
	$(BIN)/python manage.py signing_key

run: seed static signing-key
	@echo
	@echo "  The portal:      http://127.0.0.1:8000"
	@echo "  Staff sign-in:   http://127.0.0.1:8000/staff/  (accounts above, password demo-pass-311,"
	@echo "                   then a backup code 311311..311315, each once)"
	@echo "  Traffic board:   http://127.0.0.1:8000/traffic/  (sign in as traffic)"
	@echo "  Catalog admin:   http://127.0.0.1:8000/admin/  (sign in as admin)"
	@echo "  Emails sent:     var/mail/  (one file per message)"
	@echo "  Texts sent:      var/sms/   (one file per text; codes to confirm a number are here)"
	@echo "  Stop everything: Ctrl-C"
	@echo
	$(BIN)/honcho start -f Procfile

# Browser tests drive Debian's Chromium and the deployment tests run Debian's nginx; install them when
# they are missing and we may.
TEST_PACKAGES := /usr/bin/chromium:chromium /usr/sbin/nginx:nginx-light /usr/bin/systemd-analyze:systemd
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

# PYTEST_ARGS narrows a run, e.g. PYTEST_ARGS='-m "not backend_independent"' (.ci/run's second pass).
PYTEST_ARGS ?=
test: install test-tools
	mkdir -p $(TEST_VAR_DIR)
	VAR_DIR=$(TEST_VAR_DIR) $(BIN)/pytest $(PYTEST_ARGS)

test-fast: install
	VAR_DIR=$(TEST_VAR_DIR) $(BIN)/pytest -m "not browser and not worker" -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every benchmark, or some: make bench PARTS="filing evidence" (bench/README.md)
PARTS ?=
bench: install
	$(BIN)/python bench/run.py $(PARTS)

# Mutation testing (docs/testing.md): hours, not in CI. One module or a few: make mutants MODULES="reports/outbox.py"
MUTANTS_VAR_DIR ?= $(CURDIR)/var/mutants
MODULES ?=
mutants: install
	VAR_DIR=$(MUTANTS_VAR_DIR) $(BIN)/python bench/mutants.py $(MODULES)

# Every language but English (docs/translations.md): gather the texts, then compile what is translated.
# msgfmt --statistics shows what is left: 0 untranslated and 0 fuzzy before a commit.
MESSAGE_LANGUAGES := es so hmn
messages: install
	$(BIN)/python manage.py makemessages $(MESSAGE_LANGUAGES:%=-l %) \
	  --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=mutants
	$(BIN)/python manage.py compilemessages $(MESSAGE_LANGUAGES:%=-l %) --ignore=.venv
	@for language in $(MESSAGE_LANGUAGES); do \
	  echo -n "$$language: "; msgfmt --check --statistics -o /dev/null locale/$$language/LC_MESSAGES/django.po; \
	done

clean:
	rm -rf var/test var/static
