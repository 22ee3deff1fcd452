# Every target sets itself up on a fresh machine: Debian libraries (as root), a venv, the package.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXAMPLE := resources/examples/auth-service.md

.PHONY: run test lint-example clean

$(STAMP): pyproject.toml packaging/debian-deps.sh
	PYTHON=$(PYTHON) bash packaging/debian-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

## Show the example plan's lint summary and export it to out/auth-service.
run: $(STAMP)
	$(VENV)/bin/cardsmith lint $(EXAMPLE)
	$(VENV)/bin/cardsmith export $(EXAMPLE) --out out/auth-service --format folder

## The whole test suite (offscreen Qt, a local stand-in for the API; never the internet).
test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) out build dist *.egg-info .pytest_cache .hypothesis
