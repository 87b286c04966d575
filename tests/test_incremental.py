"""A day's extract re-audits only what it touched, and ends where a full audit would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from csenet.analyse import run_analyses
from csenet.pipeline import load_and_analyse
from csenet.resolution.deterministic import resolve_deterministic

AUDIT = ("MATCH (i:Incident) RETURN i.incident_id AS id, i.cse_verdict AS verdict, "
         "i.meets_cse_definition AS meets, i.suggested_flags AS suggested, i.audit_reasons AS reasons, "
         "i.audit_version AS version ORDER BY id")


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)  # noqa: input — a test bundle, not an analyst's export


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A generated force split in two: the base extract, and a day's delta holding every
    eighth incident, three new records of people already known, and one re-flagged incident."""
    from csenet.synth import generate

    root = tmp_path_factory.mktemp("extracts")
    whole = root / "whole"
    generate(whole, scale="small", seed=11)
    base, delta = root / "base", root / "delta"
    shutil.copytree(whole, base, ignore=shutil.ignore_patterns("truth"))
    delta.mkdir()
    shutil.copy(whole / "bundle.yaml", delta / "bundle.yaml")
    incidents, involvements = _csv(whole / "incidents.csv"), _csv(whole / "involvements.csv")
    held = set(incidents["incident_id"].iloc[::8])
    _write(incidents[~incidents["incident_id"].isin(held)], base / "incidents.csv")
    _write(involvements[~involvements["incident_id"].isin(held)], base / "involvements.csv")

    kept = incidents[~incidents["incident_id"].isin(held)]
    reflagged = kept[kept["flags"].str.contains("CSE")].head(1).copy()
    reflagged["flags"] = reflagged["flags"].str.replace("CSE", "CCE")
    _write(pd.concat([incidents[incidents["incident_id"].isin(held)], reflagged]), delta / "incidents.csv")
    _write(involvements[involvements["incident_id"].isin(held)], delta / "involvements.csv")
    records = _csv(whole / "person_records.csv")
    victims = involvements.loc[involvements["role"] == "VICTIM", "record_id"]
    again = records[records["record_id"].isin(victims)].head(3).copy()
    again["record_id"] = ["DELTA-%d" % n for n in range(len(again))]
    _write(again, delta / "person_records.csv")
    return {"whole": whole, "base": base, "delta": delta, "held": held, "reflagged": set(reflagged["incident_id"])}


def _load(store, folder: Path, settings, **kw):
    return load_and_analyse(store, folder, settings, resolver=resolve_deterministic,
                            rejects_path=folder.parent / (folder.name + "-rejects.csv"), **kw)


def test_a_delta_audits_only_what_it_touched_and_equals_a_full_audit(store, backend_settings, extracts):
    _load(store, extracts["base"], backend_settings)
    total = store.read("MATCH (i:Incident) RETURN count(i) AS n")[0]["n"]
    old = store.read("MATCH (i:Incident) RETURN i.incident_id AS id ORDER BY id LIMIT 1")[0]["id"]
    store.write("MATCH (i:Incident {incident_id: $id}) SET i.audit_version = 'audit-0', i.cse_verdict = 'STALE'",
                {"id": old})
    summary = _load(store, extracts["delta"], backend_settings)

    touched = set(summary.touched_incidents)
    assert extracts["held"] | extracts["reflagged"] <= touched and old not in touched
    assert len(touched) < (total + len(extracts["held"])) / 3
    assert "(%d incidents audited after this load)" % (len(touched) + 1) in summary.analyses["flag audit"]
    assert store.read("MATCH (i:Incident {incident_id: $id}) RETURN i.cse_verdict AS v", {"id": old})[0]["v"] != "STALE"
    reflagged = store.read("MATCH (i:Incident {incident_id: $id}) RETURN i.flags AS flags, i.cse_verdict AS v",
                           {"id": next(iter(extracts["reflagged"]))})
    assert "CCE" in reflagged[0]["flags"] and reflagged[0]["v"] in ("UNDER_FLAGGED", "NOT_CSE")

    incremental = store.read(AUDIT)
    networks = store.read("MATCH (n:Network) RETURN n.network_id AS id, n.incident_ids AS incidents ORDER BY id")
    result = run_analyses(store, backend_settings)
    assert "audited after this load" not in result["flag audit"]
    assert store.read(AUDIT) == incremental
    assert store.read("MATCH (n:Network) RETURN n.network_id AS id, n.incident_ids AS incidents ORDER BY id") \
        == networks


def test_the_same_verdicts_as_one_load_of_the_union(store, backend_settings, extracts, tmp_path):
    _load(store, extracts["base"], backend_settings)
    _load(store, extracts["delta"], backend_settings)
    stepwise = {r["id"]: (r["verdict"], r["meets"], r["suggested"]) for r in store.read(AUDIT)}
    store.drop_graph()
    union = tmp_path / "union"
    shutil.copytree(extracts["whole"], union, ignore=shutil.ignore_patterns("truth"))
    incidents = _csv(union / "incidents.csv")
    changed = _csv(extracts["delta"] / "incidents.csv").set_index("incident_id")
    incidents = incidents.set_index("incident_id")
    incidents.loc[changed.index, "flags"] = changed["flags"]
    _write(incidents.reset_index(), union / "incidents.csv")
    _write(pd.concat([_csv(union / "person_records.csv"), _csv(extracts["delta"] / "person_records.csv")]),
           union / "person_records.csv")
    _load(store, union, backend_settings)
    at_once = {r["id"]: (r["verdict"], r["meets"], r["suggested"]) for r in store.read(AUDIT)}
    assert stepwise == at_once


def test_an_earlier_load_never_analysed_makes_the_next_audit_whole(store, backend_settings, extracts):
    _load(store, extracts["base"], backend_settings, analyse=False)
    summary = _load(store, extracts["delta"], backend_settings)
    assert "audited after this load" not in summary.analyses["flag audit"]
    assert store.read("MATCH (i:Incident) WHERE i.cse_verdict IS NULL RETURN count(i) AS n") == [{"n": 0}]
    assert store.read("MATCH (l:Load) WHERE l.analysed_at IS NULL RETURN count(l) AS n") == [{"n": 0}]
