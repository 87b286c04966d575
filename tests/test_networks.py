# SPDX-License-Identifier: GPL-3.0-or-later
"""Network detection under the Inquiry's definition, on the real embedded FalkorDB.

Two graphs: the tiny bundle loaded by the loader (Kyle, Dennis and Simon are one
network; only Dennis is OCG-mapped, on a drugs OCG), and planted scenarios written
straight into the person layer (two groups joined by a thread, a lone offender,
facilitators by premises and by introduction, same premises within the window).
"""

from __future__ import annotations

import csv

import igraph as ig
import pytest

from csenet.settings import Settings
from csenet.networks.associations import age_bounds
from csenet.graph.falkordb_store import FalkorStore
from csenet.networks.detection import DetectionParams, split_component
from csenet.networks.projection import detect_networks, export_networks_csv
from tests.network_seed import Seed, planted


def open_store(tmp_path_factory, name: str) -> FalkorStore:
    return FalkorStore.embedded(Settings(data=tmp_path_factory.mktemp("net"), graph_name=name))


@pytest.fixture(scope="module")
def tiny(tiny_graph):
    return tiny_graph


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    store = open_store(tmp_path_factory, "t_net_seed")
    store.drop_graph()
    store.ensure_schema()
    planted().write(store)
    summary = detect_networks(store)
    yield store, summary
    store.drop_graph()
    store.close()


def person_of(store, record_id: str) -> str:
    return store.read("MATCH (:PersonRecord {record_id: $r})-[:RESOLVED_TO]->(p:Person) RETURN p.person_id AS p",
                      {"r": record_id})[0]["p"]


def networks(store) -> dict[str, dict]:
    """network_id -> {props, members: {person_id: role}}."""
    out = {}
    for row in store.read("MATCH (n:Network) RETURN n.network_id AS id, properties(n) AS props"):
        out[row["id"]] = {"props": row["props"], "members": {}}
    for row in store.read("MATCH (p:Person)-[m:IN_NETWORK]->(n:Network) "
                          "RETURN n.network_id AS id, p.person_id AS p, m.role AS role, properties(m) AS props"):
        out[row["id"]]["members"][row["p"]] = row["role"]
    return out


def network_with(store, person_id: str) -> dict:
    found = [n for n in networks(store).values()
             if n["members"].get(person_id) in ("PERPETRATOR", "FACILITATOR")]
    assert len(found) == 1, "%s is in %d networks" % (person_id, len(found))
    return found[0]


def in_any_network(store, person_id: str) -> bool:
    return bool(store.read("MATCH (p:Person {person_id: $p})-[:IN_NETWORK]->(:Network) RETURN p.person_id AS p",
                           {"p": person_id}))


# -- the tiny bundle ---------------------------------------------------------------------

def test_tiny_bundle_has_one_network_of_kyle_dennis_and_simon(tiny):
    nets = networks(tiny)
    assert len(nets) == 1
    (net,) = nets.values()
    kyle, dennis, simon, tayla = (person_of(tiny, r) for r in ("P-3", "P-5", "P-6", "P-1"))
    assert {p for p, role in net["members"].items() if role != "VICTIM"} == {kyle, dennis, simon}
    assert {p for p, role in net["members"].items() if role == "VICTIM"} == {tayla}
    assert all(net["members"][p] == "PERPETRATOR" for p in (kyle, dennis, simon))
    props = net["props"]
    assert props["size"] == 3 and props["perpetrator_count"] == 3 and props["victim_count"] == 1
    assert props["incident_ids"] == ["INC-1", "INC-2"]
    assert props["districts"] == ["Westbrook"]
    assert props["first_seen"] == "2023-02-27" and props["last_seen"] == "2023-05-09"
    assert set(props["tie_kinds"]) >= {"CO_OFFENDING", "SHARED_VICTIM"}


