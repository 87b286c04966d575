"""A first load into an empty FalkorDB graph creates its facts with GRAPH.BULK
(graph/falkordb_bulk.py): the graph it leaves must be the one the MERGE path leaves, a
restart must bring it back, and what the format cannot carry leaves an empty graph that
MERGE then fills."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pandas as pd
import pytest

from csenet.graph import falkordb_bulk
from csenet.graph.falkordb_store import FalkorStore
from csenet.graph.graph_sets import NodeSet, NotImportable, RelSet
from csenet.loaders import statements as cy
from csenet.loaders.bulk import bulk_facts
from csenet.loaders.load import load_bundle
from csenet.settings import Settings
from tests.test_neo4j_import import dump, small_bundle  # noqa: F401  (small_bundle is a fixture)


def _settings(data: Path, name: str, bulk: bool) -> Settings:
    return Settings(data=data, graph_name=name, falkordb_bulk_load=bulk, falkordb_bulk_min_rows=0)


@pytest.fixture(scope="module")
def both(small_bundle, tmp_path_factory):  # noqa: F811
    """The small force loaded into two graphs of one server: by GRAPH.BULK and by MERGE."""
    data = tmp_path_factory.mktemp("bulk") / "d"
    out = {}
    for bulk in (True, False):
        store = FalkorStore.embedded(_settings(data, "bulk" if bulk else "merge", bulk))
        store.drop_graph()
        summary = load_bundle(store, small_bundle, store.settings, rejects_path=data.parent / "rejects.csv")
        out[bulk] = (summary, dump(store))
        store.close()
    return data, out


def test_graph_bulk_leaves_exactly_the_graph_merge_leaves(both):
    _, out = both
    (bulk_summary, bulk_graph), (merge_summary, merge_graph) = out[True], out[False]
    assert "bulk_bulk" in bulk_summary.timings and "bulk_bulk" not in merge_summary.timings
    nodes, rels = bulk_graph
    assert len(nodes) > 1_000 and len(rels) > 1_000
    assert nodes == merge_graph[0]
    assert rels == merge_graph[1]


def test_a_graph_made_by_graph_bulk_comes_back_after_a_restart_with_its_indexes(both):
    data, out = both
    store = FalkorStore.embedded(_settings(data, "bulk", True))
    try:
        assert dump(store) == out[True][1]
        indexed = {r["label"] for r in store.read("CALL db.indexes() YIELD label, status WHERE status = "
                                                  "'OPERATIONAL' RETURN label")}
        assert {"Incident", "PersonRecord", "Location", "Person"} <= indexed
    finally:
        store.drop_graph()
        store.close()


@pytest.fixture()
def store(tmp_path):
    store = FalkorStore.embedded(Settings(data=tmp_path / "d", graph_name="g"))
    store.ensure_schema()
    yield store
    store.close()


def _sets() -> tuple[list[NodeSet], list[RelSet]]:
    places = NodeSet("Location", "location_id", {"L1": {"location_id": "L1", "lat": 51.5, "n": 3},
                                                 "L2": {"location_id": "L2", "tags": ["a", "b"], "ok": True}})
    incidents = NodeSet("Incident", "incident_id", {"I1": {"incident_id": "I1", "summary": "é – ü", "none": None}})
    at = RelSet("OCCURRED_AT", ("Incident", "incident_id"), ("Location", "location_id"), [("I1", "L2", {"w": 1})])
    return [places, incidents], [at]


def test_bulk_create_writes_nodes_relationships_and_every_value_type(store):
    nodes, rels = _sets()
    sent = store.bulk_create([*nodes, *rels])
    assert (sent["nodes"], sent["relationships"]) == (3, 1)
    got = store.read("MATCH (i:Incident)-[r:OCCURRED_AT]->(l:Location) RETURN i.summary AS s, i.none AS none, "
                     "r.w AS w, l.location_id AS l, l.tags AS tags, l.ok AS ok")
    assert got == [{"s": "é – ü", "none": None, "w": 1, "l": "L2", "tags": ["a", "b"], "ok": True}]
    one = store.read("MATCH (l:Location {location_id: 'L1'}) RETURN l.lat AS lat, l.n AS n")[0]
    assert (one["lat"], type(one["n"])) == (51.5, int)


def test_bulk_create_refuses_a_graph_that_holds_a_node_and_leaves_it_alone(store):
    store.write("CREATE (:Incident {incident_id: 'KEEP'})")
    with pytest.raises(NotImportable, match="already holds"):
        store.bulk_create([*_sets()[0], *_sets()[1]])
    assert store.read("MATCH (n) RETURN n.incident_id AS i") == [{"i": "KEEP"}]
    steps = [("incidents", cy.INCIDENTS, [])]
    assert bulk_facts(store, steps, "L-1") is None  # the load then writes by MERGE


def test_a_value_the_format_cannot_carry_leaves_an_empty_graph_with_its_schema(store):
    nodes, rels = _sets()
    nodes[1].properties["I2"] = {"incident_id": "I2", "summary": "a\x00b"}
    with pytest.raises(NotImportable, match="NUL"):
        store.bulk_create([*nodes, *rels])
    assert store.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    assert {r["label"] for r in store.read("CALL db.indexes() YIELD label RETURN label")} >= {"Incident", "Location"}
    store.write("MERGE (:Incident {incident_id: 'I9'})")
    assert store.read("MATCH (i:Incident {incident_id: 'I9'}) RETURN count(i) AS n") == [{"n": 1}]


@pytest.mark.parametrize("value,why", [({"a": 1}, "dict"), (2**63, "64-bit"), (float("nan"), "non-finite"),
                                       (object(), "object"), ("a\ud800", "Unicode")])
def test_the_encoder_refuses_what_a_cypher_parameter_could_not_carry(value, why):
    with pytest.raises(NotImportable, match=why):
        falkordb_bulk.encoder()(value)


def test_values_are_packed_as_the_server_reads_them():
    enc = falkordb_bulk.encoder()
    assert enc(None) == b"\x00"
    assert enc(True) == b"\x01\x01" and enc(False) == b"\x01\x00"
    assert enc(1.5) == b"\x02" + struct.pack("<d", 1.5)
    assert enc("ab") == b"\x03ab\x00"
    assert enc(-2) == b"\x04" + struct.pack("<q", -2)
    assert enc(["x", 3]) == b"\x05" + struct.pack("<q", 2) + b"\x03x\x00" + b"\x04" + struct.pack("<q", 3)


def test_tokens_split_at_the_size_limit_and_ids_follow_the_order_sent(monkeypatch):
    monkeypatch.setattr(falkordb_bulk, "TOKEN_BYTES", 64)
    nodes = [NodeSet("Location", "location_id", {"L%d" % i: {"location_id": "L%d" % i} for i in range(20)}),
             NodeSet("Incident", "incident_id", {"I1": {"incident_id": "I1"}})]
    rels = [RelSet("OCCURRED_AT", ("Incident", "incident_id"), ("Location", "location_id"), [("I1", "L19", {})])]
    plan = falkordb_bulk.Plan()
    commands = list(plan.commands([*nodes, *rels]))
    assert sum(c[0] for c in commands) == 21 and sum(c[1] for c in commands) == 1
    assert len([c for c in commands if c[0]]) > 2, "the locations did not split into several tokens"
    assert all(c[1] == 0 for c in commands[:-1]), "a relationship was sent before every node"
    assert [len(t) for c in commands for t in c[2]] and max(len(t) for c in commands for t in c[2]) <= 64
    assert list(plan.id_of("Incident", ["I1", "L1"])) == [20, -1]
    assert list(plan.id_of("Location", ["L19", "L0"])) == [19, 0]
    assert plan.checks == [("Location", "location_id", "L0", 0), ("Location", "location_id", "L19", 19),
                           ("Incident", "incident_id", "I1", 20), ("Incident", "incident_id", "I1", 20)]
    header = b"OCCURRED_AT\x00" + struct.pack("<I", 0)
    assert commands[-1][3] == [header + struct.pack("<QQ", 20, 19)]


def test_nodes_after_relationships_or_a_label_in_two_places_are_refused():
    nodes, rels = _sets()
    more = NodeSet("Location", "location_id", {"L7": {"location_id": "L7"}})
    with pytest.raises(NotImportable, match="after relationships"):
        list(falkordb_bulk.Plan().commands([*nodes, *rels, NodeSet("OCG", "ocg_id", {"O1": {"ocg_id": "O1"}})]))
    with pytest.raises(NotImportable, match="not sent before"):
        list(falkordb_bulk.Plan().commands([nodes[0], *rels]))
    with pytest.raises(NotImportable, match="two sets"):
        list(falkordb_bulk.Plan().commands([nodes[0], nodes[1], more]))
    with pytest.raises(NotImportable, match="repeat a key"):
        list(falkordb_bulk.Plan().commands([nodes[0], nodes[0]]))
    plan = falkordb_bulk.Plan()  # one label in two sets, one after the other: the ids run on
    assert sum(c[0] for c in plan.commands([nodes[0], more])) == 3
    assert list(plan.id_of("Location", ["L7"])) == [2]



@pytest.mark.parametrize("values", [["a", None, "é – ü", ""], [1, None, -2**63], [1.5, None, -0.0],
                                    [True, False, None], [1, 2.5, "x", None, ["a", 2]], [None, None]])
def test_a_column_packs_each_value_as_the_value_encoder_would(values):
    """Arrow packs a column of one type; a mixed one goes value by value, so 1 stays an
    integer beside 2.5, as a MERGE would keep it."""
    enc = falkordb_bulk.encoder()
    packed = falkordb_bulk.encode_column(pd.Series(values, dtype=object)).to_pylist()
    assert packed == [enc(v) for v in values]


def test_a_column_of_missing_values_and_nan_packs_them_as_null():
    assert falkordb_bulk.encode_column(pd.Series([1.0, float("nan")])).to_pylist() == [
        b"\x02" + struct.pack("<d", 1.0), b"\x00"]
    assert falkordb_bulk.encode_column(pd.Series(["a", None], dtype="str")).to_pylist() == [b"\x03a\x00", b"\x00"]


@pytest.mark.parametrize("values,why", [(["a", "b\x00"], "NUL"), (["a", "b\ud800"], "Unicode"),
                                        ([1.0, float("inf")], "non-finite"), ([1, 2**63], "64-bit")])
def test_a_column_the_format_cannot_carry_is_refused(values, why):
    with pytest.raises(NotImportable, match=why):
        falkordb_bulk.encode_column(pd.Series(values, dtype=object))


def test_facts_whose_key_repeats_in_their_file_are_folded_as_merge_folds_them(tiny_bundle, tmp_path):
    """Rows seen once go as columns; an involvement sent twice, an association re-graded and
    a missing episode in two rows take fact_stream's fold, and the graph is MERGE's."""
    with (tiny_bundle / "involvements.csv").open("a") as fh:
        fh.write("INC-1,P-1,VICTIM\n")
    with (tiny_bundle / "associations.csv").open("a") as fh:
        fh.write("P-4,P-6,ASSOCIATE,IR/2023/0042,C3,2023-04-02\n")
    episodes = tiny_bundle / "missing_episodes.csv.gz"
    with gzip.open(episodes, "rt") as fh:
        text = fh.read()
    with gzip.open(episodes, "wt") as fh:
        fh.write(text.rstrip("\n") + "\nP-2,2023-05-08,2023-05-11,\n")
    dumps, timings = [], []
    for bulk in (True, False):
        store = FalkorStore.embedded(_settings(tmp_path / "d", "bulk" if bulk else "merge", bulk))
        try:
            summary = load_bundle(store, tiny_bundle, store.settings, rejects_path=tmp_path / "rejects.csv")
            assert summary.rows_rejected == 0
            timings.append(summary.timings)
            dumps.append(dump(store))
            if bulk:
                got = store.read("MATCH (:PersonRecord {record_id: 'P-1'})-[r:INVOLVED_IN]->(:Incident {incident_id: "
                                 "'INC-1'}) RETURN size(r.source_rows) AS n, count(r) AS c")
                assert got == [{"n": 2, "c": 1}]
                grade = store.read("MATCH (:PersonRecord {record_id: 'P-4'})-[r:RECORDED_ASSOCIATION]->() "
                                   "RETURN r.grade AS g")
                assert grade == [{"g": "C3"}]
        finally:
            store.close()
    assert "bulk_bulk" in timings[0] and "bulk_bulk" not in timings[1]
    assert [n for n in dumps[0][0] if n not in dumps[1][0]] == [n for n in dumps[1][0] if n not in dumps[0][0]]
    assert [r for r in dumps[0][1] if r not in dumps[1][1]] == [r for r in dumps[1][1] if r not in dumps[0][1]]
    assert dumps[0] == dumps[1]


@pytest.mark.parametrize("limits,bulk", [({}, False), ({"falkordb_bulk_min_rows": 0}, True),
                                         ({"falkordb_bulk_min_rows": 0, "falkordb_bulk_max_rows": 10}, False)])
def test_graph_bulk_is_taken_only_for_a_bundle_within_its_row_limits(tiny_bundle, tmp_path, limits, bulk):
    """Under the minimum its fixed costs do not pay; over the maximum it would hold too much."""
    store = FalkorStore.embedded(Settings(data=tmp_path / "d", graph_name="g", **limits))
    try:
        summary = load_bundle(store, tiny_bundle, store.settings, rejects_path=tmp_path / "rejects.csv")
        assert ("bulk_bulk" in summary.timings) is bulk
        assert store.read("MATCH (:PersonRecord)-[r:INVOLVED_IN]->(:Incident) RETURN count(r) AS n")[0]["n"] == 9
    finally:
        store.close()
