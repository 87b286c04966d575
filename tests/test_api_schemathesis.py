# SPDX-License-Identifier: GPL-3.0-or-later
"""Schemathesis over the API's own OpenAPI schema, as an authorised analyst: no 5xx, bodies as documented.

Bounded (25 examples per operation) so it runs in `make test`; the requests go to an app
over the real embedded FalkorDB holding the tiny bundle. The schema is read at import
from an app built the same way (building it opens no store); the lazy `from_fixture`
loader is not used because it does not work with pytest 9.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from csenet.api.app import create_app
from csenet.api.users import add_user
from csenet.settings import Settings
from tests.api_support import graph_store  # noqa: F401  (fixture)

JUSTIFICATION = "OP-HARBOUR-2024/17"

schema = schemathesis.openapi.from_dict(create_app(Settings(data=Path("/nonexistent-csenet-schema-only"))).openapi())


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory, graph_store):
    base = tmp_path_factory.mktemp("fuzz")
    s = Settings(data=base, graph_name="t_api", access_log=base / "access-log.jsonl", users_file=base / "users.json",
                 pseudonym_key_file=base / "pseudonym.key")
    token = add_user(s, "fuzzer", "analyst")
    headers = {"Authorization": "Bearer " + token, "X-Justification": JUSTIFICATION}
    with TestClient(create_app(s, graph_store), raise_server_exceptions=False) as client:
        yield client, headers


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, fuzz):
    client, headers = fuzz
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    kwargs.pop("cookies", None)
    generated = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() == "x-justification"}
    # A justification the schema generated (its declared pattern) must pass the guard as it is.
    kwargs["headers"] = {**(kwargs.get("headers") or {}), **headers, **generated}
    response = client.request(**kwargs)
    assert response.status_code != 401, "the fuzzer's token was refused"
    assert response.status_code != 428, "the schema did not declare X-Justification for %s" % case.path
    if response.status_code == 400:
        assert "X-Justification" not in response.json()["detail"], (generated, response.text)
    assert response.headers.get("X-Protective-Marking") == "OFFICIAL-SENSITIVE"
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance], headers=headers)
