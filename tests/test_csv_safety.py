"""CSV cells that cannot run in a spreadsheet, and names in any script, through every CSV path csenet has."""

from __future__ import annotations

import csv
import io
import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from csenet import csvsafe
from csenet.loaders.load import load_bundle
from csenet.loaders.read import BundleError, read_bundle
from csenet.resolution.deterministic import resolve_deterministic
from csenet.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PREFIXES = ["=", "+", "-", "@", "\t", "\r"]
FORMULAS = {"F-1": ('=HYPERLINK("http://evil.example/x","click")', "+cmd|' /C calc'!A0"),
            "F-2": ("-2+3+cmd|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0")}
NAMES = {"N-1": ("Ó Súilleabháin", "Siobhán Pádraig"), "N-2": ("Wójcik", "Łukasz"),
         "N-3": ("Şahin", "Çağrı İlkay ılgın"), "N-4": ("الحسيني", "محمد"), "N-5": ("王", "小明")}


def test_cell_rules_keep_numbers_and_dates():
    for p in PREFIXES:
        assert csvsafe.safe_cell(p + "x") == "'" + p + "x"
    for keep in ["-3.5", "+44", "-1e-3", ".5", "2010-02-28", "2023-03-02T14:05", "Smith", "", None, -3, 2.5]:
        assert not csvsafe.is_dangerous(keep)
    assert csvsafe.is_dangerous("-") and csvsafe.is_dangerous("+44 7700 900123")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_each_prefix_round_trips_through_the_writer(prefix):
    buf = io.StringIO()
    w = csvsafe.DictWriter(buf, fieldnames=["a", "b"])
    w.writeheader()
    value = prefix + 'SUM(1,2)"x"\nnext'
    w.writerow({"a": value, "b": -3.5})
    text = buf.getvalue()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == ["'" + value, "-3.5"]
    assert text.splitlines()[1].startswith("\"'")  # quoted and prefixed: shown as text
    assert csvsafe.read_back(text)[1] == [value, "-3.5"]


