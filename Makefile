# The jobs of the README. They work on a fresh Debian machine as root (CI) or with sudo.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Wait for another apt/dpkg process (unattended upgrades, a second job) instead of failing at once:
# dpkg's lock is waited for by apt itself; the package lists' lock (apt-get update) is not, so retry.
APT_GET := $(SUDO) apt-get -o DPkg::Lock::Timeout=600
# The fast tier runs on pytest-xdist workers (the test extra installs it; PYTEST_WORKERS=0: one
# process); the slow, browser and remote tests run after it in one process, as some of them time
# things and would suffer from a neighbour.
PYTEST_WORKERS ?= 2
PYTEST := $(PYTHON) -m pytest -q
FAST := not slow and not browser and not remote

.PHONY: serve test test-fast install install-test lint pytest wheel build bench

## Install normgraph and serve the graph from the embedded store on http://127.0.0.1:8000/
serve: install
	normgraph serve

install:
	$(PIP) install --quiet -e .

## Install everything the tests need (Python packages, Debian's chromium and Virtuoso) and run them all
test: install-test lint pytest

## The fast tier (no slow, browser or remote tests): a few minutes
test-fast: install-test
	$(PYTEST) -n $(PYTEST_WORKERS) -m "$(FAST)"

install-test:
	{ command -v chromium >/dev/null 2>&1 && command -v virtuoso-t >/dev/null 2>&1; } || { \
	  for try in 1 2 3 4 5 6 7 8 9 10; do $(APT_GET) update -qq && break; \
	    echo "apt-get update failed (another apt holds the lists lock?); retrying in 15 s"; sleep 15; done; \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq chromium chromium-driver virtuoso-opensource; }
	$(PIP) install --quiet -e '.[test]'

## ruff over everything; mypy over normgraph/ and bench/ (its settings are in pyproject.toml)
lint:
	$(PYTHON) -m ruff check normgraph tests bench
	$(PYTHON) -m mypy

pytest:
	$(PYTEST) -n $(PYTEST_WORKERS) -m "$(FAST)"
	$(PYTEST) -m "not ($(FAST))"

## Build the wheel (dist/normgraph-*.whl): the knowledge ships inside it
wheel:
	rm -rf build  # setuptools would reuse build/lib and ship files deleted since the last build
	$(PYTHON) -m build --wheel

## Regenerate data/*.ttl from the reference sources ($$NORMGRAPH_SOURCES)
build: install
	normgraph build

## Measure (figures go to bench/README.md)
bench: install-test
	$(PYTHON) -m bench