def test_tiny_network_is_not_on_the_ocg_map_though_one_member_is(tiny):
    (net,) = networks(tiny).values()
    props = net["props"]
    assert props["ocg_mapped"] is False and props["ocg_mapping_ids"] == []
    assert props["member_on_ocg_map"] is True and props["ocg_mapped_members"] == 1
    assert props["ocg_ids"] == ["OCG-1"]
    assert props["ocg_primary_crimes"] == ["DRUGS"]
    assert props["ocg_mapped_as_cse"] is False


def test_tiny_network_rests_on_the_audit(tiny):
    (net,) = networks(tiny).values()
    assert net["props"]["cse_basis"] == "audit"
    assert net["props"]["detection_version"].startswith("networks/")


def test_tiny_association_evidence_carries_its_proof(tiny):
    kyle, kyle_custody, dennis, simon = (person_of(tiny, r) for r in ("P-3", "P-4", "P-5", "P-6"))
    rows = tiny.read("MATCH (a:Person)-[r:ASSOCIATED_WITH]->(b:Person) "
                     "RETURN a.person_id AS a, b.person_id AS b, properties(r) AS r")
    assert all(row["a"] < row["b"] for row in rows), "stored from the smaller person_id to the larger"
    links = {frozenset((row["a"], row["b"])): row["r"] for row in rows}
    assert len(links) == len(rows), "one link per unordered pair"

    co = links[frozenset((kyle, dennis))]
    assert "CO_OFFENDING" in co["kinds"] and "INC-1" in co["incident_ids"]
    assert {"P-3", "P-5"} <= set(co["record_ids"])

    shared = links[frozenset((simon, dennis))]
    assert shared["kinds"] == ["SHARED_VICTIM"], "a shared postcode alone is no association"
    assert shared["incident_ids"] == ["INC-1", "INC-2"]
    assert shared["victim_ids"] == [person_of(tiny, "P-1")]

    intel = links[frozenset((simon, kyle_custody))]
    assert {"RECORDED_ASSOCIATION", "SHARED_IDENTIFIER"} <= set(intel["kinds"])
    assert intel["intel_refs"] == ["IR/2023/0042"] and intel["intel_grades"] == ["B2"]
    assert intel["identifier_keys"] == ["VEHICLE:AB12CDE"]
    assert intel["weight"] > co["weight"] - 3.0


def test_tiny_people_outside_cse_are_not_in_networks(tiny):
    for record in ("P-7", "P-8", "P-9", "P-10"):
        assert not in_any_network(tiny, person_of(tiny, record))


def test_export_networks_csv_follows_the_contract(tiny, tmp_path):
    out = tmp_path / "networks.csv"
    n = export_networks_csv(tiny, out)
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert n == len(rows) == 4
    assert list(rows[0]) == ["network_id", "person_id", "member_role", "record_ids", "ocg_ids"]
    by_person = {r["person_id"]: r for r in rows}
    dennis = by_person[person_of(tiny, "P-5")]
    assert dennis["member_role"] == "PERPETRATOR" and dennis["record_ids"] == "P-5" and dennis["ocg_ids"] == "OCG-1"
    tayla = by_person[person_of(tiny, "P-1")]
    assert tayla["member_role"] == "VICTIM" and tayla["record_ids"] == "P-1;P-2" and tayla["ocg_ids"] == ""
    assert [r["member_role"] for r in rows] == ["PERPETRATOR"] * 3 + ["VICTIM"]


def _snapshot(store) -> tuple:
    nets = networks(store)
    links = store.read("MATCH (a:Person)-[r:ASSOCIATED_WITH]->(b:Person) "
                       "RETURN a.person_id AS a, b.person_id AS b, properties(r) AS r ORDER BY a, b")
    bridges = store.read("MATCH (a:Network)-[r:BRIDGES_TO]->(b:Network) "
                         "RETURN a.network_id AS a, b.network_id AS b, properties(r) AS r ORDER BY a, b")
    scores = store.read("MATCH (p:Person) WHERE p.bridging_score IS NOT NULL "
                        "RETURN p.person_id AS p, p.bridging_score AS s ORDER BY p")
    return nets, links, bridges, scores


def test_detection_is_deterministic_and_replaces_the_previous_run(tiny):
    before = _snapshot(tiny)
    detect_networks(tiny)
    detect_networks(tiny)
    assert _snapshot(tiny) == before


