"""`pip install .` puts one import package, `csenet`, into site-packages and nothing else.

The wheel is built offline from this checkout (no build isolation, no dependencies
fetched) and installed into a fresh virtualenv that borrows the test environment's
dependencies through a path entry, not through its site machinery, so the editable
install of this checkout is invisible there.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(python of a fresh venv with csenet installed from the wheel, the wheel)."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "src"  # a copy, so the build leaves no build/ or egg-info in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "node_modules", "csenet-data", "demo-bundle", "out",
        "__pycache__", ".*cache", "tests", "bench", "docs"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(tmp / "dist"), str(source)], check=True, capture_output=True, cwd=tmp)
    wheel = next((tmp / "dist").glob("csenet-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp / "venv")], check=True)
    python = tmp / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, cwd=tmp)
    # the test environment's dependencies, as a plain path: its .pth files (the editable csenet) do not run
    (site / "zz-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, wheel


def _python(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=python.parent.parent.parent)


def test_the_wheel_holds_only_the_csenet_package(installed):
    _, wheel = installed
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"csenet", "csenet-0.1.0.dist-info"}, tops
    for data in ("csenet/cypher/networks.cypher", "csenet/audit/lexicon.yaml", "csenet/api/static/csenet.grass"):
        assert data in names


def test_the_installed_files_are_only_csenet(installed):
    """What `pip show -f csenet` lists: the dist-info's RECORD."""
    python, _ = installed
    record = _python(python, "from importlib.metadata import files; print('\\n'.join(str(f) for f in files('csenet')))")
    assert record.returncode == 0, record.stderr
    paths = record.stdout.split()
    scripts = [p for p in paths if p.startswith("..")]
    assert all(p.endswith("/bin/csenet") for p in scripts), scripts  # the console script, outside site-packages
    tops = {p.split("/", 1)[0] for p in paths if p not in scripts}
    assert tops == {"csenet", "csenet-0.1.0.dist-info"}, tops
    assert "csenet" in tops


def test_import_csenet_api_works_and_import_api_fails(installed):
    python, _ = installed
    ok = _python(python, "import csenet.api.app, csenet.graph.store, csenet.cypher; "
                         "import csenet; print(csenet.__file__)")
    assert ok.returncode == 0, ok.stderr
    assert "site-packages" in ok.stdout and str(ROOT) not in ok.stdout
    for generic in ("api", "graph", "loaders", "cypher", "exports", "networks", "audit", "resolution", "synth"):
        failed = _python(python, "import %s" % generic)
        assert failed.returncode != 0 and "ModuleNotFoundError" in failed.stderr, generic


def test_package_data_is_found_from_the_installed_package(installed):
    python, _ = installed
    found = _python(python, "from csenet.cypher.registry import load_registry; print(len(load_registry()))")
    assert found.returncode == 0, found.stderr
    assert int(found.stdout) >= 5
