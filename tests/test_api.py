# SPDX-License-Identifier: GPL-3.0-or-later
"""The investigator API against a real embedded FalkorDB: every route guarded, every role, the access log."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from csenet.access_log import read_entries, verify
from csenet.api.app import RouteWithoutPolicy, check_policies, create_app
from csenet.api.policy import ROLES, Permission, policy_of
from csenet.api.users import add_user, list_users, revoke
from tests.api_support import VICTIM_NAMES, graph_store, person_of_record  # noqa: F401  (fixture)
from csenet.settings import Settings
from csenet.marking import MARKING

JUST = {"X-Justification": "OP-HARBOUR-2024/17"}
PUBLIC = {"/health", "/browser/guide", "/browser/style.grass"}  # justified in api/routes_admin.py


@pytest.fixture(scope="module")
def api_settings(tmp_path_factory):
    base = tmp_path_factory.mktemp("api")
    return Settings(data=base, graph_name="t_api", access_log=base / "access-log.jsonl",
                    users_file=base / "users.json", pseudonym_key_file=base / "pseudonym.key")


@pytest.fixture(scope="module")
def tokens(api_settings):
    return {role: add_user(api_settings, "user-" + role, role) for role in ROLES}


@pytest.fixture(scope="module")
def app(api_settings, graph_store, tokens):
    return create_app(api_settings, graph_store)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def auth(tokens, role, justification=True):
    headers = {"Authorization": "Bearer " + tokens[role]}
    if justification:
        headers.update(JUST)
    return headers


@pytest.fixture(scope="module")
def ids(graph_store):
    return {"victim": person_of_record(graph_store, "P-1"), "suspect": person_of_record(graph_store, "P-3"),
            "recorded_associate_of": person_of_record(graph_store, "P-4"),
            "associate": person_of_record(graph_store, "P-6")}


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


# -- deny by default ------------------------------------------------------------------
def test_every_route_refuses_requests_without_a_token(app, client):
    walked = set()
    for route in app.routes:
        paths = [route.path] if hasattr(route, "path") else []
        methods = sorted(getattr(route, "methods", None) or {"GET"})
        for path in paths:
            for method in methods:
                walked.add(path)
                r = client.request(method, concrete(path))
                if path in PUBLIC:
                    assert r.status_code != 401, path
                else:
                    assert r.status_code == 401, "%s %s answered %d without a token" % (method, path, r.status_code)
                    assert MARKING not in r.text or "detail" in r.json()
                    bad = client.request(method, concrete(path), headers={"Authorization": "Bearer csn_forged"})
                    assert bad.status_code == 401, path
    assert {"/docs", "/openapi.json", "/redoc"} <= walked
    assert {"/persons/{person_id}", "/exports/subgraph", "/access-log"} <= walked


def test_public_routes_are_exactly_the_declared_exceptions(app):
    public = {r.path for r in app.routes if policy_of(r.endpoint).permission is Permission.PUBLIC}
    assert public == PUBLIC


def test_public_browser_routes_carry_no_person_data(client, graph_store):
    names = {r["n"] for r in graph_store.read("MATCH (r:PersonRecord) RETURN r.family_name AS n")}
    for path in PUBLIC - {"/health"}:
        r = client.get(path)
        assert r.status_code in (200, 501)
        for name in names:
            assert name not in r.text


def test_unknown_paths_need_a_token_too(client, tokens):
    assert client.get("/nowhere").status_code == 401
    r = client.get("/nowhere", headers=auth(tokens, "investigator"))
    assert r.status_code == 404 and r.json()["protective_marking"] == MARKING


def test_a_route_without_a_policy_stops_the_app_and_is_refused_at_request_time(app, client, tokens, api_settings):
    from fastapi import FastAPI

    bare = FastAPI()

    @bare.get("/undeclared")
    def undeclared() -> dict:
        return {"secret": "data"}

    with pytest.raises(RouteWithoutPolicy):
        check_policies(bare)

    late = create_app(api_settings, app.state.store)
    late.add_api_route("/late", lambda: {"secret": "data"}, methods=["GET"])
    with TestClient(late) as c:
        r = c.get("/late", headers=auth(tokens, "admin"))
    assert r.status_code == 403 and "secret" not in r.text


def test_openapi_docs_need_a_token(client, tokens):
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=auth(tokens, "investigator", False)).status_code == 200
    schema = client.get("/openapi.json", headers=auth(tokens, "investigator", False)).json()
    assert schema["info"]["x-protective-marking"] == MARKING
    assert "bearer" in schema["components"]["securitySchemes"]


# -- roles ------------------------------------------------------------------------------
ROLE_MATRIX = [
    ("/version", {"investigator", "analyst", "supervisor", "admin"}),
    ("/persons/{victim}", {"investigator", "analyst", "supervisor", "admin"}),
    ("/exports/subgraph?person_id={suspect}&format=json", {"analyst", "supervisor", "admin"}),
    ("/exports/subgraph?person_id={suspect}&format=json&reidentify=true", {"supervisor", "admin"}),
    ("/access-log?limit=5", {"supervisor", "admin"}),
    ("/access-log/verify", {"supervisor", "admin"}),
    ("/users", {"admin"}),
]


@pytest.mark.parametrize("path,allowed", ROLE_MATRIX)
def test_each_role_allowed_and_refused(client, tokens, ids, path, allowed):
    url = path.format(**ids)
    for role in ROLES:
        r = client.get(url, headers=auth(tokens, role))
        if role in allowed:
            assert r.status_code == 200, (role, url, r.text)
        else:
            assert r.status_code == 403, (role, url, r.status_code)
            assert "permission" in r.json()["detail"]


def test_revoked_token_is_refused_at_once(client, api_settings):
    token = add_user(api_settings, "leaver", "investigator")
    h = {"Authorization": "Bearer " + token}
    assert client.get("/version", headers=h).status_code == 200
    assert revoke(api_settings, "leaver")
    assert client.get("/version", headers=h).status_code == 401
    listed = list_users(api_settings)
    assert any(u.name == "leaver" and u.revoked for u in listed)
    assert all(not hasattr(u, "token_sha256") for u in listed)
    assert token not in api_settings.users_path().read_text()
    assert api_settings.users_path().stat().st_mode & 0o777 == 0o600


# -- justification ----------------------------------------------------------------------
def test_person_data_needs_a_justification(client, tokens, ids):
    url = "/persons/%s" % ids["victim"]
    r = client.get(url, headers=auth(tokens, "investigator", justification=False))
    assert r.status_code == 428 and "X-Justification" in r.json()["detail"]
    assert "Nowell" not in r.text
    for bad in ("x", "because", "'; DROP", "a" * 200):
        r = client.get(url, headers={**auth(tokens, "investigator", False), "X-Justification": bad})
        assert r.status_code == 400, bad
    assert client.get(url, headers=auth(tokens, "investigator")).status_code == 200


# -- access log -------------------------------------------------------------------------
def test_access_is_logged_with_a_valid_chain(client, tokens, ids, api_settings):
    r = client.get("/persons/search", params={"name": "Tayla Nowel"}, headers=auth(tokens, "investigator"))
    assert r.status_code == 200
    entries = read_entries(api_settings.access_log_path(), limit=100_000)
    last = entries[-1]
    assert last["user"] == "user-investigator" and last["role"] == "investigator"
    assert last["route"] == "GET /persons/search" and last["action"] == "person_search"
    assert last["parameters"] == {"name": "Tayla Nowel"}
    assert last["justification"] == JUST["X-Justification"]
    assert last["records"] == len(r.json()["results"]) >= 1
    assert last["outcome"] == "ok" and last["status"] == 200
    assert re.match(r"^\d{4}-\d\d-\d\dT.*\+00:00$", last["time"])
    result = verify(api_settings.access_log_path())
    assert result.ok, result.problems
    text = api_settings.access_log_path().read_text()
    assert all(t not in text for t in tokens.values())
    assert api_settings.access_log_path().stat().st_mode & 0o777 == 0o600


def test_refusals_are_logged(client, tokens, ids, api_settings):
    client.get("/persons/%s" % ids["victim"], headers=auth(tokens, "investigator", justification=False))
    last = read_entries(api_settings.access_log_path(), limit=100_000)[-1]
    assert last["outcome"] == "denied" and last["status"] == 428 and last["records"] == 0


def test_supervisor_reads_the_log(client, tokens):
    r = client.get("/access-log", params={"limit": 3}, headers=auth(tokens, "supervisor"))
    assert r.status_code == 200 and len(r.json()["entries"]) == 3
    v = client.get("/access-log/verify", headers=auth(tokens, "supervisor", False)).json()
    assert v["ok"] and v["entries"] > 3


def _tamper(src: Path, dst: Path, how: str) -> None:
    lines = src.read_text().splitlines(keepends=True)
    if how == "edit":
        doc = json.loads(lines[1])
        doc["user"] = "someone-else"
        lines[1] = json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n"
    elif how == "delete":
        del lines[1]
    elif how == "reorder":
        lines[1], lines[2] = lines[2], lines[1]
    elif how == "insert":
        lines.insert(2, lines[1])
    dst.write_text("".join(lines))


@pytest.mark.parametrize("how", ["edit", "delete", "reorder", "insert"])
def test_tampered_log_is_detected(client, tokens, api_settings, tmp_path, how):
    for _ in range(3):
        client.get("/version", headers=auth(tokens, "investigator", False))
    copy = tmp_path / "log.jsonl"
    shutil.copy(api_settings.access_log_path(), copy)
    assert verify(copy).ok
    _tamper(api_settings.access_log_path(), copy, how)
    result = verify(copy)
    assert not result.ok and result.problems


def test_truncation_is_detected_against_a_kept_head(api_settings, tmp_path):
    from csenet.access_log import head
    copy = tmp_path / "log.jsonl"
    lines = api_settings.access_log_path().read_text().splitlines(keepends=True)
    copy.write_text("".join(lines[:-1]))
    assert verify(copy).ok
    assert not verify(copy, expect_head=head(api_settings.access_log_path())).ok


def test_unwritable_log_fails_the_request_with_no_data(graph_store, tmp_path, ids):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    s = Settings(data=tmp_path, graph_name="t_api", access_log=blocker / "access-log.jsonl",
                 users_file=tmp_path / "users.json")
    token = add_user(s, "inv", "investigator")
    with TestClient(create_app(s, graph_store), raise_server_exceptions=False) as c:
        r = c.get("/persons/%s" % ids["suspect"], headers={"Authorization": "Bearer " + token, **JUST})
    assert r.status_code == 503
    assert "Brannigan" not in r.text and "access log" in r.json()["detail"]
    assert r.headers["X-Protective-Marking"] == MARKING


# -- markings and errors ----------------------------------------------------------------
def test_every_response_is_marked(client, tokens, ids):
    for path, headers in (("/health", {}), ("/version", {}), ("/nowhere", {}),
                          ("/persons/%s" % ids["victim"], auth(tokens, "investigator")),
                          ("/persons/search?limit=0", auth(tokens, "investigator"))):
        r = client.get(path, headers=headers)
        assert r.headers["X-Protective-Marking"] == MARKING, path
        assert r.json()["protective_marking"] == MARKING, path
        assert r.headers["Cache-Control"] == "no-store"


def test_bad_parameters_say_what_to_fix_without_a_trace(client, tokens):
    h = auth(tokens, "investigator")
    r = client.get("/queries/prevalence", params={"year": "twenty"}, headers=h)
    assert r.status_code == 422 and "year" in r.json()["detail"]
    r = client.get("/queries/prevalence", params={"page_size": 100_000}, headers=h)
    assert r.status_code == 422 and "page_size" in r.json()["detail"]
    r = client.get("/persons/search", headers=h)
    assert r.status_code == 422 and "name or an identifier" in r.json()["detail"]
    r = client.get("/persons/a%00b", headers=h)
    assert r.status_code == 400
    for resp in (r,):
        assert "Traceback" not in resp.text


def test_store_unavailable_is_a_plain_503(tmp_path, tokens, api_settings):
    from csenet.graph.falkordb_store import FalkorStore

    dead = FalkorStore.embedded(Settings(data=tmp_path / "d", graph_name="dead"))
    dead.close()
    with TestClient(create_app(api_settings, dead), raise_server_exceptions=False) as c:
        r = c.get("/persons/PER-X", headers=auth(tokens, "investigator"))
    assert r.status_code == 503 and "Traceback" not in r.text
    assert r.json()["detail"].startswith("the graph store")


# -- what investigators see ---------------------------------------------------------------
def test_person_search_tolerates_spelling(client, tokens, ids):
    h = auth(tokens, "investigator")
    for name in ("Tayla Nowel", "Taylah Nowell", "Nowell, Tayla", "Tayler Nowel"):
        hits = client.get("/persons/search", params={"name": name}, headers=h).json()["results"]
        assert hits and hits[0]["person_id"] == ids["victim"], name
    hits = client.get("/persons/search", params={"name": "Kyle Branigan", "date_of_birth": "1990"},
                      headers=h).json()["results"]
    assert hits[0]["person_id"] == ids["suspect"]
    hits = client.get("/persons/search", params={"identifier": "+44 7700 900111"}, headers=h).json()["results"]
    assert [x["person_id"] for x in hits] == [ids["victim"]]
    assert client.get("/persons/search", params={"name": "Zzyzx Qwerty"}, headers=h).json()["results"] == []


def test_person_profile(client, tokens, ids):
    h = auth(tokens, "investigator")
    body = client.get("/persons/%s" % ids["suspect"], headers=h).json()
    assert "P-3" in {r["record"]["record_id"] for r in body["records"]}
    assert all(r["match_probability"] is not None for r in body["records"])
    assert ("SUSPECT_IN", "INC-1") in {(i["relationship"], i["incident"]["incident_id"]) for i in body["incidents"]}
    victim = client.get("/persons/%s" % ids["victim"], headers=h).json()
    assert {r["record"]["record_id"] for r in victim["records"]} == {"P-1", "P-2"}
    assert {i["incident"]["incident_id"] for i in victim["incidents"] if i["relationship"] == "VICTIM_IN"} == {"INC-1", "INC-2"}
    other = client.get("/persons/%s" % ids["recorded_associate_of"], headers=h).json()
    assert any(a["person_id"] == ids["associate"] and a["evidence"] for a in other["associates"])
    assert client.get("/persons/PER-NOBODY", headers=h).status_code == 404
    assoc = client.get("/persons/%s/associates" % ids["recorded_associate_of"], headers=h).json()
    assert ids["associate"] in {a["person_id"] for a in assoc["associates"]}


def test_every_canned_query_has_a_route(app, client, tokens):
    from csenet.cypher.registry import load_registry
    paths = {r.path for r in app.routes if isinstance(r, APIRoute)}
    listed = client.get("/queries", headers=auth(tokens, "investigator", False)).json()["queries"]
    assert {q["name"] for q in listed} == set(load_registry())
    for name in load_registry():
        assert "/queries/" + name in paths


def test_canned_query_pages(client, tokens):
    h = auth(tokens, "investigator")
    r = client.get("/queries/prevalence", params={"page_size": 1}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["page_size"] == 1 and len(body["rows"]) <= 1 and body["total"] >= len(body["rows"])


def test_flag_audit_filters(client, tokens):
    h = auth(tokens, "investigator")
    rows = client.get("/audit", params={"verdict": "OVER_FLAGGED"}, headers=h).json()["rows"]
    assert rows and all(r["verdict"] == "OVER_FLAGGED" for r in rows)
    assert client.get("/audit", params={"verdict": "MAYBE"}, headers=h).status_code == 422


def test_networks_and_prevalence_answer(client, tokens):
    h = auth(tokens, "investigator")
    for path in ("/networks", "/prevalence", "/networks/NET-1"):
        assert client.get(path, headers=h).status_code in (200, 501), path


def test_explain_a_link(client, tokens):
    h = auth(tokens, "investigator")
    r = client.get("/explain", params={"record_a": "P-1", "record_b": "P-2"}, headers=h)
    if r.status_code == 501:
        pytest.skip(r.json()["detail"])
    assert r.status_code == 200, r.text
    explanation = r.json()["explanation"]
    assert explanation["record_a"] == "P-1" and 0 <= explanation["match_probability"] <= 1
    missing = client.get("/explain", params={"record_a": "P-1", "record_b": "NOPE"}, headers=h)
    assert missing.status_code == 404 and "NOPE" in missing.json()["detail"]


# -- exports over HTTP -----------------------------------------------------------------
def test_api_export_is_pseudonymised_and_reidentification_is_logged(client, tokens, ids, api_settings):
    url = "/exports/subgraph"
    params = {"person_id": ids["suspect"], "hops": 2, "format": "graphml"}
    r = client.get(url, params=params, headers=auth(tokens, "analyst"))
    assert r.status_code == 200 and r.headers["X-Csenet-Pseudonymised"] == "true"
    for name in VICTIM_NAMES:
        assert name.lower() not in r.text.lower()
    refused = client.get(url, params={**params, "reidentify": "true"}, headers=auth(tokens, "analyst"))
    assert refused.status_code == 403
    last = read_entries(api_settings.access_log_path(), limit=100_000)[-1]
    assert last["outcome"] == "denied" and last["parameters"]["reidentify"] == "true"
    ok = client.get(url, params={**params, "reidentify": "true"}, headers=auth(tokens, "supervisor"))
    assert ok.status_code == 200 and "Nowell" in ok.text and ok.headers["X-Csenet-Pseudonymised"] == "false"
    last = read_entries(api_settings.access_log_path(), limit=100_000)[-1]
    assert last["user"] == "user-supervisor" and last["parameters"]["reidentify"] == "true"
    assert last["outcome"] == "ok" and last["records"] > 0


def test_export_errors_are_plain(client, tokens):
    h = auth(tokens, "analyst")
    assert client.get("/exports/subgraph", params={"person_id": "PER-NOBODY"}, headers=h).status_code == 404
    assert client.get("/exports/subgraph", headers=h).status_code == 422
    assert client.get("/exports/subgraph", params={"person_id": "x", "hops": 4}, headers=h).status_code == 422


def test_concurrent_appends_keep_one_chain(tmp_path):
    import threading

    from csenet.access_log import AccessLog

    path = tmp_path / "log.jsonl"
    logs = [AccessLog(path), AccessLog(path)]  # two writers on one file, as two workers would be

    def work(log):
        for i in range(50):
            log.append(user="u", role="investigator", action="t", route="GET /t", parameters={"i": i},
                       justification="OP-1", records=0, outcome="ok", status=200)

    threads = [threading.Thread(target=work, args=(logs[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify(path)
    assert result.ok and result.entries == 400
