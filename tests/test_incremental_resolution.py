"""A day's records are resolved with the people they could join, and end where resolving
every record with the same model would (resolution/incremental.py, loaders/record_cache.py)."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from csenet.loaders.load import existing_records, merge_records
from csenet.loaders.record_cache import RecordCache
from csenet.pipeline import load_and_analyse
from csenet.resolution import model_store
from csenet.resolution.splink_resolver import resolve

PEOPLE = "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person) RETURN r.record_id AS record, p.person_id AS person"


@pytest.fixture(scope="module")
def force(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A generated force cut into a base extract and three days."""
    from csenet.synth import generate
    from csenet.synth.extracts import split_days

    root = tmp_path_factory.mktemp("force")
    generate(root / "whole", scale="small", seed=5)
    base, days = split_days(root / "whole", root / "cut", days=3, per_day=40)
    return {"whole": root / "whole", "base": base, "days": days}


def _load(store, folder: Path, settings):
    return load_and_analyse(store, folder, settings, analyse=False,
                            rejects_path=folder.parent / (folder.name + "-rejects.csv"))


def _people(store) -> dict[str, str]:
    return {r["record"]: r["person"] for r in store.read(PEOPLE)}


def _resolved_at_once(store, settings) -> dict[str, str]:
    """Every record of the graph resolved in one go with the model the days used."""
    existing = existing_records(store, settings.result_limit)
    previous = {r: p for r, p in zip(existing["record_id"], existing["person_id"]) if isinstance(p, str) and p}
    model, threshold = model_store.load(settings.models_path())
    out = resolve(merge_records(existing, None), previous, model=model, threshold=threshold).entities
    return dict(zip(out["record_id"], out["person_id"]))


def test_each_day_resolves_a_neighbourhood_and_equals_resolving_everything(store, backend_settings, force):
    base = _load(store, force["base"], backend_settings)
    assert not base.incremental and base.resolved_records == base.records_total
    for day in force["days"]:
        summary = _load(store, day, backend_settings)
        assert summary.incremental
        assert 3 <= summary.resolved_records < summary.records_total / 20
        assert summary.persons_changed == 3  # each day adds one record to three known people
    assert _people(store) == _resolved_at_once(store, backend_settings)


def test_a_cache_that_does_not_match_the_graph_is_not_used(store, backend_settings, force):
    _load(store, force["base"], backend_settings)
    cache = RecordCache(backend_settings.records_path())
    assert cache.manifest() is not None
    assert {os.stat(p).st_mode & 0o777 for p in (cache.records, cache.compared)} == {0o600}
    # a load by another machine (or one cut short) leaves the graph ahead of this cache
    store.write("CREATE (:Load {load_id: 'elsewhere'})")
    summary = _load(store, force["days"][0], backend_settings)
    assert not summary.incremental and summary.resolved_records == summary.records_total
    assert _load(store, force["days"][1], backend_settings).incremental


def test_a_load_cut_short_leaves_no_usable_cache(store, backend_settings, force, monkeypatch):
    import csenet.loaders.load as load

    _load(store, force["base"], backend_settings)

    def crash(*_a, **_k):
        raise RuntimeError("killed")

    monkeypatch.setattr(load, "write_people", crash)
    with pytest.raises(RuntimeError):
        _load(store, force["days"][0], backend_settings)
    monkeypatch.undo()
    assert RecordCache(backend_settings.records_path()).manifest() is None
    summary = _load(store, force["days"][0], backend_settings)
    assert not summary.incremental
    assert _people(store) == _resolved_at_once(store, backend_settings)


def _day(base: Path, folder: Path, rows: list[dict]) -> Path:
    """A bundle of person records only (the incident files empty)."""
    folder.mkdir(parents=True)
    shutil.copy(base / "bundle.yaml", folder / "bundle.yaml")
    for name in ("incidents.csv", "involvements.csv"):
        with open(base / name, encoding="utf-8") as fh:
            (folder / name).write_text(fh.readline(), encoding="utf-8")
    header = open(base / "person_records.csv", encoding="utf-8").readline().strip().split(",")
    with open(folder / "person_records.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})
    return folder


def test_a_day_that_merges_two_people_then_a_correction_that_splits_them(store, backend_settings, force, tmp_path):
    _load(store, force["base"], backend_settings)
    records = pd.read_csv(force["base"] / "person_records.csv", dtype=str, keep_default_na=False)
    sizes = pd.Series(_people(store)).value_counts()
    records["size"] = records["record_id"].map(_people(store)).map(sizes)
    a = records[(records["national_id"] != "") & (records["date_of_birth"].str.len() == 10)
                & (records["size"] >= 4)].iloc[0]
    stranger = {"source": "RMS", "family_name": "Quartermaine", "given_names": "Zebedee",
                "date_of_birth": a["date_of_birth"], "gender": "M", "postcode": "ZZ9 9ZZ", "phone": "07700 900123"}
    _load(store, _day(force["base"], tmp_path / "d1", [dict(stranger, record_id="ZQ-1"),
                                                       dict(stranger, record_id="ZQ-2")]), backend_settings)
    people = _people(store)
    assert people["ZQ-1"] == people["ZQ-2"] != people[a["record_id"]]
    stranger_id, known_id = people["ZQ-1"], people[a["record_id"]]

    # a new record of the stranger carrying the known person's national id: one person
    bridge = dict(stranger, record_id="ZQ-3", national_id=a["national_id"])
    merged = _load(store, _day(force["base"], tmp_path / "d2", [bridge]), backend_settings)
    people = _people(store)
    assert merged.incremental
    assert people["ZQ-1"] == people["ZQ-3"] == people[a["record_id"]]
    assert people[a["record_id"]] == known_id  # the larger person keeps its id
    assert _people(store) == _resolved_at_once(store, backend_settings)

    # the national id was keyed to the wrong record: re-sent without it, they part again
    split = _load(store, _day(force["base"], tmp_path / "d3", [dict(bridge, national_id="")]), backend_settings)
    people = _people(store)
    assert split.incremental
    assert people["ZQ-1"] == people["ZQ-3"] != people[a["record_id"]]
    assert people[a["record_id"]] == known_id and people["ZQ-1"] == stranger_id
    cleared = store.read("MATCH (r:PersonRecord {record_id: 'ZQ-3'}) RETURN r.national_id AS nid")
    assert cleared == [{"nid": None}]
    assert _people(store) == _resolved_at_once(store, backend_settings)


def test_the_deterministic_resolver_resolves_a_day_by_its_own_keys(store, backend_settings, force):
    from csenet.resolution.deterministic import resolve_deterministic

    def load(folder):
        return load_and_analyse(store, folder, backend_settings, analyse=False, resolver=resolve_deterministic,
                                rejects_path=folder.parent / (folder.name + "-rejects.csv"))

    assert not load(force["base"]).incremental
    for day in force["days"]:
        summary = load(day)
        assert summary.incremental and 3 <= summary.resolved_records < summary.records_total / 20
    existing = existing_records(store, backend_settings.result_limit)
    at_once = resolve_deterministic(merge_records(existing, None),
                                    {r: p for r, p in zip(existing["record_id"], existing["person_id"])}).entities
    assert _people(store) == dict(zip(at_once["record_id"], at_once["person_id"]))
