# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenAPI schema says what a client must send, and a client generated from it works.

The generated client is `openapi-python-client`'s, made from the app's own schema into a
temporary folder, imported, and pointed at the real app served by uvicorn on loopback over
the embedded FalkorDB holding the tiny bundle: nothing in the request is hand-made.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from csenet.api.app import create_app
from csenet.api.guard import JUSTIFICATION_EXAMPLE, JUSTIFICATION_PATTERN, valid_justification
from csenet.api.policy import policy_of
from csenet.api.users import add_user
from csenet.settings import Settings
from tests.api_support import graph_store, person_of_record  # noqa: F401  (fixture)

SCHEMA_ONLY = Settings(data=Path("/nonexistent-csenet-schema-only"))


@pytest.fixture(scope="module")
def schema_app():
    return create_app(SCHEMA_ONLY)


def _operations(app):
    schema = app.openapi()
    for route in app.routes:
        if getattr(route, "include_in_schema", False):
            for method in route.methods:
                yield route, policy_of(route.endpoint), schema["paths"][route.path][method.lower()]


def test_person_data_routes_declare_the_justification_and_the_bearer(schema_app):
    schema = schema_app.openapi()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "csn_ token",
        "description": "a token issued with `csenet users add NAME --role ROLE`"}
    person_routes = 0
    for route, policy, op in _operations(schema_app):
        headers = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "header"}
        if policy.public:
            assert op["security"] == [] and not headers, route.path
            continue
        assert op["security"] == [{"bearer": []}], route.path
        assert op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
        if not policy.person_data:
            assert "X-Justification" not in headers, route.path
            continue
        person_routes += 1
        h = headers["X-Justification"]
        assert h["required"] is True, route.path
        assert h["schema"]["pattern"] == JUSTIFICATION_PATTERN, route.path
        assert (h["schema"]["minLength"], h["schema"]["maxLength"]) == (4, 120)
        assert JUSTIFICATION_EXAMPLE in h["schema"]["examples"] or h.get("example") == JUSTIFICATION_EXAMPLE
        assert "428" in op["responses"], route.path
    assert person_routes >= 10


def test_every_json_route_documents_its_response_body(schema_app):
    schema = schema_app.openapi()
    for route, policy, op in _operations(schema_app):
        content = op["responses"]["200"]["content"]
        if "application/json" in content and route.path != "/exports/subgraph":
            ref = content["application/json"]["schema"].get("$ref", "")
            model = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            assert model["properties"], route.path
            if not policy.public:
                assert "protective_marking" in model["properties"], route.path
    prevalence = schema["components"]["schemas"]["PrevalencePage"]
    assert {"page", "page_size", "total", "rows", "query", "params"} <= set(prevalence["properties"])
    row = schema["components"]["schemas"]["PrevalenceRow"]
    assert set(row["required"]) >= {"district", "year", "flagged_cse", "audited_total"}


@pytest.mark.parametrize("value", ["OP-HARBOUR-2024/17", "2024 case 7", "x", "because", "'; DROP", "a" * 200,
                                   "1234", "abcd", "A1bc", "-A12", "A1" * 60, "A1" * 61, "OP 7\u00e9"])
def test_the_schema_pattern_is_the_guards_rule(value):
    by_schema = 4 <= len(value) <= 120 and re.search(JUSTIFICATION_PATTERN, value) is not None
    assert by_schema == valid_justification(value)


# -- a generated client ---------------------------------------------------------------
def _generate(schema: dict, where: Path) -> str:
    exe = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent)) or "openapi-python-client"
    (where / "schema.json").write_text(json.dumps(schema))
    (where / "config.yaml").write_text("post_hooks: []\npackage_name_override: csenet_client\n")
    subprocess.run([exe, "generate", "--path", str(where / "schema.json"), "--config", str(where / "config.yaml"),
                    "--meta", "none", "--output-path", str(where / "csenet_client")],
                   check=True, capture_output=True, text=True, timeout=300)
    return "csenet_client"


@pytest.fixture(scope="module")
def served(tmp_path_factory, graph_store):
    """The real app on a loopback port, with an investigator's token."""
    import uvicorn

    base = tmp_path_factory.mktemp("gen")
    s = Settings(data=base, graph_name="t_api", access_log=base / "access-log.jsonl", users_file=base / "users.json",
                 pseudonym_key_file=base / "pseudonym.key")
    token = add_user(s, "client", "investigator")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(s, graph_store), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield "http://127.0.0.1:%d" % port, token, s
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def client_package(tmp_path_factory, schema_app):
    where = tmp_path_factory.mktemp("client")
    name = _generate(schema_app.openapi(), where)
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(where))
        for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[mod]


def test_a_generated_client_makes_justified_requests(client_package, served, graph_store):
    from csenet.access_log import read_entries

    url, token, settings = served
    search = importlib.import_module(client_package.__name__ + ".api.persons.person_search")
    prevalence = importlib.import_module(client_package.__name__ + ".api.canned_queries.query_prevalence")
    client = client_package.AuthenticatedClient(base_url=url, token=token)
    with client:
        found = search.sync_detailed(client=client, x_justification=JUSTIFICATION_EXAMPLE, name="Tayla Nowel")
        assert found.status_code == 200, found.content
        assert found.parsed.results[0].person_id == person_of_record(graph_store, "P-1")
        page = prevalence.sync(client=client, x_justification=JUSTIFICATION_EXAMPLE, page_size=5)
        assert page.protective_marking == "OFFICIAL-SENSITIVE" and page.total >= 1
        assert page.rows and all(r.district for r in page.rows) and sum(r.flagged_cse for r in page.rows) >= 1
        assoc = importlib.import_module(client_package.__name__ + ".api.persons.person_associates")
        kyle = person_of_record(graph_store, "P-4")
        associates = assoc.sync(kyle, client=client, x_justification=JUSTIFICATION_EXAMPLE)  # a JSONResponse route
        assert associates.person_id == kyle and associates.associates
        refused = search.sync_detailed(client=client, x_justification="because", name="Tayla")
        assert refused.status_code == 400 and "X-Justification" in refused.parsed.detail
    entries = read_entries(settings.access_log_path(), limit=100)
    assert [(e["action"], e["status"]) for e in entries] == [
        ("person_search", 200), ("query:prevalence", 200), ("person_associates", 200), ("person_search", 400)]
    assert {e["justification"] for e in entries[:3]} == {JUSTIFICATION_EXAMPLE}
