"""Resolution weighs all the evidence: near-miss dates, swapped-and-misspelt names, undated
records, twins and parent-and-child, and the model each load keeps for `csenet explain`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from csenet.resolution import model_store
from csenet.resolution import splink_model as sm
from csenet.resolution import splink_resolver as sr
from csenet.resolution.records import read_person_records
from csenet.resolution.splink_resolver import explain, resolve

FIXTURE = Path(__file__).parent / "fixtures" / "person_records.csv"


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return read_person_records(FIXTURE)


def rec(rid, fam, given, dob, gender="M", pc=None, phones=(), nid=None):
    return {"record_id": rid, "family_name": fam, "given_names": given, "date_of_birth": dob, "gender": gender,
            "postcode": pc, "phones": list(phones), "national_id": nid}


def with_extra(records, rows) -> pd.DataFrame:
    return pd.concat([records, pd.DataFrame(rows)], ignore_index=True)


def person(res, rid):
    ent = res.entities
    return ent.loc[ent.record_id == rid, "person_id"].iloc[0]


def same(res, *ids):
    return len({person(res, r) for r in ids}) == 1


def apart(res, *ids):
    return len({person(res, r) for r in ids}) == len(ids)


@pytest.fixture(scope="module")
def evidence(records):
    """One resolution over the fixture plus a record pair per case below."""
    rows = [
        # a year off, vouched by postcode / by phone / by national id
        rec("E100", "Pemberton", "Alistair", "1989-03-21", pc="WF1 2AB"),
        rec("E101", "Pemberton", "Alistair", "1990-03-21", pc="WF1 2AB"),
        rec("E110", "Okonkwo", "Chidi", "1979-11-02", phones=["07700 900555"]),
        rec("E111", "Okonkwo", "Chidi", "1978-11-02", phones=["+44 7700 900555"]),
        # one digit off in the day, vouched by postcode
        rec("E120", "Fairbrother", "Imogen", "2003-06-14", "F", pc="HD3 4QR"),
        rec("E121", "Fairbrother", "Imogen", "2003-06-19", "F", pc="HD3 4QR"),
        # a year off but nothing vouches (other postcode, no phone): stays apart
        rec("E130", "Whitcombe", "Declan", "1990-01-09", pc="BD1 1AA"),
        rec("E131", "Whitcombe", "Declan", "1991-01-09", pc="NE9 9ZZ"),
        # a year off, postcode agrees but gender differs: stays apart
        rec("E140", "Marchetti", "Sam", "1995-08-30", "M", pc="LS6 3DD"),
        rec("E141", "Marchetti", "Sam", "1996-08-30", "F", pc="LS6 3DD"),
        # swapped and misspelt names, same date of birth
        rec("E150", "Gallagher", "Niamh", "1998-02-11", "F", pc="OL1 3XY"),
        rec("E151", "Niamh", "Galagher", "1998-02-11", "F"),
        # different people, same date of birth, names only loosely alike: apart
        rec("E160", "Harrison", "Gemma", "1998-02-11", "F", pc="M1 1AE"),
        rec("E161", "Gemmel", "Harriet", "1998-02-11", "F", pc="M14 5TT"),
        # twins: same surname, date of birth and address, different given names
        rec("E170", "Abernethy", "Isla", "2012-09-04", "F", pc="YO1 7HH"),
        rec("E171", "Abernethy", "Freya", "2012-09-04", "F", pc="YO1 7HH"),
        rec("E172", "Abernethy", "Isla", "2012-09-04", "F", pc="YO1 7HH", phones=["07700 900777"]),
        rec("E173", "Abernethy", "Callum", "2012-09-04", "M", pc="YO1 7HH"),
        # parent and child: same name and address, dates decades apart
        rec("E180", "Thistlewood", "Roland", "1968-05-17", pc="S10 2TN"),
        rec("E181", "Thistlewood", "Roland", "1998-05-17", pc="S10 2TN"),
        # undated record: name and phone make the link unambiguous
        rec("E190", "Quennell", "Bethany", "1988-12-03", "F", pc="DN4 8PL", phones=["07700 900888"]),
        rec("E191", "Quennell", "Bethany", None, "F", phones=["07700 900888"]),
        # undated: a namesake elsewhere is no rival when only one of them shares the postcode
        rec("E200", "Wojcik", "Iana", "1973-09-04", "F", pc="NQ6 4ST"),
        rec("E201", "Wojcik", "Iana", "1996-02-28", "F", pc="WB7 5GE"),
        rec("E202", "Wojcik", "Iana", None, "F", pc="NQ6 4ST"),
    ]
    return resolve(with_extra(records, rows))


@pytest.mark.parametrize("a,b", [("E100", "E101"), ("E110", "E111"), ("E120", "E121")])
def test_a_date_one_slip_off_links_when_name_gender_and_place_vouch(evidence, a, b):
    assert same(evidence, a, b)


@pytest.mark.parametrize("a,b", [("E130", "E131"), ("E140", "E141")])
def test_a_date_one_slip_off_without_corroboration_stays_a_veto(evidence, a, b):
    assert apart(evidence, a, b)


def test_swapped_and_misspelt_names_link(evidence):
    assert same(evidence, "E150", "E151")
    assert apart(evidence, "E160", "E161")


def test_twins_stay_apart(evidence):
    assert same(evidence, "E170", "E172")
    assert apart(evidence, "E170", "E171", "E173")


def test_parent_and_child_stay_apart(evidence):
    assert apart(evidence, "E180", "E181")
    refused = evidence.review[(evidence.review.record_id_a == "E180") & (evidence.review.record_id_b == "E181")]
    assert refused.reason.tolist() == ["REFUSED:DOB_CONFLICT"]


def test_undated_record_joins_when_name_and_phone_make_it_unambiguous(evidence):
    assert same(evidence, "E190", "E191")


def test_undated_record_is_placed_by_postcode_over_a_namesake_elsewhere(evidence):
    assert same(evidence, "E200", "E202") and apart(evidence, "E200", "E201")


def test_explain_names_the_new_levels(records):
    frame = with_extra(records, [
        rec("E100", "Pemberton", "Alistair", "1989-03-21", pc="WF1 2AB"),
        rec("E101", "Pemberton", "Alistair", "1990-03-21", pc="WF1 2AB"),
        rec("E150", "Gallagher", "Niamh", "1998-02-11", "F", pc="OL1 3XY"),
        rec("E151", "Niamh", "Galagher", "1998-02-11", "F"),
    ])
    slip = explain(frame, "E100", "E101")
    dob = next(e for e in slip.evidence if e.comparison.lower().startswith("date"))
    assert dob.outcome == "same day and month, years one apart"
    assert any("one keying slip apart" in n for n in slip.notes) and slip.would_link
    swapped = explain(frame, "E150", "E151")
    assert {e.outcome for e in swapped.evidence} >= {"family and given names swapped, one misspelt"}


def test_model_store_round_trip(records, tmp_path):
    res = resolve(records, model_dir=tmp_path)
    version = res.entities.model_version.iloc[0]
    assert (tmp_path / f"{version}.json").exists()
    settings, threshold = model_store.load(tmp_path)
    assert sm.model_version(settings, threshold) == version
    with pytest.raises(ValueError):
        model_store.load(tmp_path, "../etc/passwd")


def test_explain_after_a_load_uses_the_loads_model_without_retraining(store, backend_settings, tiny_bundle,
                                                                      monkeypatch):
    from csenet.loaders.load import load_bundle

    from csenet.outputs import explain_records

    load_bundle(store, tiny_bundle, backend_settings)
    rows = store.read("MATCH (r:PersonRecord)-[x:RESOLVED_TO]->(:Person) "
                      "RETURN r.record_id AS id, x.model_version AS v ORDER BY id LIMIT 2")
    version = rows[0]["v"]
    assert version and (backend_settings.models_path() / f"{version}.json").exists()
    sr._MODELS.clear()  # as in a new process

    def no_training(*_a, **_k):
        raise AssertionError("explain retrained the model")

    monkeypatch.setattr(sm, "build", no_training)
    explanation = explain_records(store, backend_settings, rows[0]["id"], rows[1]["id"])
    assert explanation.model_version == version


def test_a_small_delta_reuses_its_graphs_latest_model_and_a_large_one_retrains(records, tmp_path):
    from csenet.loaders.load import kept_model
    from csenet.settings import Settings

    settings = Settings(data=tmp_path, graph_name="force_a")
    stored = {"link_type": "dedupe_only", "probability_two_random_records_match": 0.001, "comparisons": [],
              "blocking_rules_to_generate_predictions": []}
    model_store.save(settings.models_path(), stored, settings.match_threshold)
    ids = [str(r) for r in records["record_id"]]
    previous = {r: "P-%s" % r for r in ids[1:]}
    assert len(ids) >= 20
    assert kept_model(settings, records, previous) == stored
    assert kept_model(settings, records, {}) is None
    assert kept_model(settings, records, dict(list(previous.items())[:len(ids) // 2])) is None
    assert kept_model(settings.model_copy(update={"retrain_share": 0.0}), records, previous) is None
    assert kept_model(settings.model_copy(update={"match_threshold": 0.9}), records, previous) is None
    assert kept_model(settings.model_copy(update={"graph_name": "force_b"}), records, previous) is None
    assert Settings(data=tmp_path, graph_name="../../x").models_path().parent == tmp_path / "models"
