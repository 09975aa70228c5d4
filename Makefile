# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint typecheck check bench clean messages

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# HOST and PORT reach the app too: unless SITE_URL is set, emailed links follow them.
RUN_ENV = DESPACHO_DEBUG=$${DESPACHO_DEBUG:-1} HOST=$(HOST) PORT=$(PORT)

run: $(STAMP)
	$(RUN_ENV) $(BIN)/despacho migrate --noinput
	$(RUN_ENV) $(BIN)/despacho demo
	$(RUN_ENV) $(BIN)/despacho runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# Recompile the committed catalogs after editing a .po (needs GNU gettext's msgfmt; CI
# and a fresh clone use the committed .mo files, tests/test_spanish.py checks they match).
messages:
	for po in src/despacho/locale/*/LC_MESSAGES/django.po; do msgfmt --check-format -o "$${po%.po}.mo" "$$po"; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
