# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
# The virtualenv lives outside the tree (one per checkout path) and `.venv` links to it,
# so tree-wide checks (the before-stop hook's grep, duplicates) read only csenet's code.
VENV_HOME ?= $(HOME)/.cache/csenet
VENV_REAL := $(VENV_HOME)/venv-$(shell printf '%s' "$(CURDIR)" | sha256sum | cut -c1-12)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINT   := tools/cypher-lint/node_modules/.installed

.PHONY: demo test install lint-deps browser-deps bench clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "make: no python3.11 or python3 on PATH (csenet needs Python 3.11)" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "make: $(PYTHON) is not Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
	mkdir -p $(VENV_HOME)
	$(PYTHON) -m venv $(VENV_REAL)
	ln -sfn $(VENV_REAL) $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(STAMP)

$(LINT): tools/cypher-lint/package.json tools/cypher-lint/package-lock.json
	npm ci --prefix tools/cypher-lint --no-audit --no-fund --loglevel=error
	@touch $@

lint-deps: $(LINT)

# Headless Chromium for the report's browser test (tests/test_report.py): Debian's packages,
# never a downloaded browser. Without root and without them, that one test skips.
browser-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "make: chromium and chromedriver are missing (apt-get install -y chromium chromium-driver);" \
	  "the report's browser test will skip" >&2; fi

demo: $(STAMP)
	$(BIN)/csenet demo

test: $(STAMP) $(LINT) browser-deps
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV_REAL) $(VENV) csenet-data demo-bundle demo-profile.html tools/cypher-lint/node_modules