# -- planted scenarios ---------------------------------------------------------------------

def test_leiden_splits_two_groups_joined_by_one_thread(seeded):
    store, summary = seeded
    a = network_with(store, "A1")
    b = network_with(store, "B1")
    assert {p for p, r in a["members"].items() if r != "VICTIM"} == {"A1", "A2", "A3", "A4", "A5"}
    assert {p for p, r in b["members"].items() if r != "VICTIM"} == {"B1", "B2", "B3", "B4", "B5"}
    assert a["props"]["component_id"] == b["props"]["component_id"]
    assert a["props"]["component_size"] == 10
    assert summary.split_components >= 1
    bridges = store.read("MATCH (x:Network)-[r:BRIDGES_TO]->(y:Network) "
                         "RETURN x.network_id AS x, y.network_id AS y, r.via_person_ids AS via, r.edge_count AS n")
    assert len(bridges) == 1
    assert {bridges[0]["x"], bridges[0]["y"]} == {a["props"]["network_id"], b["props"]["network_id"]}
    assert bridges[0]["via"] == ["A5", "B1"] and bridges[0]["n"] == 1
    score = {r["p"]: r for r in store.read(
        "MATCH (p:Person) WHERE p.bridging_score IS NOT NULL "
        "RETURN p.person_id AS p, p.bridging_score AS s, p.bridges_network_ids AS nets")}
    assert score["A5"]["nets"] == [b["props"]["network_id"]]
    assert score["B1"]["nets"] == [a["props"]["network_id"]]
    assert score["A5"]["s"] > 0 and score["A5"]["s"] >= max(score.get("A%d" % k, {"s": 0})["s"] for k in range(1, 6))


def test_lone_offenders_and_non_cse_co_offenders_are_not_networks(seeded):
    store, _ = seeded
    for person in ("LONE", "BURG1", "BURG2", "LKID"):
        assert not in_any_network(store, person)


def test_premises_used_again_and_again_make_a_facilitator(seeded):
    store, _ = seeded
    net = network_with(store, "TENANT")
    assert net["members"] == {"TENANT": "FACILITATOR", "F1": "PERPETRATOR", "F2": "PERPETRATOR",
                              "FKID1": "VICTIM", "FKID2": "VICTIM"}
    assert net["props"]["facilitator_count"] == 1
    reasons = store.read("MATCH (:Person {person_id: 'TENANT'})-[m:IN_NETWORK]->() RETURN m.facilitation AS f")
    assert reasons[0]["f"] == ["PREMISES:L-FLAT"]
    assert "FACILITATION" in net["props"]["tie_kinds"]


def test_an_introducer_is_a_facilitator(seeded):
    store, _ = seeded
    net = network_with(store, "ABUSER")
    assert net["members"] == {"ABUSER": "PERPETRATOR", "INTRO": "FACILITATOR", "IKID": "VICTIM"}
    reasons = store.read("MATCH (:Person {person_id: 'INTRO'})-[m:IN_NETWORK]->() RETURN m.facilitation AS f")
    assert reasons[0]["f"] == ["ASSOCIATION:IKID"]


def test_a_household_does_not_facilitate_abuse_in_its_own_home(seeded):
    store, _ = seeded
    assert not in_any_network(store, "HOMEMAN")
    assert not in_any_network(store, "HOUSEMATE"), "living with the offender is not facilitation"
    tie = store.read("MATCH (a:Person {person_id: 'HOMEMAN'})-[r:ASSOCIATED_WITH]-(:Person {person_id: 'HOUSEMATE'}) "
                     "RETURN r.kinds AS k")
    assert tie == [{"k": ["SHARED_ADDRESS"]}]


def test_two_men_abusing_one_child_with_nothing_else_known_are_no_network(seeded):
    store, _ = seeded
    assert not in_any_network(store, "SEP1") and not in_any_network(store, "SEP2")
    tie = store.read("MATCH (a:Person {person_id: 'SEP1'})-[r:ASSOCIATED_WITH]-(:Person {person_id: 'SEP2'}) "
                     "RETURN r.kinds AS k, r.victim_ids AS v")
    assert tie == [{"k": ["SHARED_VICTIM"], "v": ["SKID"]}], "the shared child stays visible as evidence"


