"""The import contracts (pyproject.toml) hold, and they catch an upward import or a circle."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_layout", ROOT / "tools" / "check_layout.py")
check_layout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_layout)


def test_every_contract_is_kept():
    result = check_layout.run_lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("extra, broken", [
    ({"csenet/graph/upward.py": "import csenet.api.app\n"}, "csenet.graph is not allowed to import csenet.api"),
    ({"csenet/loaders/upward.py": "from csenet.pipeline import load_and_analyse\n"},
     "csenet.loaders is not allowed to import csenet.pipeline"),
    ({"csenet/unplaced.py": "import csenet.graph.store\n"}, "csenet.unplaced"),
], ids=["store-imports-api", "loader-imports-pipeline", "unlisted-module"])
def test_an_upward_import_breaks_the_contract(extra, broken):
    result = check_layout.run_lint_imports(extra)
    assert result.returncode != 0
    assert "Rooms import only downwards BROKEN" in result.stdout
    assert broken in result.stdout


def test_a_circle_between_rooms_breaks_the_contract():
    circle = {"csenet/audit/circle.py": "import csenet.exports.formats\n",
              "csenet/exports/circle.py": "import csenet.audit.engine\n"}
    result = check_layout.run_lint_imports(circle)
    assert result.returncode != 0
    assert "csenet.audit is not allowed to import csenet.exports" in result.stdout


def test_the_protocol_module_imports_no_adapter():
    staged_bad = {"csenet/graph/params.py": (ROOT / "graph" / "params.py").read_text()
                  + "\nfrom csenet.graph.falkordb_store import FalkorStore  # noqa\n"}
    result = check_layout.run_lint_imports(staged_bad)
    assert "The store protocol imports no adapter; adapters do not import each other BROKEN" in result.stdout


def test_nothing_above_graph_imports_a_driver():
    result = check_layout.run_lint_imports({"csenet/api/driver.py": "import neo4j.exceptions\n"})
    assert "Nothing above graph/ imports a database driver BROKEN" in result.stdout
