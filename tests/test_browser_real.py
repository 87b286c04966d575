# SPDX-License-Identifier: GPL-3.0-or-later
"""Neo4j Browser, opened for real: headless Chromium against the session's local Neo4j and
the csenet API serving the guide and style sheet.

It connects with the generated credentials; Browser's post-connect command (neo4j.conf)
loads csenet's style sheet and plays the guide from the API (allow-list and CORS
preflight must be right for that); a canned-query block is clicked and run and its table
checked; a guide block returning nodes is run and the drawn graph must carry csenet's
captions (family names, not ids). Screenshots go to CSENET_TEST_SCREENSHOTS (default
tests/out/browser/), kept as test output.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from csenet.settings import Settings
from tests.api_support import graph_store  # noqa: F401  (fixture)

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("CSENET_TEST_SCREENSHOTS", Path(__file__).parent / "out" / "browser"))
MEMBERS = {"Brannigan", "Oduya", "Kerr"}  # the tiny bundle's network (shared/examples/tiny-bundle/README.md)


def chromium() -> str:
    from tests.neo4j_support import unavailable

    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    unavailable("the Browser test needs Debian's chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def served(local_neo4j, tiny_bundle_source: Path, tmp_path_factory: pytest.TempPathFactory):
    """The tiny bundle in the local Neo4j and the API on the port its post-connect command names."""
    import uvicorn

    from csenet.api.app import create_app
    from csenet.graph.open import open_store
    from csenet.pipeline import load_and_analyse
    from tests.neo4j_support import url_of

    base = tmp_path_factory.mktemp("brapi")
    settings = Settings(data=base, graph=url_of(local_neo4j), graph_name="neo4j")
    store = open_store(settings)
    store.drop_graph()
    load_and_analyse(store, tiny_bundle_source, settings, rejects_path=base / "rejects.csv")
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1",
                                           port=local_neo4j.test_api_port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    yield local_neo4j
    server.should_exit = True
    thread.join(10)
    store.drop_graph()
    store.close()


@pytest.fixture(scope="module")
def page(served, tmp_path_factory: pytest.TempPathFactory):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        from tests.neo4j_support import unavailable
        unavailable("the Browser test needs the playwright package (pip install -e '.[test]')")
    executable = chromium()
    profile = tmp_path_factory.mktemp("chromium")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000})
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(30_000)
        yield page
        context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / ("%s.png" % name)), full_page=True)


def run_block(page, text: str) -> None:
    """Find the guide's runnable block holding `text` (paging through the slides), click it, run it."""
    guide = page.locator('[data-testid="frame"]', has=page.locator('[data-testid="carousel"]')).first
    block = guide.locator("pre.runnable", has_text=text).first
    for _ in range(40):  # forward only: the tests run blocks in the guide's order
        if block.is_visible():
            break
        guide.locator('[data-testid="nextSlide"]').click()
    block.click()
    page.locator('[data-testid="editor-Run"]').click()


def test_browser_connects_and_loads_the_style_and_the_guide(page, served):
    page.goto(served.browser_url)
    page.fill('[data-testid="username"]', "neo4j")
    page.fill('[data-testid="password"]', served.password())
    page.click('[data-testid="connect"]')
    page.get_by_text("Finding child sexual exploitation networks").first.wait_for()
    page.locator('[data-testid="frameCommand"]', has_text=":style").first.wait_for()
    shot(page, "1-connected-guide")
    assert page.locator('[data-testid="frame"]', has_text="{family_name}").count() >= 1


def test_a_graph_block_draws_nodes_with_csenets_captions(page, served):
    run_block(page, "WITH n, collect(p) AS members")
    frame = page.locator('[data-testid="frame"]').first
    frame.locator("svg g.node").first.wait_for()
    time.sleep(1.5)  # let the force layout settle before the screenshot
    shot(page, "2-graph-with-captions")
    captions = {t.strip() for t in frame.locator("svg g.node text").all_text_contents() if t and t.strip()}
    assert captions & MEMBERS, "captions drawn: %s" % sorted(captions)
    assert not any(c.startswith("PER-") for c in captions), "nodes show ids, not the style's captions"


def test_a_canned_query_block_runs_and_shows_its_rows(page, served):
    run_block(page, ":param not_ocg_mapped => false;")
    page.locator('[data-testid="frame"]', has_text=":param limit").first.wait_for()
    time.sleep(3)  # each `:param x => v` is evaluated by the server, after its line is shown
    run_block(page, "WHERE n.size >= $min_size")
    table = page.locator('[data-testid="frame"]').first
    try:
        table.get_by_text("NET-", exact=False).first.wait_for()
    finally:
        shot(page, "3-canned-query-table")


def test_the_guide_answers_the_cors_preflight_and_nothing_else_does(graph_store, tmp_path):  # noqa: F811
    """Browser's `:play` fetch is preflighted; only the public /browser/ routes answer it."""
    from fastapi.testclient import TestClient

    from csenet.api.app import create_app

    settings = Settings(data=tmp_path, graph_name="t_api", users_file=tmp_path / "users.json",
                        access_log=tmp_path / "access-log.jsonl")
    ask = {"Origin": "http://127.0.0.1:7474", "Access-Control-Request-Method": "GET",
           "Access-Control-Request-Headers": "accept, x-requested-with"}
    with TestClient(create_app(settings, graph_store)) as client:
        for path in ("/browser/guide", "/browser/style.grass"):
            r = client.options(path, headers=ask)
            assert r.status_code == 204, (path, r.status_code, r.text)
            assert r.headers["access-control-allow-origin"] == "*"
            assert "GET" in r.headers["access-control-allow-methods"]
            assert r.headers["access-control-allow-headers"] == "accept, x-requested-with"
        r = client.options("/persons/PER-1", headers=ask)
        assert r.status_code == 401 and "access-control-allow-methods" not in r.headers