def test_an_associate_who_offended_against_the_same_exploited_child_joins(seeded):
    store, _ = seeded
    net = network_with(store, "EXPL")
    assert {p: r for p, r in net["members"].items() if r != "VICTIM"} == {"EXPL": "PERPETRATOR", "MATE": "PERPETRATOR"}
    why = store.read("MATCH (:Person {person_id: 'MATE'})-[m:IN_NETWORK]->() RETURN m.involvement AS i")
    assert why == [{"i": ["OFFENCE_AGAINST_EXPLOITED_CHILD"]}]
    assert not in_any_network(store, "STRANGER"), "offending against the same child alone shows no acquaintance"


def test_a_shared_phone_between_people_not_told_apart_may_be_one_person(seeded):
    store, _ = seeded
    try:
        s = Seed()
        s.person("DUP1", dob=None)
        s.person("DUP2", dob="1980-02-03")
        s.child("DKID")
        s.identifier("DUP1", "PHONE", "07700900999")
        s.identifier("DUP2", "PHONE", "07700900999")
        s.incident("I-DUP-1", "2023-05-01", victims=["DKID"], suspects=["DUP1"])
        s.incident("I-DUP-2", "2023-06-01", victims=["DKID"], suspects=["DUP2"])
        s.write(store)
        detect_networks(store)
        assert network_with(store, "DUP1")["members"].get("DUP2") == "PERPETRATOR", "by default a shared phone joins"
        detect_networks(store, params=DetectionParams(doubt_same_person=True))
        assert not in_any_network(store, "DUP1") and not in_any_network(store, "DUP2")
        assert in_any_network(store, "A1"), "people told apart, or acting together, still join"
    finally:
        store.write("MATCH (n) WHERE n.person_id IN ['DUP1', 'DUP2', 'DKID'] "
                    "OR n.record_id IN ['R-DUP1', 'R-DUP2', 'R-DKID'] OR n.identifier_key = 'PHONE:07700900999' "
                    "OR n.incident_id IN ['I-DUP-1', 'I-DUP-2'] DETACH DELETE n")
        detect_networks(store)


def test_reads_are_limited_to_the_neighbourhood_of_cse(seeded):
    from csenet.networks.facts import load_facts

    store, _ = seeded
    facts = load_facts(store)
    assert "BURG1" not in facts.core and "I-BURG" not in set(facts.incidents["incident_id"])
    assert {"A1", "TENANT", "INTRO", "EKID", "B2"} <= facts.core | set(facts.persons["person_id"])


def test_homes_are_found_the_same_with_and_without_a_postcode_index(seeded, monkeypatch):
    import csenet.networks.facts as facts_module

    store, _ = seeded
    scanned = facts_module.load_facts(store)
    monkeypatch.setattr(facts_module, "postcode_indexed", lambda: True)
    looked_up = facts_module.load_facts(store)
    key = ["record_id", "person_id", "home"]
    homes = lambda f: sorted(map(tuple, f.records.dropna(subset=["home"])[key].values.tolist()))  # noqa: E731
    assert homes(scanned) == homes(looked_up) and ("R-TENANT", "TENANT", "NN22BB|flat 7 mill court") in homes(scanned)


def test_same_premises_is_evidence_but_joins_no_one_alone(seeded):
    store, _ = seeded
    premises = store.read("MATCH (a:Person {person_id: 'ABUSER'})-[r:ASSOCIATED_WITH]-(b:Person {person_id: 'H1'}) "
                          "RETURN r.kinds AS k, r.location_ids AS l, r.incident_ids AS i")
    assert premises == [{"k": ["SAME_PREMISES"], "l": ["L-HOTEL"], "i": ["I-HOTEL", "I-INTRO"]}]
    assert not in_any_network(store, "H1"), "at the same hotel 30 days later shows no acquaintance"


