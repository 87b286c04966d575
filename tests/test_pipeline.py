"""The whole pipeline on a generated force: a crash mid-load, the CLI contract, the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from csenet.settings import Settings
from csenet.graph.falkordb_store import FalkorStore
from csenet.loaders.load import load_bundle
from csenet.resolution.deterministic import resolve_deterministic
from tests.conftest import graph_counts

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory) -> Path:
    from csenet.synth import generate

    folder = tmp_path_factory.mktemp("small") / "bundle"
    generate(folder, scale="small", seed=11)
    return folder


class KillAt:
    """A reporter that SIGKILLs the embedded server once a named stage has begun, or
    (`sent`) once its first rows are reported done."""

    def __init__(self, store: FalkorStore, stage: str, sent: bool = False):
        self.store, self.stage_name, self.sent, self.fired = store, stage, sent, threading.Event()

    def _kill(self, n: int = 0) -> None:
        if not self.fired.is_set():
            self.fired.set()
            self.store.server.kill()

    def stage(self, name: str, total: int):
        if name != self.stage_name:
            return lambda n: None
        if not self.sent:
            self._kill()
        return self._kill


@pytest.mark.parametrize("bulk,people,stage,sent", [
    (False, False, "involvements", False),
    (True, False, "persons and their records", False),
    (True, True, "people by GRAPH.BULK", True),
], ids=["mid-merge-facts", "after-graph-bulk", "mid-graph-bulk-people"])
def test_killed_mid_load_then_loaded_again_equals_a_clean_load(small_bundle, tmp_path, bulk, people, stage, sent):
    """Killed while MERGE batches write the facts, once GRAPH.BULK has created them (its
    commands then come back from the append-only file) and people are being written, or
    once GRAPH.BULK has appended the persons and not yet their relationships."""
    clean_store = FalkorStore.embedded(Settings(data=tmp_path / "clean", graph_name="g"))
    try:
        load_bundle(clean_store, small_bundle, clean_store.settings, resolver=resolve_deterministic,
                    rejects_path=tmp_path / "r1.csv")
        clean = graph_counts(clean_store)
    finally:
        clean_store.close()

    settings = Settings(data=tmp_path / "crash", graph_name="g", falkordb_bulk_load=bulk, falkordb_bulk_min_rows=0,
                        falkordb_bulk_people=people)
    store = FalkorStore.embedded(settings)
    killer = KillAt(store, stage, sent)
    with pytest.raises(Exception):
        load_bundle(store, small_bundle, settings, resolver=resolve_deterministic,
                    reporter=killer, rejects_path=tmp_path / "r2.csv")
    assert killer.fired.is_set()
    store.server._registered.unlink(missing_ok=True)
    store.server._registered = None

    again = FalkorStore.embedded(settings)
    try:
        partial = graph_counts(again)
        assert partial[0].get("Incident") == clean[0]["Incident"], "acknowledged incident batches were lost"
        assert "Load" not in partial[0], "an interrupted load must not be marked complete"
        if sent:  # the persons' command was acknowledged, their relationships never sent
            assert partial[0].get("Person") and not partial[1].get("RESOLVED_TO")
        load_bundle(again, small_bundle, settings, resolver=resolve_deterministic,
                    rejects_path=tmp_path / "r3.csv")
        assert graph_counts(again) == clean
    finally:
        again.close()


def test_generated_rejects_match_the_truth(small_bundle, tmp_path):
    from csenet.loaders.read import read_bundle
    from csenet.loaders.validate import validate

    valid = validate(read_bundle(small_bundle))
    expected = pd.read_csv(small_bundle / "truth" / "expected_rejects.csv")
    rejected = valid.issues[valid.issues["severity"] == "REJECT"]
    assert len(rejected) == len(expected)
    assert sum(c.read for c in valid.counts.values()) == \
        sum(c.loaded for c in valid.counts.values()) + len(rejected)


def csenet(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csenet", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


def test_cli_generate_load_query_export(tmp_path):
    env = {"CSENET_DATA": str(tmp_path / "db")}
    gen = csenet("generate", "--scale", "small", "--seed", "3", "--out", str(tmp_path / "b"), env=env)
    assert gen.returncode == 0, gen.stderr
    loaded = csenet("load", str(tmp_path / "b"), env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "person_records" in loaded.stdout and "flag audit" in loaded.stdout
    assert "Resolution: this load resolved" not in loaded.stdout  # the first load resolves everything
    day = tmp_path / "day"
    day.mkdir()
    (day / "incidents.csv").write_text("incident_id,reported_at,offence\nINC-D1,2024-02-01,Sexual assault\n")
    (day / "person_records.csv").write_text("record_id,family_name,given_names,date_of_birth\nD-1,Hale,Ryan,1985-05-05\n")
    (day / "involvements.csv").write_text("incident_id,record_id,role\nINC-D1,D-1,SUSPECT\n")
    again = csenet("load", str(day), env=env)
    assert again.returncode == 0, again.stderr
    assert "Resolution: this load resolved" in again.stdout  # by neighbourhood, from the kept records
    listed = csenet("query", "--list", env=env)
    assert listed.returncode == 0 and "networks" in listed.stdout
    out = csenet("query", "networks", "--format", "csv", "--justification", "OP-TEST/1", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("network_id")
    from csenet.access_log import read_entries
    logged = read_entries(tmp_path / "db" / "access-log.jsonl")
    assert logged[-1]["action"] == "query" and logged[-1]["justification"] == "OP-TEST/1"
    refused = csenet("export", "subgraph", "--network", "x", "--out", str(tmp_path / "x.graphml"), env=env)
    assert refused.returncode == 2 and "--justification" in refused.stderr
    ent = csenet("export", "entities", "--out", str(tmp_path / "entities.csv"), env=env)
    assert ent.returncode == 0, ent.stderr
    entities = pd.read_csv(tmp_path / "entities.csv")
    assert list(entities.columns) == ["record_id", "person_id", "match_probability"]
    records = pd.read_csv(tmp_path / "b" / "person_records.csv", dtype=str)
    resolved = set(entities["record_id"])
    assert "D-1" in resolved and resolved <= set(records["record_id"]) | {"D-1"}
    assert entities["person_id"].notna().all() and entities["match_probability"].between(0, 1).all()
    for kind in ("networks", "audit"):
        res = csenet("export", kind, "--out", str(tmp_path / (kind + ".csv")), env=env)
        assert res.returncode == 0, res.stderr
    audit = pd.read_csv(tmp_path / "audit.csv")
    assert list(audit.columns) == ["incident_id", "recorded_flags", "meets_cse_definition", "verdict",
                                   "suggested_flags", "reasons"]
    networks = pd.read_csv(tmp_path / "networks.csv")
    assert list(networks.columns) == ["network_id", "person_id", "member_role", "record_ids", "ocg_ids"]


@pytest.mark.parametrize("args, code, says", [
    (["load", "/no/such/bundle"], 2, "not a folder"),
    (["query", "no_such_query"], 2, "no canned query"),
    (["query", "networks", "-p", "limit=0"], 2, "at least"),
    (["query", "networks", "-p", "nonsense"], 2, "key=value"),
    (["export", "everything", "--out", "x.csv"], 2, "export what"),
    (["load", ".", "--graph", "gopher://x"], 3, "graph URL"),
])
def test_cli_errors_are_one_clear_line(tmp_path, args, code, says):
    res = csenet(*args, env={"CSENET_DATA": str(tmp_path / "db")}, cwd=tmp_path)
    assert res.returncode == code, (res.stdout, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("csenet: error:") and says in lines[0], res.stderr


def test_demo_prints_the_problem_profile(tmp_path):
    res = csenet("demo", "--out", str(tmp_path / "demo"), env={"CSENET_DATA": str(tmp_path / "db")}, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for words in ("Flags are wrong", "Meet the definition but carry no CSE flag", "CSE networks found",
                  "with no member on the OCG map"):
        assert words in res.stdout
