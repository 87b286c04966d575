"""A day's extract re-audits only what it touched, and ends where a full audit would."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csenet.analyse import run_analyses
from csenet.pipeline import load_and_analyse
from csenet.resolution.deterministic import resolve_deterministic

AUDIT = ("MATCH (i:Incident) RETURN i.incident_id AS id, i.cse_verdict AS verdict, "
         "i.meets_cse_definition AS meets, i.suggested_flags AS suggested, i.audit_reasons AS reasons, "
         "i.audit_version AS version ORDER BY id")
NETWORKS = "MATCH (n:Network) RETURN n.network_id AS id, n.incident_ids AS incidents ORDER BY id"


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A generated force cut into a base extract and two days (synth/extracts.py)."""
    from csenet.synth import generate
    from csenet.synth.extracts import split_days

    root = tmp_path_factory.mktemp("extracts")
    whole = root / "whole"
    generate(whole, scale="small", seed=11)
    base, days = split_days(whole, root / "cut", days=2, per_day=60)
    frames = [pd.read_csv(d / "incidents.csv", dtype=str, keep_default_na=False) for d in days]
    flags = pd.read_csv(whole / "incidents.csv", dtype=str, keep_default_na=False).set_index("incident_id")["flags"]
    corrected = [i for i, f in zip(frames[-1]["incident_id"], frames[-1]["flags"]) if flags[i] != f]
    return {"whole": whole, "base": base, "days": days, "incidents": [set(f["incident_id"]) for f in frames],
            "corrected": corrected}


def _load(store, folder: Path, settings, **kw):
    return load_and_analyse(store, folder, settings, resolver=resolve_deterministic,
                            rejects_path=folder.parent / (folder.name + "-rejects.csv"), **kw)


def test_a_delta_audits_only_what_it_touched_and_equals_a_full_audit(store, backend_settings, extracts):
    _load(store, extracts["base"], backend_settings)
    _load(store, extracts["days"][0], backend_settings)
    total = store.read("MATCH (i:Incident) RETURN count(i) AS n")[0]["n"]
    old = store.read("MATCH (i:Incident) RETURN i.incident_id AS id ORDER BY id LIMIT 1")[0]["id"]
    store.write("MATCH (i:Incident {incident_id: $id}) SET i.audit_version = 'audit-0', i.cse_verdict = 'STALE'",
                {"id": old})
    summary = _load(store, extracts["days"][1], backend_settings)

    touched = set(summary.touched_incidents)
    loaded = {r["id"] for r in store.read("MATCH (i:Incident) WHERE i.incident_id IN $ids RETURN i.incident_id AS id",
                                          {"ids": sorted(extracts["incidents"][1])})}
    assert len(loaded) > 50 and loaded <= touched and old not in touched
    assert len(touched) < total / 3
    assert "(%d incidents audited after this load)" % (len(touched) + 1) in summary.analyses["flag audit"]
    assert store.read("MATCH (i:Incident {incident_id: $id}) RETURN i.cse_verdict AS v", {"id": old})[0]["v"] != "STALE"
    assert len(extracts["corrected"]) == 1
    corrected = store.read("MATCH (i:Incident {incident_id: $id}) RETURN i.flags AS flags, i.cse_verdict AS v",
                           {"id": extracts["corrected"][0]})[0]
    assert "CCE" in str(corrected["flags"]) and corrected["v"] in ("UNDER_FLAGGED", "NOT_CSE")

    incremental = store.read(AUDIT)
    networks = store.read(NETWORKS)
    result = run_analyses(store, backend_settings)
    assert "audited after this load" not in result["flag audit"]
    assert store.read(AUDIT) == incremental
    assert store.read(NETWORKS) == networks


def test_an_earlier_load_never_analysed_makes_the_next_audit_whole(store, backend_settings, extracts):
    _load(store, extracts["base"], backend_settings, analyse=False)
    summary = _load(store, extracts["days"][0], backend_settings)
    assert "audited after this load" not in summary.analyses["flag audit"]
    assert store.read("MATCH (i:Incident) WHERE i.cse_verdict IS NULL RETURN count(i) AS n") == [{"n": 0}]
    assert store.read("MATCH (l:Load) WHERE l.analysed_at IS NULL RETURN count(l) AS n") == [{"n": 0}]


