"""csenet's own conformance bundle (tests/data/conformance) loads as its README says.

It needs nothing outside the repository; the shared tiny bundle, when present, is
checked by the tests that name it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import graph_counts

NODES = {"Identifier": 3, "Incident": 5, "Load": 1, "Location": 4, "MissingEpisode": 1, "Network": 1, "OCG": 1,
         "Person": 8, "PersonRecord": 10}


@pytest.fixture(scope="module")
def loaded(backend_settings, tmp_path_factory, conformance_source: Path):
    """The bundle loaded with the analyses on each reachable backend: (store, load summary, bundle copy)."""
    from csenet.graph.open import open_store
    from csenet.pipeline import load_and_analyse

    bundle = tmp_path_factory.mktemp("conf") / "conformance"
    shutil.copytree(conformance_source, bundle)
    store = open_store(backend_settings)
    store.drop_graph()
    summary = load_and_analyse(store, bundle, backend_settings)
    yield store, summary, bundle
    store.drop_graph()
    store.close()


def person_of(store, record_id: str) -> str:
    return store.read("MATCH (:PersonRecord {record_id: $r})-[:RESOLVED_TO]->(p:Person) RETURN p.person_id AS p",
                      {"r": record_id})[0]["p"]


def test_every_row_loads_and_the_swapped_date_is_the_one_warning(loaded):
    store, summary, bundle = loaded
    assert summary.rows_rejected == 0 and summary.rows_read == summary.rows_loaded == 34
    assert graph_counts(store)[0] == NODES
    assert summary.extra_columns == {"incidents": ["shift_code"], "person_records": ["custody_ref"]}
    rejects = pd.read_csv(bundle / "rejects.csv", dtype=str)
    assert rejects[["file", "line", "severity", "column", "value"]].values.tolist() == [
        ["person_records.csv", "5", "WARNING", "date_of_birth", "1988-17-05"]]
    r04 = store.read("MATCH (r:PersonRecord {record_id: 'R-04'}) RETURN r")[0]["r"]
    assert r04["date_of_birth_raw"] == "1988-17-05" and "date_of_birth" not in r04


def test_records_resolve_into_the_readmes_people(loaded):
    store, _, _ = loaded
    assert person_of(store, "R-01") == person_of(store, "R-02"), "the child recorded twice is one person"
    assert person_of(store, "R-03") == person_of(store, "R-04"), "the swapped date of birth does not split Dale"
    assert person_of(store, "R-07") != person_of(store, "R-08"), "same surname, postcode and birthday: two people"
    shared = store.read("MATCH (r:PersonRecord)-[:HAS_IDENTIFIER]->(i:Identifier) "
                        "WITH i, collect(r.record_id) AS rs WHERE size(rs) > 1 "
                        "RETURN i.identifier_key AS k, rs ORDER BY k")
    assert [(s["k"], sorted(s["rs"])) for s in shared] == [("PHONE:07700900333", ["R-01", "R-02"]),
                                                           ("VEHICLE:XY34FGH", ["R-04", "R-06"])]


def test_the_child_went_missing_and_was_found_where_she_was_abused(loaded):
    store, _, _ = loaded
    rows = store.read("MATCH (p:Person)-[:WENT_MISSING]->(m:MissingEpisode)-[:FOUND_AT]->(l:Location) "
                      "RETURN p.person_id AS p, m.started_at AS s, l.location_id AS l")
    assert rows == [{"p": person_of(store, "R-01"), "s": "2024-01-08", "l": "LOC-12"}]


def test_the_flag_audit_gives_each_verdict(loaded):
    store, _, _ = loaded
    rows = store.read("MATCH (i:Incident) RETURN i.incident_id AS i, i.cse_verdict AS v, i.suggested_flags AS s "
                      "ORDER BY i")
    assert [(r["i"], r["v"], list(r["s"] or [])) for r in rows] == [
        ("INC-101", "CONFIRMED", []), ("INC-102", "UNDER_FLAGGED", ["CSE"]), ("INC-103", "NOT_CSE", []),
        ("INC-104", "OVER_FLAGGED", ["CSA"]), ("INC-105", "OVER_FLAGGED", ["CCE"])]


def test_one_network_the_ocg_map_misses(loaded):
    store, _, _ = loaded
    nets = store.read("MATCH (n:Network) RETURN n")
    assert len(nets) == 1
    net = nets[0]["n"]
    assert net["ocg_mapped"] is False and net["member_on_ocg_map"] is True and net["ocg_ids"] == ["OCG-7"]
    assert net["ocg_mapped_as_cse"] is False
    assert net["incident_ids"] == ["INC-101", "INC-102"] and net["victim_count"] == 1
    members = store.read("MATCH (p:Person)-[r:IN_NETWORK]->(:Network) RETURN p.person_id AS p, r.role AS role")
    expected = {person_of(store, r): "PERPETRATOR" for r in ("R-03", "R-05", "R-06")}
    assert {m["p"]: m["role"] for m in members if m["role"] != "VICTIM"} == expected


def test_each_tie_says_why(loaded):
    store, _, _ = loaded
    dale, marcus, gavin = (person_of(store, r) for r in ("R-03", "R-05", "R-06"))
    rows = store.read("MATCH (a:Person)-[r:ASSOCIATED_WITH]->(b:Person) RETURN a.person_id AS a, b.person_id AS b, "
                      "r.kinds AS k")
    ties = {frozenset((r["a"], r["b"])): sorted(r["k"]) for r in rows}
    assert ties == {frozenset((dale, marcus)): ["CO_OFFENDING"],
                    frozenset((gavin, marcus)): ["SHARED_VICTIM"],  # a shared postcode alone is no association
                    frozenset((dale, gavin)): ["RECORDED_ASSOCIATION", "SHARED_IDENTIFIER", "SHARED_VICTIM"]}


def test_loading_it_again_changes_nothing(loaded, backend_settings):
    from csenet.pipeline import load_and_analyse

    store, _, bundle = loaded
    before = graph_counts(store)
    load_and_analyse(store, bundle, backend_settings)
    assert graph_counts(store) == before


def _run(store, name: str, **params) -> list[dict]:
    from csenet.cypher.registry import get_query

    query = get_query(name)
    return store.read(query.text_for(store.dialect), query.bind(params))


def test_canned_queries_show_the_gap_and_the_child_at_risk(loaded):
    store, _, _ = loaded
    assert _run(store, "ocg_gap") == [{"district": "Hollin North", "networks": 1, "not_ocg_mapped": 1,
                                       "no_member_on_ocg_map": 0, "not_mapped_as_cse": 1,
                                       "perpetrators_and_facilitators": 3, "victims": 1,
                                       "ocg_ids_on_networks": ["OCG-7"]}]
    rows = _run(store, "children_at_risk")
    assert [r["child_id"] for r in rows] == [person_of(store, "R-01")]
    assert rows[0]["missing_episodes"] == 1 and rows[0]["found_at"] == ["LOC-12"]