def test_shared_victims_join_a_person_to_a_core_but_do_not_merge_cores(seeded):
    store, _ = seeded
    try:
        s = Seed()
        s.person("C1")
        s.person("C2")
        s.person("SOLO")
        s.child("CKID")
        s.incident("I-C-1", "2023-05-01", victims=["CKID"], suspects=["C1", "C2"])
        s.incident("I-C-2", "2023-05-09", victims=["CKID"], suspects=["SOLO"])
        s.incident("I-C-3", "2023-05-10", victims=["CKID"], suspects=["A1"])
        s.write(store)
        detect_networks(store)
        core = network_with(store, "C1")
        assert {p for p, r in core["members"].items() if r != "VICTIM"} in ({"C1", "C2", "SOLO"},
                                                                          {"C1", "C2"})
        assert network_with(store, "A1")["members"].get("C1") is None, "a shared child does not merge two groups"
        assert in_any_network(store, "SOLO")
        bridges = store.read("MATCH (x:Network)-[r:BRIDGES_TO]-(y:Network) WHERE x.network_id = $a "
                             "RETURN y.network_id AS y", {"a": core["props"]["network_id"]})
        assert network_with(store, "A1")["props"]["network_id"] in {b["y"] for b in bridges}
    finally:
        store.write("MATCH (n) WHERE n.person_id IN ['C1', 'C2', 'SOLO', 'CKID'] "
                    "OR n.record_id IN ['R-C1', 'R-C2', 'R-SOLO', 'R-CKID'] "
                    "OR n.incident_id IN ['I-C-1', 'I-C-2', 'I-C-3'] DETACH DELETE n")
        detect_networks(store)


def test_a_group_sharing_one_member_with_a_mapped_ocg_is_a_network_of_its_own(tmp_path_factory):
    """G offends with a drugs OCG's men and, apart from them, with X and Y: two networks sharing G."""
    from csenet.networks.facts import load_facts
    from csenet.networks.detection import detect

    store = open_store(tmp_path_factory, "t_net_ocg_split")
    try:
        store.drop_graph()
        store.ensure_schema()
        s = Seed()
        for p in ("O1", "O2", "O3", "G", "X", "Y"):
            s.person(p)
        s.child("OKID")
        s.child("XKID")
        s.incident("I-O-1", "2023-03-01", victims=["OKID"], suspects=["O1", "O2", "G"])
        s.incident("I-O-2", "2023-03-20", victims=["OKID"], suspects=["O2", "O3"])
        s.incident("I-X-1", "2023-06-01", victims=["XKID"], suspects=["G", "X", "Y"])
        for p in ("O1", "O2", "O3"):
            s.ocg(p, "OCG-D", "DRUGS")
        s.write(store)
        detect_networks(store)
        nets = {frozenset(p for p, r in n["members"].items() if r != "VICTIM"): n for n in networks(store).values()}
        assert set(nets) == {frozenset({"O1", "O2", "O3", "G"}), frozenset({"G", "X", "Y"})}
        mapped, apart = nets[frozenset({"O1", "O2", "O3", "G"})]["props"], nets[frozenset({"G", "X", "Y"})]["props"]
        assert mapped["ocg_mapped"] is True and mapped["ocg_mapping_ids"] == ["OCG-D"]
        assert apart["ocg_mapped"] is False and apart["member_on_ocg_map"] is False
        bridge = store.read("MATCH (a:Network)-[r:BRIDGES_TO]-(b:Network) WHERE a.network_id = $a "
                            "RETURN b.network_id AS b, r.shared_person_ids AS shared", {"a": apart["network_id"]})
        assert bridge == [{"b": mapped["network_id"], "shared": ["G"]}]
        g = store.read("MATCH (p:Person {person_id: 'G'}) RETURN p.bridges_network_ids AS n")[0]["n"]
        assert sorted(g) == sorted([mapped["network_id"], apart["network_id"]])

        facts = load_facts(store)
        facts.ocg = facts.ocg.iloc[0:0]
        unmapped = detect(facts, DetectionParams())
        assert [sorted(n.members) for n in unmapped.networks] == [["G", "O1", "O2", "O3", "X", "Y"]], \
            "without the map's evidence of where the OCG ends, one network"
    finally:
        store.drop_graph()
        store.close()


