# Every target sets itself up on a fresh machine: Debian libraries (as root), a venv, the package.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EXAMPLE := resources/examples/auth-service.md
WORKCOPY := out/example

.PHONY: run test screenshot package bench clean

$(STAMP): pyproject.toml packaging/debian-deps.sh
	PYTHON=$(PYTHON) bash packaging/debian-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

## Open the window on a working copy of the example plan (out/example/; the bundled one stays as shipped).
run: $(STAMP)
	@test -f $(WORKCOPY)/auth-service.md || { mkdir -p $(WORKCOPY) && cp -R $(EXAMPLE) $(EXAMPLE:.md=.cards) $(WORKCOPY)/; }
	$(VENV)/bin/cardsmith $(WORKCOPY)/auth-service.md

## The whole test suite (offscreen Qt, a local stand-in for the API; never the internet). Where npm is
## installed, the Docusaurus and Starlight sites the suite builds get their packages first, once, in ~/.cache.
test: $(STAMP)
	$(PY) -m tests.helpers.npm_sites install
	$(PY) -m pytest

## The README's picture: the window mid-run under a virtual X screen, against the local stand-in.
screenshot: $(STAMP)
	PYTHON=$(PYTHON) bash packaging/debian-deps.sh --screen
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) packaging/screenshot.py docs/screenshot.png

## A one-folder program at dist/cardsmith/cardsmith (PyInstaller, QtWebEngine included), then its smoke test.
PACKAGE_STAMP := $(VENV)/.installed-package
$(PACKAGE_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,package]'
	touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build packaging/cardsmith.spec
	$(PY) packaging/smoke.py dist/cardsmith/cardsmith
	@du -sh dist/cardsmith

## Benchmarks (parallel efficiency, the window under load, start-up, scale); offscreen, local stand-in.
bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) out build dist *.egg-info .pytest_cache .hypothesis
