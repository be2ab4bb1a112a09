# The two jobs of the README. Both work on a fresh Debian machine as root (CI) or with sudo.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test install install-test lint pytest build bench

## Install normgraph and serve the graph from the embedded store on http://127.0.0.1:8000/
serve: install
	normgraph serve

install:
	$(PIP) install --quiet -e .

## Install everything the tests need (Python packages, Debian's chromium) and run them all
test: install-test lint pytest

install-test:
	command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; }
	$(PIP) install --quiet -e '.[test]'

lint:
	$(PYTHON) -m ruff check normgraph tests bench

pytest:
	$(PYTHON) -m pytest -q

## Regenerate data/*.ttl from ../shared/reference (or $$NORMGRAPH_SOURCES)
build: install
	normgraph build

## Measure (figures go to bench/README.md)
bench: install-test
	$(PYTHON) -m bench