def test_stale_audits_are_read_by_pages_however_many(store, backend_settings, extracts, monkeypatch):
    """After an audit upgrade every incident is stale: more than one read may return."""
    from csenet.analyse import stale_incidents

    _load(store, extracts["base"], backend_settings)
    store.write("MATCH (i:Incident) WITH i ORDER BY i.incident_id LIMIT 120 SET i.audit_version = 'audit-0'")
    monkeypatch.setattr(store.settings, "result_limit", 40)
    stale = stale_incidents(store, "audit-current")
    assert len(stale) == store.read("MATCH (i:Incident) RETURN count(i) AS n", limit=10)[0]["n"] > 40
    assert len(stale_incidents(store, store.read(
        "MATCH (i:Incident) WHERE i.audit_version <> 'audit-0' RETURN i.audit_version AS v LIMIT 1")[0]["v"])) == 120


def _canonical(frames) -> list[list[tuple]]:
    """Rows sorted, lists in cells sorted (the graph returns a person's record DOBs in no set
    order), and an unknown value None however pandas holds it."""
    def cell(v):
        if isinstance(v, list):
            return tuple(sorted(v))
        return None if v is None or v != v else v

    out = []
    for frame in frames:
        rows = [tuple(cell(v) for v in row) for row in frame.itertuples(index=False)]
        out.append(sorted(rows, key=repr))
    return out


def test_a_first_load_is_audited_from_its_own_frames_as_from_the_graph(store, backend_settings, extracts):
    from csenet.analyse import audit_inputs
    from csenet.loaders.load import load_bundle

    views, validated = [], []
    base = extracts["base"]
    load_bundle(store, base, backend_settings, resolver=resolve_deterministic, on_first_view=views.append,
                on_first_incidents=validated.append, rejects_path=base.parent / "first-rejects.csv")
    assert len(views) == 1
    assert _canonical(views[0]) == _canonical(audit_inputs(store))
    assert len(views[0][0]) > 0 and len(views[0][1]) > 0
    pd.testing.assert_frame_equal(validated[0], views[0][0])  # what the audit's readers were given early

    day = extracts["days"][0]
    load_bundle(store, day, backend_settings, resolver=resolve_deterministic, on_first_view=views.append,
                on_first_incidents=validated.append, rejects_path=day.parent / "first-rejects.csv")
    assert len(views) == 1 and len(validated) == 1, "a graph that holds a load is not empty: its audit reads the graph"


def test_a_first_load_writes_the_verdicts_detection_does_not_read_once_detection_has_read(
        store, backend_settings, extracts, monkeypatch):
    """Written beside detection's read, they slowed it twice over on large (stop 32)."""
    from csenet.audit import graph as audit_graph
    from csenet.networks import projection

    events: list = []
    read, write = projection.load_facts, audit_graph.write_verdicts

    def reading(*args, **kwargs):
        facts = read(*args, **kwargs)
        events.append("detection read")
        return facts

    def writing(store_, verdicts, *args, **kwargs):
        events.append(("verdicts", len(verdicts)))
        return write(store_, verdicts, *args, **kwargs)

    monkeypatch.setattr(projection, "load_facts", reading)
    monkeypatch.setattr(audit_graph, "write_verdicts", writing)
    _load(store, extracts["base"], backend_settings)
    written = [e for e in events if e != "detection read"]
    assert events.index("detection read") == 1 and len(written) >= 2, events
    total = store.read("MATCH (i:Incident) RETURN count(i) AS n")[0]["n"]
    assert written[1][1] > 0 and written[0][1] + written[1][1] == total
    assert all(r["verdict"] for r in store.read(AUDIT))


@pytest.mark.parametrize("read_ahead", [False, True])
def test_the_first_load_s_early_audit_gives_the_verdicts_of_a_whole_audit(store, backend_settings, extracts,
                                                                          monkeypatch, read_ahead):
    """`read_ahead`: two worker processes read the summaries while people are resolved
    (audit.parallel.StagedAudit; a medium force is the smallest that takes it by default)."""
    from csenet.audit import parallel

    from tests.conftest import frames_holding

    finished = []
    if read_ahead:
        monkeypatch.setattr(parallel, "MIN_CHUNK", 50)
        finish = parallel.StagedAudit.finish

        def judged(self, *a):
            # the readers judge once the load has let its frames go, not beside the people's writing
            finished.append((len(self._workers), frames_holding("given_names") > 0))
            return finish(self, *a)
        monkeypatch.setattr(parallel.StagedAudit, "finish", judged)
    settings = backend_settings.model_copy(update={"audit_workers": 2, "audit_read_ahead": read_ahead})
    _load(store, extracts["base"], settings)
    assert finished == ([(2, False)] if read_ahead else [])
    early, networks = store.read(AUDIT), store.read(NETWORKS)
    assert len(early) > 0 and all(r["verdict"] for r in early) and networks
    # no touched incidents: the whole graph read back and audited, its verdicts all written
    # before detection (a first load writes those detection does not read beside it)
    run_analyses(store, backend_settings)
    assert store.read(AUDIT) == early
    assert store.read(NETWORKS) == networks
