"""Shared fixtures: the shared/ folder, the tiny bundle, and a graph store per backend.

Every store fixture is the real database: the embedded FalkorDB always, and Neo4j 5:
CSENET_TEST_NEO4J_URL if set, else the local Neo4j the session starts once from
tools/neo4j (`make neo4j`), else testcontainers when a Docker engine runs; otherwise the
Neo4j parameter is skipped with the reason (a failure under CSENET_REQUIRE_NEO4J=1).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from csenet.settings import Settings

REPO = Path(__file__).resolve().parents[1]
# csenet's own bundle (tests/data/conformance/README.md): every run uses it.
CONFORMANCE = REPO / "tests" / "data" / "conformance"


def shared_dir() -> Path | None:
    """`../shared` beside the checkout (CI), else the workplace's /work/shared; None without it.

    CSENET_TEST_NO_SHARED=1 pretends there is none: how a fresh clone's run is checked.
    """
    if os.environ.get("CSENET_TEST_NO_SHARED"):
        return None
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if (candidate / "spec" / "record-bundle.md").exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared folder: an extra check, skipped in a clone that has none beside it."""
    found = shared_dir()
    if found is None:
        pytest.skip("no shared/ beside the checkout (%s): the shared examples are an extra check"
                    % (REPO.parent / "shared"))
    return found


@pytest.fixture(scope="session")
def conformance_source() -> Path:
    return CONFORMANCE


@pytest.fixture(scope="session")
def tiny_bundle_source(shared: Path) -> Path:
    return shared / "examples" / "tiny-bundle"


@pytest.fixture()
def tiny_bundle(tiny_bundle_source: Path, tmp_path: Path) -> Path:
    """A private copy, so rejects.csv written beside it stays out of shared/."""
    dest = tmp_path / "tiny-bundle"
    shutil.copytree(tiny_bundle_source, dest)
    return dest


@pytest.fixture(params=["conformance", "shared-tiny"])
def any_bundle(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A private copy of each hand-written bundle: csenet's own always, the shared tiny one when present."""
    if request.param == "conformance":
        source = CONFORMANCE
    else:
        found = shared_dir()
        if found is None:
            pytest.skip("no shared/ beside the checkout: the shared tiny bundle is an extra check")
        source = found / "examples" / "tiny-bundle"
    dest = tmp_path / request.param
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("rejects.csv"))
    return dest


def short_tmp(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    return tmp_path_factory.mktemp(name[:8])


def _neo4j_url() -> tuple[str | None, str]:
    from tests.neo4j_support import local_missing

    url = os.environ.get("CSENET_TEST_NEO4J_URL")
    if url:
        return url, ""
    why = local_missing()
    if why is None:
        return "local", ""
    if not (shutil.which("docker") and Path("/var/run/docker.sock").exists()):
        return None, "Neo4j tests need the local Neo4j (%s), CSENET_TEST_NEO4J_URL or a Docker engine" % why
    return "testcontainers", ""


@pytest.fixture(scope="session")
def local_neo4j(tmp_path_factory: pytest.TempPathFactory):
    """The local Neo4j 5 of this session (graph/neo4j_local.py): started once, on free ports."""
    from tests.neo4j_support import local_missing, local_server, unavailable

    why = local_missing()
    if why:
        unavailable(why)
    yield from local_server(tmp_path_factory.mktemp("neo4j"))


@pytest.fixture(scope="session")
def neo4j_url(request: pytest.FixtureRequest) -> Iterator[str]:
    from tests.neo4j_support import unavailable, url_of

    url, why = _neo4j_url()
    if url == "local":
        yield url_of(request.getfixturevalue("local_neo4j"))
        return
    if url is None:
        unavailable(why)
    if url != "testcontainers":
        yield url
        return
    try:
        from testcontainers.neo4j import Neo4jContainer
    except ImportError as exc:  # pragma: no cover
        pytest.skip("testcontainers[neo4j] not installed: %s" % exc)
    password = uuid.uuid4().hex
    with Neo4jContainer("neo4j:5.26.14-community", password=password) as container:
        bolt = container.get_connection_url().replace("bolt://", "bolt://neo4j:%s@" % password)
        yield bolt


BACKENDS = ["falkordb", "neo4j"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = short_tmp(tmp_path_factory, "db")
    if request.param == "falkordb":
        return Settings(data=data, graph=None, graph_name="t_" + uuid.uuid4().hex[:8], write_concurrency=16)
    url = request.getfixturevalue("neo4j_url")
    return Settings(data=data, graph=url, graph_name="neo4j")


@pytest.fixture(scope="module")
def module_store(backend_settings: Settings):
    from csenet.graph.open import open_store

    store = open_store(backend_settings)
    yield store
    try:
        store.drop_graph()
    finally:
        store.close()


@pytest.fixture()
def store(module_store):
    """An empty graph for each test (same server for the whole module)."""
    module_store.drop_graph()
    module_store.ensure_schema()
    return module_store


def frames_holding(*columns: str) -> int:
    """How many DataFrames alive (after a collection) have every one of `columns`: whether a
    load still holds a bundle's frames at some point."""
    import gc

    import pandas as pd

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, pd.DataFrame) and set(columns) <= set(o.columns))


def graph_counts(store) -> tuple[dict, dict]:
    """Node count per label and relationship count per type: what 'the graph is unchanged' compares."""
    nodes = {r["label"]: r["n"] for r in store.read(
        "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n ORDER BY label")}
    rels = {r["type"]: r["n"] for r in store.read(
        "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n ORDER BY type")}
    return nodes, rels


@pytest.fixture(scope="module")
def tiny_graph(backend_settings: Settings, tmp_path_factory: pytest.TempPathFactory, tiny_bundle_source: Path):
    """The tiny bundle loaded (with analyses) into its own graph on each reachable backend."""
    from csenet.graph.open import open_store
    from csenet.pipeline import load_and_analyse

    store = open_store(backend_settings)
    store.drop_graph()
    load_and_analyse(store, tiny_bundle_source, backend_settings,
                rejects_path=tmp_path_factory.mktemp("rej") / "rejects.csv")
    yield store
    store.drop_graph()
    store.close()
