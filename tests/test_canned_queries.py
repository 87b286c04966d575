# SPDX-License-Identifier: GPL-3.0-or-later
"""The network canned queries return what they should, on the real embedded FalkorDB.

Each runs through the registry (typed, bounded parameters; the store's dialect picks
the text), on the tiny bundle loaded by the loader and on planted scenarios
(tests/network_seed.py), and returns exactly the columns its header declares.
"""

from __future__ import annotations


import pytest

from csenet.settings import Settings
from csenet.cypher.registry import QueryParamError, get_query, load_registry
from csenet.graph.falkordb_store import FalkorStore
from csenet.networks.projection import detect_networks
from tests.network_seed import planted

NETWORK_QUERIES = ["networks", "network_detail", "person_associates", "shared_victim_links", "co_offenders",
                   "children_multiple_perpetrators", "hotspot_locations", "brokers", "children_at_risk", "ocg_gap"]


def run(store, name: str, **params) -> list[dict]:
    query = get_query(name)
    rows = store.read(query.text_for(store.dialect), query.bind(params))
    for row in rows:
        assert tuple(row) == query.returns, "%s returned %s, declares %s" % (name, tuple(row), query.returns)
    return rows


@pytest.fixture(scope="module")
def tiny(tiny_graph):
    return tiny_graph


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    store = FalkorStore.embedded(Settings(data=tmp_path_factory.mktemp("cq"), graph_name="t_cq_seed"))
    store.drop_graph()
    store.ensure_schema()
    planted().write(store)
    detect_networks(store)
    yield store
    store.drop_graph()
    store.close()


def person_of(store, record_id: str) -> str:
    return store.read("MATCH (:PersonRecord {record_id: $r})-[:RESOLVED_TO]->(p:Person) RETURN p.person_id AS p",
                      {"r": record_id})[0]["p"]


def network_of(store, person_id: str) -> str:
    return store.read("MATCH (:Person {person_id: $p})-[m:IN_NETWORK]->(n:Network) WHERE m.role <> 'VICTIM' "
                      "RETURN n.network_id AS n", {"p": person_id})[0]["n"]


def test_every_network_query_is_registered_with_a_full_header():
    registry = load_registry()
    for name in NETWORK_QUERIES:
        q = registry[name]
        assert q.title and q.purpose and q.inquiry and q.returns
        for p in q.params:
            if p.name == "limit":
                assert p.max is not None and p.max <= 5000, "%s: limit needs a bound" % name


def test_no_query_calls_anyone_a_leader():
    for name in NETWORK_QUERIES:
        q = get_query(name)
        text = " ".join([q.title, q.purpose, q.neo4j_text]).lower()
        for word in ("leader", "ringleader", "boss", "kingpin"):
            assert word not in text.replace("not mean leader", "").replace("presumed ringleader", ""), name


# -- tiny bundle -----------------------------------------------------------------------------

def test_networks_lists_the_tiny_network_as_not_on_the_ocg_map(tiny):
    rows = run(tiny, "networks")
    assert len(rows) == 1
    row = rows[0]
    assert row["size"] == 3 and row["victim_count"] == 1
    assert row["ocg_mapped"] is False and row["ocg_mapped_as_cse"] is False and row["ocg_mapping_ids"] == []
    assert row["member_on_ocg_map"] is True and row["ocg_primary_crimes"] == ["DRUGS"]
    assert [r["network_id"] for r in run(tiny, "networks", not_ocg_mapped=True)] == [row["network_id"]]
    assert [r["network_id"] for r in run(tiny, "networks", not_mapped_as_cse=True)] == [row["network_id"]]
    assert run(tiny, "networks", district="Eastvale") == []
    assert run(tiny, "networks", since="2023-06-01") == []
    assert len(run(tiny, "networks", since="2023-05-01", until="2023-05-31")) == 1
    assert run(tiny, "networks", min_size=4) == []


def test_network_detail_shows_members_roles_victims_and_evidence(tiny):
    net = run(tiny, "networks")[0]["network_id"]
    rows = run(tiny, "network_detail", network_id=net)
    kyle, dennis, simon, tayla = (person_of(tiny, r) for r in ("P-3", "P-5", "P-6", "P-1"))
    roles = {r["person_id"]: r["member_role"] for r in rows}
    assert roles == {kyle: "PERPETRATOR", dennis: "PERPETRATOR", simon: "PERPETRATOR", tayla: "VICTIM"}
    assert [r["member_role"] for r in rows][-1] == "VICTIM"
    by = {r["person_id"]: r for r in rows}
    assert by[dennis]["ocg_ids"] == ["OCG-1"]
    ties = {t["person_id"]: t for t in by[kyle]["ties"]}
    assert set(ties) == {dennis, simon}
    assert "CO_OFFENDING" in ties[dennis]["kinds"] and ties[dennis]["incident_ids"] == ["INC-1"]
    assert ties[simon]["victim_ids"] == [tayla]
    abused = {(a["incident_id"], a["person_id"]) for a in by[tayla]["abused_by"]}
    assert abused == {("INC-1", kyle), ("INC-1", dennis), ("INC-2", simon)}
    assert run(tiny, "network_detail", network_id="NET-NOPE") == []
    with pytest.raises(QueryParamError):
        get_query("network_detail").bind({})


