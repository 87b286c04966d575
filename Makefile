# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINT   := tools/cypher-lint/node_modules/.installed

.PHONY: demo test install lint-deps bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found (csenet needs Python 3.11)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(STAMP)

$(LINT): tools/cypher-lint/package.json tools/cypher-lint/package-lock.json
	npm ci --prefix tools/cypher-lint --no-audit --no-fund --loglevel=error
	@touch $@

lint-deps: $(LINT)

demo: $(STAMP)
	$(BIN)/csenet demo

test: $(STAMP) $(LINT)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) csenet-data demo-bundle tools/cypher-lint/node_modules
