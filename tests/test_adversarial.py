"""Hostile input against the bundle reader, the loader and the API: every case a clear message, nothing lost.

Rows in = rows loaded + rows rejected in every case; a refused bundle names the file and the
fault. Hypothesis examples are bounded so the module stays well under two minutes.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csenet.loaders.load import load_bundle
from csenet.loaders.read import BundleError, read_bundle
from csenet.loaders.validate import validate
from csenet.resolution.deterministic import resolve_deterministic
from csenet.settings import Settings
from tests.api_support import graph_store  # noqa: F401  (fixture)
from tests.conftest import graph_counts

COLUMNS = ["record_id", "source", "family_name", "given_names", "date_of_birth", "gender", "postcode", "address",
           "phone", "national_id"]


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)  # the input a force sends, written with the stdlib on purpose
        w.writerow(header)
        w.writerows(rows)


def person_bundle(tmp: Path, rows: list[list[str]], header: list[str] = COLUMNS) -> Path:
    folder = tmp / "bundle"
    folder.mkdir(exist_ok=True)
    write_rows(folder / "person_records.csv", header, rows)
    write_rows(folder / "incidents.csv", ["incident_id", "reported_at", "offence"], [["INC-1", "2023-01-01", "x"]])
    write_rows(folder / "involvements.csv", ["incident_id", "record_id", "role"], [])
    return folder


def accounted(valid) -> None:
    for name, c in valid.counts.items():
        assert c.read == c.loaded + c.rejected, name
    rejected = valid.issues[valid.issues["severity"] == "REJECT"]
    for name, c in valid.counts.items():
        assert rejected[rejected["file"].str.startswith(name + ".")]["line"].nunique() == c.rejected, name


cell = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=8))
def test_any_text_is_loaded_or_rejected_with_a_reason(tmp_path, rows):
    """NUL bytes, quotes, newlines, commas, formulas, any script: each row ends loaded or rejected."""
    data = [["R-%d" % i, "RMS", fam, giv, dob, "F", "", "", "", ""] for i, (fam, giv, dob) in enumerate(rows)]
    valid = validate(read_bundle(person_bundle(tmp_path, data)))
    accounted(valid)
    loaded = valid.frames["person_records"].set_index("record_id")
    for rid, _s, fam, giv, dob, *_ in data:
        if rid in loaded.index:
            assert loaded.loc[rid, "family_name"] == fam.strip() and "\x00" not in fam + giv + dob
        else:
            assert fam.strip() == "" or "\x00" in fam + giv + dob


def test_nul_bytes_are_rejected_by_name(tmp_path):
    valid = validate(read_bundle(person_bundle(tmp_path, [["R-1", "RMS", "Sm\x00ith", "Jo", "", "", "", "", "", ""],
                                                          ["R-2", "RMS", "Smith", "Jo", "", "", "", "", "", ""]])))
    accounted(valid)
    issue = valid.issues.iloc[0]
    assert (issue["line"], issue["severity"], issue["column"]) == (2, "REJECT", "family_name")
    assert "NUL byte" in issue["reason"] and issue["value"] == "Sm\\0ith"


def test_a_one_megabyte_field_and_embedded_newlines_and_quotes_load(store, backend_settings, tmp_path):
    big = "x" * (1 << 20)
    rows = [["R-1", "RMS", "O'Neil \"Junior\"", "Line one\nline two", "", "M", "", big, "", ""],
            ["R-2", "RMS", "Smith", "Jo", "", "F", "", "", "", ""]]
    folder = person_bundle(tmp_path, rows)
    lines = validate(read_bundle(folder)).frames["person_records"]["source_row"].tolist()
    assert lines == ["person_records.csv:2", "person_records.csv:4"]  # the embedded newline moves row 2 down
    summary = load_bundle(store, folder, backend_settings, resolver=resolve_deterministic)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (3, 3, 0)
    got = store.read("MATCH (r:PersonRecord {record_id: 'R-1'}) RETURN r.address AS a, r.given_names AS g, "
                     "r.family_name AS f")[0]
    assert (len(got["a"]), got["g"], got["f"]) == (1 << 20, "Line one\nline two", "O'Neil \"Junior\"")


def test_duplicate_keys_keep_the_first_and_reject_the_rest(tmp_path):
    rows = [["R-1", "RMS", "A", "B", "", "", "", "", "", ""], ["R-1", "RMS", "C", "D", "", "", "", "", "", ""]]
    valid = validate(read_bundle(person_bundle(tmp_path, rows)))
    accounted(valid)
    assert valid.frames["person_records"]["family_name"].tolist() == ["A"]
    assert "duplicate record_id \"R-1\" (first at line 2)" in valid.issues["reason"].iloc[0]


@pytest.mark.parametrize("header, message", [
    (["record_id", "source", "family_name", "family_name"], "column 'family_name' appears twice"),
    (["record_id", "source", "given_names"], "required column family_name missing from the header"),
    (["record_id", "", "family_name"], "a header cell is empty"),
    (["Record_ID", "SOURCE", "Family_Name", "nickname"], None),
])
def test_wrong_and_missing_headers(tmp_path, header, message):
    folder = person_bundle(tmp_path, [["R-1", "RMS", "Smith", "x"][:len(header)]], header)
    if message is None:  # case-insensitive names load; an unknown column is kept as a property
        raw = read_bundle(folder)
        assert raw.files["person_records"].extra_columns == ["nickname"]
        return
    with pytest.raises(BundleError) as exc:
        read_bundle(folder)
    assert str(exc.value).startswith("person_records.csv: ") and message in str(exc.value)


def test_an_empty_file_and_a_ragged_row_are_refused_clearly(tmp_path):
    folder = person_bundle(tmp_path, [])
    (folder / "person_records.csv").write_text("", encoding="utf-8")
    with pytest.raises(BundleError, match="person_records.csv: no header row"):
        read_bundle(folder)
    (folder / "person_records.csv").write_text("record_id,source,family_name\nR-1,RMS,A,extra\n", encoding="utf-8")
    with pytest.raises(BundleError, match="person_records.csv: not a well-formed CSV file"):
        read_bundle(folder)


def test_a_truncated_gzip_file_is_refused_clearly(tmp_path):
    import gzip

    folder = person_bundle(tmp_path, [["R-1", "RMS", "A", "B", "", "", "", "", "", ""]])
    body = "record_id,started_at\n" + "".join("R-1,2023-01-%02d\n" % (i % 28 + 1) for i in range(20000))
    data = gzip.compress(body.encode())
    (folder / "missing_episodes.csv.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match="missing_episodes.csv.gz: cannot be read"):
        read_bundle(folder)


IMPOSSIBLE = ["2010-02-30", "31/02/2010", "99999-01-01", "2010-13-01", "2010-02-28T25:00"]


def test_impossible_dates(tmp_path):
    rows = [["R-%d" % i, "RMS", "A", "B", d, "", "", "", "", ""] for i, d in enumerate(IMPOSSIBLE)]
    folder = person_bundle(tmp_path, rows)
    write_rows(folder / "incidents.csv", ["incident_id", "reported_at", "offence", "occurred_at"],
               [["INC-%d" % i, d, "x", d] for i, d in enumerate(IMPOSSIBLE)] + [["INC-OK", "2010-02-28", "x", ""]])
    valid = validate(read_bundle(folder))
    accounted(valid)
    c = valid.counts
    assert (c["person_records"].loaded, c["person_records"].warnings) == (5, 5)  # optional: kept as unknown
    assert (c["incidents"].loaded, c["incidents"].rejected) == (1, 5)  # reported_at is required
    reasons = valid.issues[valid.issues["file"] == "incidents.csv"]
    assert set(reasons[reasons["severity"] == "REJECT"]["column"]) == {"reported_at"}
    assert valid.frames["person_records"]["date_of_birth"].isna().all()


def test_symlinks_out_of_the_bundle_are_refused(tmp_path):
    folder = person_bundle(tmp_path, [["R-1", "RMS", "A", "B", "", "", "", "", "", ""]])
    outside = tmp_path / "elsewhere.csv"
    shutil.move(folder / "incidents.csv", outside)
    (folder / "incidents.csv").symlink_to(outside)
    with pytest.raises(BundleError, match="incidents.csv: links outside the bundle folder"):
        read_bundle(folder)
    (folder / "incidents.csv").unlink()
    shutil.move(outside, folder / "real-incidents.csv")
    (folder / "incidents.csv").symlink_to(folder / "real-incidents.csv")  # inside: fine
    assert read_bundle(folder).files["incidents"].frame["incident_id"].tolist() == ["INC-1"]
    (tmp_path / "secret.yaml").write_text("source: X\n", encoding="utf-8")
    (folder / "bundle.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(BundleError, match="bundle.yaml: links outside"):
        read_bundle(folder)


def _cli_load(data: Path, bundle: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.Popen([sys.executable, "-m", "csenet", "load", str(bundle), "--data", str(data),
                             "--resolver", "deterministic", "--no-analyse", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_loads_on_one_store_run_one_after_the_other(tmp_path, tiny_bundle):
    from csenet.graph.falkordb_store import FalkorStore
    from csenet.loadlock import load_lock

    data = tmp_path / "data"
    with load_lock(data):  # a load in progress: a refusing second load says so and writes nothing
        refused = _cli_load(data, tiny_bundle, "--wait", "0")
        _out, err = refused.communicate(timeout=120)
    assert refused.returncode == 2 and "another load (pid %d) is writing to this store" % os.getpid() in err
    procs = [_cli_load(data, tiny_bundle) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert all("total" in out and "Loaded" in out for out, _ in results)
    store = FalkorStore.embedded(Settings(data=data))
    try:
        nodes, _rels = graph_counts(store)
    finally:
        store.close()
    assert nodes["PersonRecord"] == 10 and nodes["Incident"] == 5 and nodes["Load"] == 1


def test_a_load_while_16_clients_read_the_api(tmp_path_factory, tiny_bundle_source):
    """No 5xx, and no partial person: every profile comes with its resolved records and cites no other."""
    from fastapi.testclient import TestClient

    from csenet.api.app import create_app
    from csenet.api.users import add_user
    from csenet.graph.falkordb_store import FalkorStore

    base = tmp_path_factory.mktemp("busy")
    settings = Settings(data=base / "db", graph_name="t_busy", access_log=base / "access-log.jsonl",
                        users_file=base / "users.json", pseudonym_key_file=base / "pseudonym.key")
    store = FalkorStore.embedded(settings)
    store.drop_graph()
    load_bundle(store, tiny_bundle_source, settings, resolver=resolve_deterministic,
                rejects_path=base / "r1.csv")
    later = base / "later"
    shutil.copytree(tiny_bundle_source, later)
    people = pd.read_csv(later / "person_records.csv", dtype=str, keep_default_na=False)
    extra = pd.DataFrame([{"record_id": "L-%d" % i, "source": "RMS", "family_name": "Nowell",
                           "given_names": "Tayla", "gender": "F", "postcode": "WB1 2CD"} for i in range(200)])
    pd.concat([people, extra]).fillna("").to_csv(later / "person_records.csv", index=False)  # input, not an export
    headers = {"Authorization": "Bearer " + add_user(settings, "analyst-1", "analyst"), "X-Justification": "OP-T/1"}
    problems: list[str] = []
    answers = [0]
    stop = threading.Event()

    def client_loop(c: TestClient) -> None:
        while not stop.is_set():
            r = c.get("/persons/search", params={"name": "Tayla Nowell", "limit": 50}, headers=headers)
            if r.status_code >= 500:
                problems.append("search %d: %s" % (r.status_code, r.text[:200]))
                continue
            # besides search hits (found through records), persons straight off the graph: a Person the
            # load has written but not yet linked to its records would show up here
            listed = [row["id"] for row in store.read("MATCH (p:Person) RETURN p.person_id AS id")]
            ids = [h["person_id"] for h in r.json().get("results", [])[:2]] + random.sample(listed, 3)
            for pid in ids:
                p = c.get("/persons/" + pid, headers=headers)
                answers[0] += 1
                if p.status_code >= 500:
                    problems.append("profile %d: %s" % (p.status_code, p.text[:200]))
                elif p.status_code == 200:
                    body = p.json()
                    shown = {r["record"]["record_id"] for r in body["records"]}
                    cited = {rid for key in ("incidents", "identifiers", "ocgs", "missing_episodes")
                             for row in body[key] for rid in row["record_ids"]}
                    if not shown or not cited <= shown:
                        problems.append("partial person %s: records %s, evidence cites %s" % (pid, shown, cited))

    try:
        with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
            threads = [threading.Thread(target=client_loop, args=(client,)) for _ in range(16)]
            for t in threads:
                t.start()
            # small batches keep the load's writes apart, so readers land between them
            summary = load_bundle(store, later, settings.model_copy(update={"batch_size": 2}),
                                  resolver=resolve_deterministic,
                                  rejects_path=base / "r2.csv")
            stop.set()
            for t in threads:
                t.join(timeout=120)
        assert summary.rows_read == summary.rows_loaded + summary.rows_rejected == 234
        assert problems == [] and answers[0] > 16
        orphans = store.read("MATCH (p:Person) WHERE NOT (p)<-[:RESOLVED_TO]-() RETURN count(p) AS n")
        assert orphans == [{"n": 0}]
    finally:
        store.drop_graph()
        store.close()


@pytest.fixture(scope="module")
def api_client(graph_store, tmp_path_factory):  # noqa: F811  (the fixture imported above)
    from fastapi.testclient import TestClient

    from csenet.api.app import create_app
    from csenet.api.users import add_user

    base = tmp_path_factory.mktemp("adv-api")
    settings = Settings(data=base, graph_name="t_api", access_log=base / "access-log.jsonl",
                        users_file=base / "users.json", pseudonym_key_file=base / "pseudonym.key")
    headers = {"Authorization": "Bearer " + add_user(settings, "adv-admin", "admin"), "X-Justification": "OP-T/2"}
    with TestClient(create_app(settings, graph_store), raise_server_exceptions=False) as client:
        yield client, headers


text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=text, dob=text, identifier=text, pid=text)
def test_the_api_answers_any_text_without_a_5xx(api_client, name, dob, identifier, pid):
    client, headers = api_client
    for params in ({"name": name}, {"name": name, "date_of_birth": dob}, {"identifier": identifier}):
        r = client.get("/persons/search", params=params, headers=headers)
        assert r.status_code < 500, (params, r.text)
        assert r.status_code in (200, 400, 422), (params, r.status_code, r.text)
    r = client.get("/persons/" + quote(pid, safe=""), headers=headers)
    assert r.status_code in (200, 400, 404, 405, 422), (pid, r.status_code, r.text)