def test_person_associates_walks_one_to_three_links_with_evidence(tiny):
    kyle, kyle_custody, dennis, simon = (person_of(tiny, r) for r in ("P-3", "P-4", "P-5", "P-6"))
    one = run(tiny, "person_associates", person_id=kyle)
    assert {r["person_id"] for r in one} == {dennis, simon}
    assert all(r["hops"] == 1 and r["path_person_ids"][0] == kyle for r in one)
    two = run(tiny, "person_associates", person_id=kyle, hops=2)
    far = [r for r in two if r["person_id"] == kyle_custody]
    if kyle_custody != kyle:
        assert far and far[0]["hops"] == 2 and far[0]["path_person_ids"] == [kyle, simon, kyle_custody]
        assert far[0]["evidence"][1]["intel_refs"] == ["IR/2023/0042"]
    assert kyle not in {r["person_id"] for r in run(tiny, "person_associates", person_id=kyle, hops=3)}
    with pytest.raises(QueryParamError):
        get_query("person_associates").bind({"person_id": kyle, "hops": 4})


REFERENCE_ASSOCIATES = """
MATCH path = (p:Person {person_id: $person_id})-[:ASSOCIATED_WITH*1..3]-(q:Person)
WHERE length(path) <= $hops AND q <> p
WITH q, min(length(path)) AS hops
RETURN q.person_id AS person_id, hops
"""


@pytest.mark.parametrize("hops", [1, 2, 3])
def test_person_associates_reaches_everyone_a_path_search_reaches(seeded, hops):
    """Breadth first, one ring at a time: the same people at the same distance as every path."""
    people = [r["p"] for r in seeded.read("MATCH (p:Person)-[:ASSOCIATED_WITH]-() RETURN DISTINCT p.person_id AS p")]
    assert len(people) > 10
    links = {frozenset((r["a"], r["b"])): r["k"] for r in seeded.read(
        "MATCH (a:Person)-[r:ASSOCIATED_WITH]->(b:Person) RETURN a.person_id AS a, b.person_id AS b, r.kinds AS k")}
    for pid in people:
        rows = run(seeded, "person_associates", person_id=pid, hops=hops, limit=2000)
        reference = seeded.read(REFERENCE_ASSOCIATES, {"person_id": pid, "hops": hops})
        expected = {r["person_id"]: r["hops"] for r in reference}
        assert {r["person_id"]: r["hops"] for r in rows} == expected
        for r in rows:
            path = r["path_person_ids"]
            assert path[0] == pid and path[-1] == r["person_id"] and len(path) == r["hops"] + 1
            assert [e["kinds"] for e in r["evidence"]] == [links[frozenset(step)] for step in zip(path, path[1:])]
        assert [(r["hops"], r["person_id"]) for r in rows] == sorted((r["hops"], r["person_id"]) for r in rows)


def test_shared_victim_links_and_children_with_several_perpetrators(tiny):
    kyle, dennis, simon, tayla = (person_of(tiny, r) for r in ("P-3", "P-5", "P-6", "P-1"))
    pairs = {frozenset((r["person_a"], r["person_b"])) for r in run(tiny, "shared_victim_links")}
    assert pairs == {frozenset((simon, kyle)), frozenset((simon, dennis))}
    assert all(r["child_id"] == tayla and r["same_network_ids"] for r in run(tiny, "shared_victim_links"))
    kids = run(tiny, "children_multiple_perpetrators")
    assert [k["child_id"] for k in kids] == [tayla]
    assert set(kids[0]["perpetrator_ids"]) == {kyle, dennis, simon} and kids[0]["network_ids"]
    assert run(tiny, "children_multiple_perpetrators", min_perpetrators=4) == []


def test_co_offenders_finds_several_adults_in_one_incident(tiny):
    rows = run(tiny, "co_offenders")
    assert [r["incident_id"] for r in rows] == ["INC-1"]
    assert set(rows[0]["suspect_ids"]) == {person_of(tiny, "P-3"), person_of(tiny, "P-5")}
    assert rows[0]["victim_ids"] == [person_of(tiny, "P-1")]
    assert run(tiny, "co_offenders", since="2023-03-01") == []


