# SPDX-License-Identifier: GPL-3.0-or-later
"""Every canned Neo4j query passes Neo4j's own Cypher linter.

The FalkorDB store is what runs in most tests, so a Neo4j-only mistake in a canned query
would otherwise surface first on a force's production server. The linter
(@neo4j-cypher/language-support) runs offline under node; a missing node or package is
a failure, not a skip, so CI cannot go green without having linted.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from csenet.api.browser_guide import MODEL_QUERIES

ROOT = Path(__file__).resolve().parents[1]
LINT_DIR = ROOT / "tools" / "cypher-lint"
LINT_SCRIPT = LINT_DIR / "lint.mjs"
LINT_PACKAGE = LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support" / "package.json"
SCHEMA = LINT_DIR / "csenet-schema.json"
SAMPLE = ROOT / "tests" / "data" / "cypher_lint_sample.cypher"
SETUP = "npm ci --prefix tools/cypher-lint"

BROKEN = "MATCH (p:Person RETURN p"
UNDEFINED_VARIABLE = "MATCH (p:Person) RETURN q"
MISSPELT_LABEL = "MATCH (p:Persn)-[:SUSPECT_IN]->(i:Incident) RETURN p.person_id, i.incident_id"


def canned_query_files() -> list[Path]:
    return sorted((ROOT / "cypher").glob("*.cypher"))


def declared_params() -> dict[str, list[str]]:
    """Parameters each canned query declares in the registry, by query name.

    Handing them to the linter makes a `$param` the query uses but does not declare an
    error. Before the registry exists every `$param` counts as declared.
    """
    try:
        from csenet.cypher.registry import load_registry
    except ImportError:
        return {}
    registry = load_registry()
    queries = registry.values() if isinstance(registry, dict) else registry
    return {q.name: [p.name for p in q.params] for q in queries}


def run_linter(items: list[dict]) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not on PATH: install Node.js >= 20 and run `{SETUP}` (the Cypher lint cannot run)")
    if not LINT_PACKAGE.exists():
        pytest.fail(f"@neo4j-cypher/language-support is not installed: run `{SETUP}` from {ROOT}")
    proc = subprocess.run(
        [node, str(LINT_SCRIPT), "-"],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    if proc.returncode not in (0, 1):
        pytest.fail(f"the Cypher linter could not run (exit {proc.returncode}): {proc.stderr.strip()}")
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def lint_report() -> dict:
    """One node process for everything: loading the library costs about a second."""
    params = declared_params()
    items = []
    for path in canned_query_files():
        item = {"path": str(path), "name": path.stem}
        if path.stem in params:
            item["params"] = params[path.stem]
        items.append(item)
    items += [
        {"path": str(SAMPLE), "name": "sample", "params": ["district", "since", "limit"]},
        *({"name": f"guide:{key}", "text": text, "params": []} for key, text in MODEL_QUERIES.items()),
        {"name": "broken", "text": BROKEN},
        {"name": "undefined_variable", "text": UNDEFINED_VARIABLE},
        {"name": "misspelt_label", "text": MISSPELT_LABEL},
        {"name": "undeclared_param", "text": "MATCH (p:Person {person_id: $pid}) RETURN p", "params": []},
    ]
    report = run_linter(items)
    return {f["name"]: f for f in report["files"]}


def _errors(result: dict) -> list[dict]:
    return [d for d in result["diagnostics"] if d["severity"] == "error"]


def test_canned_queries_have_no_lint_errors(lint_report: dict) -> None:
    files = canned_query_files()
    if not files:
        pytest.skip("no cypher/*.cypher files yet")
    errors, warnings = [], []
    for path in files:
        rel = path.relative_to(ROOT)
        for d in lint_report[path.stem]["diagnostics"]:
            line = f"{rel}:{d['line']}:{d['column']}: {d['message']}"
            (errors if d["severity"] == "error" else warnings).append(line)
    if warnings:
        print("Cypher lint warnings:\n" + "\n".join(warnings))
    assert not errors, "Neo4j Cypher lint errors:\n" + "\n".join(errors)


def test_browser_guide_examples_lint_clean(lint_report: dict) -> None:
    """The guide's model slides hand analysts Cypher too; it must run on Neo4j and name real labels."""
    problems = [
        f"{key}:{d['line']}: {d['severity']}: {d['message']}"
        for key in MODEL_QUERIES
        for d in lint_report[f"guide:{key}"]["diagnostics"]
    ]
    assert not problems, "\n".join(problems)


def test_sample_query_lints_clean(lint_report: dict) -> None:
    """A query written to csenet's model draws no diagnostic at all: the schema is right."""
    assert lint_report["sample"]["diagnostics"] == []


def test_syntax_error_is_reported(lint_report: dict) -> None:
    errors = _errors(lint_report["broken"])
    assert errors, "the linter accepted a query with an unclosed node pattern"
    assert errors[0]["line"] == 1


def test_semantic_error_is_reported(lint_report: dict) -> None:
    assert any("`q` not defined" in d["message"] for d in _errors(lint_report["undefined_variable"]))


def test_unknown_label_is_a_warning(lint_report: dict) -> None:
    diagnostics = lint_report["misspelt_label"]["diagnostics"]
    assert not _errors(lint_report["misspelt_label"])
    assert any("Persn" in d["message"] and d["severity"] == "warning" for d in diagnostics)


def test_undeclared_parameter_is_an_error(lint_report: dict) -> None:
    assert any("$pid" in d["message"] for d in _errors(lint_report["undeclared_param"]))


def _doc_names(section: str) -> set[str]:
    """Backticked names in the first column of a table under a graph-model.md heading."""
    text = (ROOT / "docs" / "graph-model.md").read_text()
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Za-z_]+)`", line.split("|")[1]))
    return names


def test_lint_schema_matches_graph_model() -> None:
    """The linter's schema follows docs/graph-model.md and graph/schema.py, or it would
    warn on correct queries (or stay quiet on misspelt ones)."""
    schema = json.loads(SCHEMA.read_text())
    labels, types, props = set(schema["labels"]), set(schema["relationshipTypes"]), set(schema["propertyKeys"])
    assert _doc_names("Nodes and their merge keys") <= labels
    assert _doc_names("Relationships") <= types
    from csenet.graph.schema import LOOKUP_INDEXES, NODE_KEYS

    assert set(NODE_KEYS) <= labels
    assert set(NODE_KEYS.values()) | {p for ps in LOOKUP_INDEXES.values() for p in ps} <= props
    for edge in schema["graphSchema"]:
        assert edge["from"] in labels and edge["to"] in labels and edge["relType"] in types
