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
NEO4J  := tools/neo4j/lib/.installed

.PHONY: demo test check install lint-deps neo4j browser-deps bench clean

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

# Neo4j 5.26 community server + Browser jars from Maven Central (graph/neo4j_local.py runs them).
$(NEO4J): tools/neo4j/pom.xml
	@command -v java >/dev/null || { echo "make: the local Neo4j needs Java 17+ (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
	@command -v mvn >/dev/null || { echo "make: building tools/neo4j needs Maven (apt-get install maven)" >&2; exit 1; }
	rm -rf tools/neo4j/lib
	cd tools/neo4j && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime
	@touch $@

neo4j: $(NEO4J)
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

# Seconds: ruff (with complexity), the import contracts and mypy (pyproject.toml).
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python tools/check_layout.py

test: check $(STAMP) $(LINT) $(NEO4J) browser-deps
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV_REAL) $(VENV) csenet-data demo-bundle demo-profile.html tools/cypher-lint/node_modules tools/neo4j/lib