def test_children_at_risk_lists_a_missing_child_of_a_network(tiny):
    rows = run(tiny, "children_at_risk")
    assert [r["child_id"] for r in rows] == [person_of(tiny, "P-1")]
    assert rows[0]["missing_episodes"] == 1 and rows[0]["found_at"] == ["LOC-2"]
    assert rows[0]["victim_in_networks"] == rows[0]["found_at_network_premises"]


def test_ocg_gap_on_the_tiny_bundle(tiny):
    assert run(tiny, "ocg_gap") == [{"district": "Westbrook", "networks": 1, "not_ocg_mapped": 1,
                                     "no_member_on_ocg_map": 0, "not_mapped_as_cse": 1, "perpetrators_and_facilitators": 3, "victims": 1,
                                     "ocg_ids_on_networks": ["OCG-1"]}]


# -- planted scenarios --------------------------------------------------------------------------

def test_networks_filters_and_pages_on_planted_groups(seeded):
    everything = run(seeded, "networks")
    assert len(everything) == 5
    unmapped = {r["network_id"] for r in run(seeded, "networks", not_ocg_mapped=True)}
    assert network_of(seeded, "A1") in unmapped and network_of(seeded, "B1") not in unmapped
    assert {r["network_id"] for r in run(seeded, "networks", min_size=5)} == {network_of(seeded, "A1"),
                                                                              network_of(seeded, "B1")}
    assert [r["network_id"] for r in run(seeded, "networks", district="South")] == [network_of(seeded, "B1")]
    pages = run(seeded, "networks", limit=2) + run(seeded, "networks", skip=2, limit=3)
    assert [r["network_id"] for r in pages] == [r["network_id"] for r in everything]
    bridged = {r["network_id"]: r["bridges_to"] for r in everything}
    assert bridged[network_of(seeded, "A1")] == [network_of(seeded, "B1")]


def test_network_detail_names_the_facilitator_and_why(seeded):
    rows = run(seeded, "network_detail", network_id=network_of(seeded, "TENANT"))
    by = {r["person_id"]: r for r in rows}
    assert by["TENANT"]["member_role"] == "FACILITATOR" and by["TENANT"]["facilitation"] == ["PREMISES:L-FLAT"]
    assert {t["person_id"] for t in by["TENANT"]["ties"]} == {"F1", "F2"}
    assert all(t["location_ids"] == ["L-FLAT"] for t in by["TENANT"]["ties"])


def test_hotspot_locations_finds_premises_with_different_suspects(seeded):
    rows = {r["location_id"]: r for r in run(seeded, "hotspot_locations")}
    assert set(rows) == {"L-FLAT", "L-HOTEL"}
    assert set(rows["L-FLAT"]["suspect_ids"]) == {"F1", "F2"} and rows["L-FLAT"]["incident_count"] == 2
    assert rows["L-HOTEL"]["missing_found_here"] == 1
    assert list(r["location_id"] for r in run(seeded, "hotspot_locations", kind="HOTEL")) == ["L-HOTEL"]


def test_brokers_are_the_people_linking_networks(seeded):
    rows = run(seeded, "brokers", network_id=network_of(seeded, "A1"))
    linking = [r for r in rows if r["bridges_network_ids"]]
    assert {r["person_id"] for r in linking} == {"A5", "B1"}
    assert rows[0]["person_id"] in ("A5", "B1")
    assert all(0 <= r["bridging_score"] <= 1 for r in run(seeded, "brokers"))


def test_children_at_risk_and_ocg_gap_on_planted_groups(seeded):
    rows = {r["child_id"]: r for r in run(seeded, "children_at_risk")}
    assert set(rows) == {"IKID"}
    assert rows["IKID"]["victim_in_networks"] == [network_of(seeded, "ABUSER")]
    gap = {r["district"]: r for r in run(seeded, "ocg_gap")}
    assert gap["South"]["networks"] == 1 and gap["South"]["not_ocg_mapped"] == 0
    assert gap["South"]["ocg_ids_on_networks"] == ["OCG-CSE"]
    assert gap["North"]["not_ocg_mapped"] == gap["North"]["networks"] == 4
    assert gap["North"]["no_member_on_ocg_map"] == 3 and gap["South"]["no_member_on_ocg_map"] == 0
    assert run(seeded, "ocg_gap", district="South") == [gap["South"]]


def test_queries_refuse_unknown_and_out_of_range_parameters():
    with pytest.raises(QueryParamError):
        get_query("networks").bind({"limit": 100_000})
    with pytest.raises(QueryParamError):
        get_query("networks").bind({"leader": "x"})
    with pytest.raises(QueryParamError):
        get_query("co_offenders").bind({"since": "last tuesday"})
