"""The flag audit in several processes gives exactly the verdicts of one (audit/parallel.py)."""

from __future__ import annotations

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
