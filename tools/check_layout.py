# SPDX-License-Identifier: GPL-3.0-or-later
"""Import-linter's contracts and mypy (both configured in pyproject.toml) on csenet as installed.

The repository's folders are mapped into `csenet` by setuptools' package-dir, which
import-linter and mypy (they walk one package folder) cannot follow. So the .py files
are laid out as the wheel lays them out, in a folder outside the tree, and both run
there. `run_lint_imports(extra=...)` adds modules to a throw-away copy (the test uses it
to prove a contract fails on an upward import). Exit status: non-zero if either fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def stage(dest: Path, root: Path = ROOT) -> Path:
    """Copy each package-dir folder's .py files to dest/<dotted path> (mtimes kept); returns dest."""
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = config.get("package-dir", {})
    shutil.rmtree(dest / "csenet", ignore_errors=True)
    for package in config["packages"]:
        source = root / mapping.get(package, package.replace(".", "/"))
        target = dest.joinpath(*package.split("."))
        target.mkdir(parents=True, exist_ok=True)
        for path in source.glob("*.py"):
            shutil.copy2(path, target / path.name)
    return dest


def _run(command: list[str], staged: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(staged)}  # the staged copy before any editable install
    return subprocess.run(command, cwd=staged, env=env, capture_output=True, text=True)


def lint_imports(staged: Path, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return _run([str(BIN / "lint-imports"), "--no-cache", str(root / "pyproject.toml")], staged)


def run_lint_imports(extra: dict[str, str] | None = None, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """lint-imports on a throw-away staged copy with `extra` modules ({relative path: source}) added."""
    with tempfile.TemporaryDirectory(prefix="csenet-imports-") as tmp:
        staged = stage(Path(tmp), root)
        for rel, text in (extra or {}).items():
            (staged / rel).write_text(text)
        return lint_imports(staged, root)


def mypy(staged: Path, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return _run([str(BIN / "mypy"), "--config-file", str(root / "pyproject.toml"),
                 "--cache-dir", str(staged / ".mypy_cache"), "-p", "csenet"], staged)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-mypy", action="store_true", help="only the import contracts")
    args = parser.parse_args()
    staged = stage(Path(sys.prefix) / "csenet-staged")  # outside the tree; mypy's cache survives runs
    status = 0
    checks = [("import contracts", lint_imports)] + ([] if args.no_mypy else [("mypy", mypy)])
    for name, check in checks:
        result = check(staged)
        text = result.stdout.split("Contracts\n---------", 1)[-1].strip() or result.stderr.strip()
        print("%s: %s\n%s" % (name, "ok" if result.returncode == 0 else "FAILED", text))
        status = status or result.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
