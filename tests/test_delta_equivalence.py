"""Any sequence of daily extracts ends where one load of their union does (issue 15).

Hypothesis draws the days: how many, their size, new records of known people, and
corrections re-sent on any day (synth/extracts.py `CHANGES`: flags changed, added and
removed, a date of birth corrected, a national id shared or cleared, a late suspect, a
recorded association). Each sequence is loaded day by day with its analyses, then its
union from scratch, and the two graphs must hold the same people, the same person-level
relationships, the same verdicts and the same networks. People are named by their
records: a person's id may differ between the two, by design (ids are kept across days):
from one day to the next, a person with the same records and a network with the same
members keep their ids.
The deterministic resolver makes the union a fair referee; resolving a day with a kept
Splink model is checked against resolving everything with it in
tests/test_incremental_resolution.py.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from csenet.loaders.statements import DERIVED_TYPES
from csenet.pipeline import load_and_analyse
from csenet.resolution.deterministic import resolve_deterministic
from csenet.synth.extracts import CHANGES, Change, cut_days, union_of

PEOPLE = "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person) RETURN r.record_id AS record, p.person_id AS person"
VERDICTS = ("MATCH (i:Incident) RETURN i.incident_id AS id, i.cse_verdict AS verdict, "
            "i.meets_cse_definition AS meets, i.suggested_flags AS suggested")
MEMBERS = ("MATCH (p:Person)-[m:IN_NETWORK]->(n:Network) RETURN n.network_id AS net, p.person_id AS person, "
           "m.role AS role, m.incident_ids AS incidents")
NETWORKS = "MATCH (n:Network) RETURN n.network_id AS net, n.incident_ids AS incidents, n.ocg_mapped AS ocg_mapped"
SCORES = ("MATCH (p:Person) WHERE p.bridging_score IS NOT NULL RETURN p.person_id AS person, "
          "p.bridging_score AS score")
ASSOCIATIONS = ("MATCH (a:Person)-[x:ASSOCIATED_WITH]->(b:Person) RETURN a.person_id AS a, b.person_id AS b, "
                "x.weight AS weight, x.kinds AS kinds, x.incident_ids AS incidents")
EXAMPLES = int(os.environ.get("CSENET_PROPERTY_EXAMPLES", "2"))
ALL_CHANGES = [Change(n % 3, kind, n) for n, kind in enumerate(sorted(CHANGES))]

_runs = itertools.count()


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from csenet.synth import generate

    folder = tmp_path_factory.mktemp("force") / "whole"
    generate(folder, scale="small", seed=13)
    return folder


def _load(store, folder: Path, settings):
    # Networks around every day's touches, however big a share of this small force they read.
    settings = settings.model_copy(update={"network_part_max_share": 1.0})
    return load_and_analyse(store, folder, settings, resolver=resolve_deterministic,
                            rejects_path=folder.parent / (folder.name + "-rejects.csv"))


def graph_state(store) -> dict[str, object]:
    """What the records support, with each person named by its record ids."""
    records: dict[str, list[str]] = {}
    for r in store.read(PEOPLE):
        records.setdefault(r["person"], []).append(r["record"])
    named = {p: tuple(sorted(rs)) for p, rs in records.items()}
    links = set()
    for r in store.read("MATCH (p:Person)-[x]->(n) WHERE type(x) IN $types RETURN p.person_id AS p, type(x) AS t, "
                        "coalesce(n.incident_id, n.identifier_key, n.ocg_id, n.episode_id, n.person_id) AS n",
                        {"types": list(DERIVED_TYPES)}):
        a, b = named[r["p"]], named.get(r["n"], r["n"])
        links.add((*sorted([a, b]), r["t"]) if r["t"] == "ASSOCIATE_OF" else (a, r["t"], b))
    members: dict[str, set] = {}
    for r in store.read(MEMBERS):
        members.setdefault(r["net"], set()).add((named[r["person"]], r["role"], tuple(r["incidents"] or ())))
    networks = {(frozenset(members.get(r["net"], ())), tuple(r["incidents"] or ()), r["ocg_mapped"])
                for r in store.read(NETWORKS)}
    associations = {(*sorted([named[r["a"]], named[r["b"]]]), r["weight"], tuple(r["kinds"]), tuple(r["incidents"]))
                    for r in store.read(ASSOCIATIONS)}
    return {
        "person_ids": {rs: p for p, rs in named.items()},
        "network_ids": {frozenset((m[0], m[1]) for m in ms): net for net, ms in members.items()},
        "people": sorted(named.values()),
        "links": links,
        "verdicts": {r["id"]: (r["verdict"], r["meets"], tuple(r["suggested"] or ())) for r in store.read(VERDICTS)},
        "networks": networks,
        "scores": {named[r["person"]]: r["score"] for r in store.read(SCORES)},
        "associations": associations,
    }


days_plan = st.integers(1, 3).flatmap(lambda days: st.tuples(
    st.just(days), st.integers(3, 25), st.integers(0, 4),
    st.lists(st.builds(Change, day=st.integers(0, days - 1), kind=st.sampled_from(sorted(CHANGES)),
                       pick=st.integers(0, 40)), max_size=4)))


@given(plan=days_plan)
@example(plan=(3, 20, 3, ALL_CHANGES))
@example(plan=(1, 3, 0, []))  # a day without person records: once crashed keeping the records
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],  # an example costs half a minute: no shrinking, the plan is printed
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_days_end_where_one_load_of_their_union_does(store, backend_settings, whole, tmp_path, plan):
    days, per_day, new_records, changes = plan
    root = tmp_path / ("run-%d" % next(_runs))
    base, folders = cut_days(whole, root / "cut", days, per_day, new_records, changes)

    store.drop_graph()
    store.ensure_schema()
    before = None
    for folder in [base, *folders]:
        summary = _load(store, folder, backend_settings)
        assert summary.rows_loaded > 0
        if folder is not base:  # the days' networks are detected around what each touched
            assert "around the load" in summary.analyses["networks"], summary.analyses["networks"]
        after = graph_state(store)
        if before is not None:  # ids stay put while what they name does
            for kind in ("person_ids", "network_ids"):
                kept = set(before[kind]) & set(after[kind])
                assert {k: before[kind][k] for k in kept} == {k: after[kind][k] for k in kept}, (kind, plan)
        before = after
    stepwise = after

    store.drop_graph()
    store.ensure_schema()
    _load(store, union_of(whole, folders, root / "union"), backend_settings)
    at_once = graph_state(store)

    for part in ("people", "links", "verdicts", "networks", "scores", "associations"):
        assert stepwise[part] == at_once[part], "%s differ after %r" % (part, plan)


def test_the_corrections_are_real_changes(whole, tmp_path):
    """Each change re-sends a row the base holds, with a value that differs (else the
    property above would prove nothing about corrections)."""
    import pandas as pd

    base, folders = cut_days(whole, tmp_path / "cut", 3, 5, 0, ALL_CHANGES)
    union = union_of(whole, folders, tmp_path / "union")
    for name, key in (("incidents", "incident_id"), ("person_records", "record_id")):
        before = pd.read_csv(base / (name + ".csv"), dtype=str, keep_default_na=False).set_index(key)
        after = pd.read_csv(union / (name + ".csv"), dtype=str, keep_default_na=False).drop_duplicates(key)
        after = after.set_index(key)
        after = after.loc[before.index.intersection(after.index)]
        changed = (before.loc[after.index, after.columns] != after).any(axis=1)
        assert changed.sum() == 3  # three changes of each file in ALL_CHANGES
    extra = pd.read_csv(union / "associations.csv", dtype=str, keep_default_na=False)
    assert extra["source_ref"].str.startswith("IR/DELTA/").sum() == 1
    late = pd.read_csv(union / "involvements.csv", dtype=str, keep_default_na=False)
    assert len(late) == len(pd.read_csv(whole / "involvements.csv", dtype=str)) + 1