def test_networks_report_ocg_mapping_and_the_recorded_flag_basis(seeded):
    store, summary = seeded
    a, b = network_with(store, "A1")["props"], network_with(store, "B1")["props"]
    assert a["ocg_mapped"] is False and a["ocg_ids"] == ["OCG-DRUGS"] and a["member_on_ocg_map"] is True
    assert b["ocg_mapped"] is True and b["ocg_mapped_as_cse"] is True and b["ocg_ids"] == ["OCG-CSE"]
    assert b["ocg_mapping_ids"] == ["OCG-CSE"] and b["ocg_mapped_members"] == 2
    assert a["cse_basis"] == b["cse_basis"] == "recorded_flag"
    assert summary.cse_basis == {"recorded_flag": summary.cse_incidents}
    assert summary.networks == 5 and summary.not_ocg_mapped == 4


def test_audit_verdict_overrides_the_flag_and_a_rerun_follows_the_graph(seeded):
    store, _ = seeded
    try:
        store.write("MATCH (i:Incident) SET i.meets_cse_definition = coalesce(i.flagged_cse, false)")
        store.write("MATCH (i:Incident {incident_id: 'I-FLAT-2'}) SET i.meets_cse_definition = false")
        detect_networks(store)
        assert not in_any_network(store, "TENANT"), "one CSE incident at the flat: no premises facilitator"
        assert not in_any_network(store, "F2")
        assert network_with(store, "A1")["props"]["cse_basis"] == "audit"
    finally:
        store.write("MATCH (i:Incident) SET i.meets_cse_definition = null")
        detect_networks(store)
    assert network_with(store, "TENANT")["members"]["TENANT"] == "FACILITATOR"


def test_the_time_window_is_a_parameter(seeded):
    store, _ = seeded
    query = ("MATCH (:Person {person_id: 'ABUSER'})-[r:ASSOCIATED_WITH]-(:Person {person_id: 'H1'}) "
             "RETURN r.kinds AS k")
    try:
        detect_networks(store, window_days=10)
        assert store.read(query) == []
    finally:
        detect_networks(store)
    assert store.read(query) == [{"k": ["SAME_PREMISES"]}]


# -- units -----------------------------------------------------------------------------------

def _two_cliques() -> ig.Graph:
    edges = [(a, b) for a in range(5) for b in range(a + 1, 5)]
    edges += [(a + 5, b + 5) for a, b in edges] + [(4, 5)]
    g = ig.Graph(n=10, edges=edges)
    g.es["weight"] = [2.0] * len(edges)
    return g


def test_split_component_separates_two_cliques_joined_by_a_bridge():
    assert split_component(_two_cliques(), DetectionParams()) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]


def test_split_component_keeps_a_loose_chain_whole():
    g = ig.Graph(n=12, edges=[(k, k + 1) for k in range(11)])
    g.es["weight"] = [2.0] * 11
    assert split_component(g, DetectionParams()) == [list(range(12))]


def test_split_component_always_splits_an_oversized_blob():
    g = ig.Graph(n=0)
    for k in range(4):
        base = g.vcount()
        g.add_vertices(10)
        g.add_edges([(base + a, base + b) for a in range(10) for b in range(a + 1, 10)])
        if k:
            g.add_edge(base - 1, base)
    g.es["weight"] = [1.0] * g.ecount()
    groups = split_component(g, DetectionParams(max_network_size=25))
    assert sorted(len(x) for x in groups) == [10, 10, 10, 10]


@pytest.mark.parametrize("dob,on,expected", [
    ("2008-09-15", "2023-09-14", (14, 14)),
    ("2008-09", "2023-09-14", (14, 15)),
    ("2008-09", "2023-10-01", (15, 15)),
    ("2008", "2023-06-01", (14, 15)),
    (None, "2023-06-01", None),
])
def test_age_bounds_from_partial_dates_of_birth(dob, on, expected):
    assert age_bounds(dob, on) == expected
