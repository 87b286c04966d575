"""The flag audit in several processes gives exactly the verdicts of one (audit/parallel.py)."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from csenet.audit import audit_incidents
from csenet.audit.engine import flag_list
from csenet.audit.parallel import audit_in_parallel, chunks


@pytest.fixture(scope="module")
def force(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """A generated force's incidents, each record taken for a person of its own."""
    from csenet.synth import generate

    folder = tmp_path_factory.mktemp("force")
    generate(folder, scale="small", seed=3)

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / name, dtype=str, keep_default_na=False)

    incidents = read("incidents.csv")
    incidents["flags"] = [flag_list(f) for f in incidents["flags"]]
    involvements = read("involvements.csv").rename(columns={"record_id": "person_id"})
    persons = read("person_records.csv").rename(columns={"record_id": "person_id"})[
        ["person_id", "date_of_birth", "gender"]]
    truth = read("truth/incidents.csv")
    context = truth[truth["network_id"] != ""][["incident_id", "network_id"]]
    return {"incidents": incidents, "involvements": involvements, "persons": persons, "context": context}


def test_chunks_hold_each_incident_once_with_only_its_own_people(force):
    parts = chunks(force["incidents"], force["involvements"], force["persons"], force["context"], 3)
    assert len(parts) == 3 and all(len(p[0]) >= len(force["incidents"]) // 3 for p in parts)
    assert pd.concat([p[0] for p in parts])["incident_id"].tolist() == force["incidents"]["incident_id"].tolist()
    for incidents, involvements, persons, context in parts:
        ids = set(incidents["incident_id"])
        assert set(involvements["incident_id"]) <= ids and set(context["incident_id"]) <= ids
        assert set(persons["person_id"]) == set(involvements["person_id"]) & set(force["persons"]["person_id"])


@pytest.mark.parametrize("with_context,here", [(False, True), (True, True), (True, False)])
def test_three_processes_give_the_verdicts_of_one(force, with_context, here):
    """`here=False`: every share in a worker, none in the calling thread (a load writing beside it)."""
    context = force["context"] if with_context else None
    args = (force["incidents"], force["involvements"], force["persons"], context)
    apart = audit_in_parallel(*args, workers=3, min_chunk=100, here=here)
    together = audit_incidents(*args)
    assert len(together) == len(force["incidents"]) and together["verdict"].nunique() >= 3
    pd.testing.assert_frame_equal(apart, together)


def test_a_script_that_runs_itself_again_on_import_still_gets_its_verdicts(tmp_path):
    """Spawned workers import the calling script again; one without a main guard breaks
    them, and the audit then runs in the calling process instead of failing."""
    import subprocess
    import sys
    import textwrap

    script = tmp_path / "unguarded.py"
    script.write_text(textwrap.dedent("""
        import pandas as pd
        from csenet.audit.parallel import audit_in_parallel
        incidents = pd.DataFrame({"incident_id": ["I%d" % i for i in range(40)], "reported_at": "2023-03-01",
                                  "summary": "Girl aged 14 was given cider by two men who then had sex with her."})
        none = pd.DataFrame(columns=["incident_id", "person_id", "role"])
        people = pd.DataFrame(columns=["person_id", "date_of_birth", "gender"])
        out = audit_in_parallel(incidents, none, people, workers=2, min_chunk=10)
        print("VERDICTS", len(out), out["meets_cse_definition"].sum())
    """))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "VERDICTS 40 40" in proc.stdout
    assert "auditing 40 incidents in this process" in proc.stderr


@pytest.mark.parametrize("with_context", [False, True])
def test_workers_that_read_before_the_people_are_known_give_the_verdicts_of_one(force, with_context):
    """StagedAudit: each worker reads its incidents' summaries alone, then judges them with the
    people sent after."""
    from csenet.audit.parallel import StagedAudit

    context = force["context"] if with_context else None
    staged = StagedAudit(force["incidents"], workers=3, min_chunk=100)
    assert len(staged._workers) == 3
    apart = staged.finish(force["involvements"], force["persons"], context)
    assert staged._workers == []
    together = audit_incidents(force["incidents"], force["involvements"], force["persons"], context)
    pd.testing.assert_frame_equal(apart, together)


def test_a_reader_that_dies_leaves_the_verdicts_to_this_process(force, caplog):
    from csenet.audit.parallel import StagedAudit

    staged = StagedAudit(force["incidents"], workers=2, min_chunk=100)
    process = staged._workers[1][0]
    process.kill()
    process.join()
    apart = staged.finish(force["involvements"], force["persons"], force["context"])
    together = audit_incidents(force["incidents"], force["involvements"], force["persons"], force["context"])
    pd.testing.assert_frame_equal(apart, together)
    assert "auditing %d incidents in this process" % len(force["incidents"]) in caplog.text


def test_a_reader_s_error_is_raised_here_with_its_traceback(force):
    from csenet.audit.parallel import StagedAudit, _answer

    staged = StagedAudit(force["incidents"], workers=2, min_chunk=100)
    try:
        conn = staged._workers[0][1]
        conn.send("not the people")
        with pytest.raises(RuntimeError, match="(?s)the audit failed in a worker process.*ValueError"):
            _answer(conn)
    finally:
        staged.close()
    assert staged._workers == []


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="a platform without SCHED_IDLE: the readers are niced")
def test_readers_run_only_on_idle_cores_until_their_people_come(force):
    """While people are resolved the readers take only cores nothing else wants; once the
    people are sent, what is left of their work is what the load waits for."""
    from csenet.audit.parallel import StagedAudit, _foreground

    staged = StagedAudit(force["incidents"], workers=2, min_chunk=100)
    try:
        pids = [process.pid for process, _ in staged._workers]
        deadline = time.monotonic() + 60
        while any(os.sched_getscheduler(pid) != os.SCHED_IDLE for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [os.sched_getscheduler(pid) for pid in pids] == [os.SCHED_IDLE] * 2
        _foreground(pids[0])
        assert os.sched_getscheduler(pids[0]) == os.SCHED_OTHER
    finally:
        staged.close()


def test_summaries_read_a_part_at_a_time_give_the_verdicts_of_one_read(force, monkeypatch):
    """Auditor.read embeds READ_ROWS incidents at once and lets their clause vectors go."""
    from csenet.audit import engine
    from csenet.audit.semantic import SemanticReader

    args = (force["incidents"], force["involvements"], force["persons"], force["context"])
    together = audit_incidents(*args)
    kept: list[int] = []
    forget = SemanticReader.forget
    monkeypatch.setattr(SemanticReader, "forget", lambda self: kept.append(len(self._vectors)) or forget(self))
    monkeypatch.setattr(engine, "READ_ROWS", 7)
    apart = audit_incidents(*args)
    pd.testing.assert_frame_equal(apart, together)
    assert len(kept) == -(-len(force["incidents"]) // 7) and max(kept) > 0