def test_no_csv_writer_bypasses_csvsafe():
    """Every CSV csenet writes goes through csenet.csvsafe (a new writer must too)."""
    offenders = []
    # synth/ writes loader *input* (a generated record bundle), which must stay as a force would send it.
    folders = ["csenet", "api", "audit", "exports", "graph", "loaders", "networks", "resolution", "cypher"]
    for path in [p for f in folders for p in (ROOT / f).rglob("*.py")]:
        rel = path.relative_to(ROOT)
        if rel == Path("csenet/csvsafe.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"csv\.(writer|DictWriter)\(|\.to_csv\(", text):
            offenders.append(str(rel))
    assert offenders == []


def test_cli_format_csv_neutralises(capsys):
    from csenet.cli.common import Fmt
    from csenet.cli.reads import emit_rows

    rows = [{"name": p + "x", "n": -2, "when": "2010-01-01"} for p in PREFIXES]
    emit_rows(rows, ["name", "n", "when"], Fmt.csv)
    got = list(csv.reader(io.StringIO(capsys.readouterr().out, newline="")))
    assert [r[0] for r in got[1:]] == ["'" + p + "x" for p in PREFIXES]
    assert {(r[1], r[2]) for r in got[1:]} == {("-2", "2010-01-01")}


def test_audit_csv_neutralises(tmp_path):
    from csenet.audit.export import AUDIT_CSV_COLUMNS, write_audit_csv

    df = pd.DataFrame([{c: "=1+1" for c in AUDIT_CSV_COLUMNS} | {"meets_cse_definition": True}])
    write_audit_csv(df, tmp_path / "audit.csv")
    row = next(csv.DictReader((tmp_path / "audit.csv").open(encoding="utf-8", newline="")))
    assert row["incident_id"] == "'=1+1" and row["meets_cse_definition"] == "true"


def hostile_bundle(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    people = pd.read_csv(dest / "person_records.csv", dtype=str, keep_default_na=False)
    extra = [{"record_id": rid, "source": "RMS", "family_name": fam, "given_names": given, "gender": "M"}
             for rid, (fam, given) in (FORMULAS | NAMES).items()]
    people = pd.concat([people, pd.DataFrame(extra)], ignore_index=True).fillna("")
    people.to_csv(dest / "person_records.csv", index=False, encoding="utf-8")  # the input, not an export
    inv = pd.read_csv(dest / "involvements.csv", dtype=str)
    inv = pd.concat([inv, pd.DataFrame([{"incident_id": "INC-3", "record_id": r, "role": "SUSPECT"}
                                        for r in FORMULAS | NAMES])], ignore_index=True)
    inv.to_csv(dest / "involvements.csv", index=False)
    return dest


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, tiny_bundle_source):
    from csenet.api.users import add_user
    from csenet.graph.falkordb_store import FalkorStore

    base = tmp_path_factory.mktemp("hostile")
    bundle = hostile_bundle(tiny_bundle_source, base / "bundle")
    settings = Settings(data=base / "db", graph_name="t_hostile", access_log=base / "access-log.jsonl",
                        users_file=base / "users.json", pseudonym_key_file=base / "pseudonym.key")
    store = FalkorStore.embedded(settings)
    store.drop_graph()
    summary = load_bundle(store, bundle, settings, resolver=resolve_deterministic,
                          rejects_path=base / "rejects.csv")
    token = add_user(settings, "admin-1", "admin")
    try:
        yield {"store": store, "settings": settings, "summary": summary, "rejects": base / "rejects.csv",
               "token": token, "base": base}
    finally:
        store.drop_graph()
        store.close()


def test_formulas_load_as_warnings_and_the_rejects_file_is_safe(hostile):
    s = hostile["summary"]
    assert s.rows_read == s.rows_loaded + s.rows_rejected and s.rows_rejected == 0
    issues = list(csv.DictReader(hostile["rejects"].open(encoding="utf-8", newline="")))
    formula = [i for i in issues if "spreadsheet formula" in i["reason"]]
    assert len(formula) == 4 and all(i["severity"] == "WARNING" for i in formula)
    assert sorted(i["value"] for i in formula) == sorted("'" + v for pair in FORMULAS.values() for v in pair)
    kept = hostile["store"].read("MATCH (r:PersonRecord {record_id: 'F-1'}) RETURN r.family_name AS f")
    assert kept == [{"f": FORMULAS["F-1"][0]}]


def _person(store, record_id):
    return store.read("MATCH (:PersonRecord {record_id: $r})-[:RESOLVED_TO]->(p:Person) RETURN p.person_id AS id",
                      {"r": record_id})[0]["id"]


@pytest.mark.parametrize("fmt", ["csv", "json", "graphml", "gexf", "i2"])
def test_names_and_formulas_through_every_export(hostile, fmt):
    from csenet.api.app import create_app

    store = hostile["store"]
    app = create_app(hostile["settings"], store)
    headers = {"Authorization": "Bearer " + hostile["token"], "X-Justification": "OP-TEST/1"}
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/exports/subgraph", params={"person_id": _person(store, "N-1"), "hops": 2, "format": fmt,
                                                    "reidentify": "true"}, headers=headers)
        assert r.status_code == 200, r.text
        found = {q: client.get("/persons/search", params={"name": q}, headers=headers)
                 for q in ("Łukasz Wójcik", "Siobhán Ó Súilleabháin", "Çağrı Şahin", "محمد الحسيني", "小明 王")}
    for q, res in found.items():
        assert res.status_code == 200 and q.split()[-1] in res.content.decode("utf-8"), q
    body = r.content
    if fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            body = zf.read("nodes.csv")
        text = body.decode("utf-8")
        cells = {c for row in csv.reader(io.StringIO(text.split("\n", 1)[1], newline="")) for c in row}
        for fam, given in FORMULAS.values():
            assert "'" + fam in cells and "'" + given in cells and fam not in cells
    for fam, given in NAMES.values():
        for name in (fam, given):
            if fmt in ("json",):
                assert name.encode("utf-8") in body or name.encode("unicode_escape") in body
            else:
                assert name.encode("utf-8") in body, (fmt, name)


def test_entities_export_round_trips(hostile, tmp_path):
    from csenet.outputs import export_entities

    n = export_entities(hostile["store"], tmp_path / "entities.csv")
    rows = list(csv.DictReader((tmp_path / "entities.csv").open(encoding="utf-8", newline="")))
    assert n == len(rows) == hostile["summary"].counts["person_records"].loaded


def test_cp1252_bundle_needs_and_takes_the_encoding(tmp_path, tiny_bundle_source):
    bundle = tmp_path / "cp"
    shutil.copytree(tiny_bundle_source, bundle)
    people = pd.read_csv(bundle / "person_records.csv", dtype=str, keep_default_na=False)
    people.loc[0, "family_name"] = "Ó Súilleabháin"
    people.loc[1, "given_names"] = "Zoë – “Siobhán”"
    people.to_csv(bundle / "person_records.csv", index=False, encoding="cp1252")
    with pytest.raises(BundleError) as exc:
        read_bundle(bundle)
    msg = str(exc.value)
    assert "person_records.csv" in msg and "line 2" in msg and "byte offset" in msg and "--encoding cp1252" in msg
    raw = read_bundle(bundle, "cp1252")
    got = raw.files["person_records"].frame
    assert got.loc[0, "family_name"] == "Ó Súilleabháin" and got.loc[1, "given_names"] == "Zoë – “Siobhán”"
    (bundle / "bundle.yaml").write_text("source: X\nencoding: latin-1\n", encoding="utf-8")
    assert read_bundle(bundle).files["person_records"].frame.loc[0, "family_name"] == "Ó Súilleabháin"
    assert read_bundle(bundle, "cp1252").files["person_records"].frame.loc[1, "given_names"] == "Zoë – “Siobhán”"
    with pytest.raises(BundleError, match="not supported"):
        read_bundle(bundle, "ebcdic")


def test_cli_load_takes_encoding_and_explains_the_error(tmp_path, tiny_bundle_source):
    import os
    import subprocess
    import sys

    bundle = tmp_path / "cp"
    shutil.copytree(tiny_bundle_source, bundle)
    people = pd.read_csv(bundle / "person_records.csv", dtype=str, keep_default_na=False)
    people.loc[2, "family_name"] = "Ó Súilleabháin"
    people.to_csv(bundle / "person_records.csv", index=False, encoding="cp1252")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "csenet", "load", str(bundle), "--data", str(tmp_path / "db"),
                               "--resolver", "deterministic", "--no-analyse", *extra],
                              capture_output=True, text=True, env=env, timeout=300)

    refused = run()
    assert refused.returncode == 2
    assert "person_records.csv: line 4, byte offset" in refused.stderr and "--encoding cp1252" in refused.stderr
    loaded = run("--encoding", "cp1252")
    assert loaded.returncode == 0, loaded.stderr
    from csenet.graph.falkordb_store import FalkorStore

    store = FalkorStore.embedded(Settings(data=tmp_path / "db"))
    try:
        got = store.read("MATCH (r:PersonRecord {record_id: 'P-3'}) RETURN r.family_name AS f")
    finally:
        store.close()
    assert got == [{"f": "Ó Súilleabháin"}]
