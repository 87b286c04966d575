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
from csenet.graph.graph_sets import NodeSet, NotImportable, RelFrame, RelSet
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


def test_sets_packed_in_parts_leave_the_graph_merge_leaves(both, small_bundle, monkeypatch):  # noqa: F811
    """A large set is packed a part at a time (ENCODE_ROWS); a part in which no row has a
    property leaves it out of its token, and the graph is still MERGE's."""
    data, out = both
    monkeypatch.setattr(falkordb_bulk, "ENCODE_ROWS", 7)
    sent = []
    real = falkordb_bulk._header
    monkeypatch.setattr(falkordb_bulk, "_header", lambda name, props: sent.append((name, tuple(props))) or
                        real(name, props))
    store = FalkorStore.embedded(_settings(data, "bulk_parts", True))
    try:
        store.drop_graph()
        summary = load_bundle(store, small_bundle, store.settings, rejects_path=data.parent / "rejects.csv")
        assert "bulk_bulk" in summary.timings and "people_bulk" in summary.timings
        assert dump(store) == out[False][1]
    finally:
        store.drop_graph()
        store.close()
    records = [props for name, props in sent if name == "PersonRecord"]
    assert len(records) > 10 and len(set(records)) > 1  # parts of one set, not all with the same properties


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


def _people_bundle(tiny_bundle: Path) -> Path:
    """The tiny force with what the person projections fold: two records of one person in
    one incident, an association re-sent without a grade, reversed, without a reference and
    between two records of one person, an identifier two records use, a second OCG member."""
    with (tiny_bundle / "involvements.csv").open("a") as fh:
        fh.write("INC-2,P-1,VICTIM\nINC-1,P-4,SUSPECT\nINC-1,P-4,WITNESS\n")
    with (tiny_bundle / "associations.csv").open("a") as fh:
        fh.write("P-4,P-6,ASSOCIATE,IR/2023/0042,,2023-04-05\n"
                 "P-6,P-4,ASSOCIATE,IR/2023/0042,A1,2023-04-06\n"
                 "P-3,P-6,ASSOCIATE,IR/2023/0050,,2023-04-07\n"
                 "P-5,P-9,ASSOCIATE,,C3,2023-04-08\n"
                 "P-1,P-2,FAMILY,IR/2023/0051,,2023-04-09\n")
    with (tiny_bundle / "identifiers.csv").open("a") as fh:
        fh.write("P-3,VEHICLE,AB12 CDE,2023-05-10\n")
    with (tiny_bundle / "ocg_members.csv").open("a") as fh:
        fh.write("OCG-1,Dock Row crew,P-6,DRUGS,2022-11-02\n")
    return tiny_bundle


def _load_both(bundle: Path, data: Path) -> tuple[list[dict], list]:
    timings, dumps = [], []
    for bulk in (True, False):
        store = FalkorStore.embedded(_settings(data, "bulk" if bulk else "merge", bulk))
        try:
            summary = load_bundle(store, bundle, store.settings, rejects_path=data.parent / "rejects.csv")
            assert summary.rows_rejected == 0
            timings.append(summary.timings)
            dumps.append(dump(store))
        finally:
            store.close()
    return timings, dumps


def test_the_person_layer_appended_by_graph_bulk_is_the_one_merge_writes(tiny_bundle, tmp_path):
    timings, dumps = _load_both(_people_bundle(tiny_bundle), tmp_path / "d")
    assert "people_bulk" in timings[0] and "people_bulk" not in timings[1]
    assert [r for r in dumps[0][1] if r not in dumps[1][1]] == [r for r in dumps[1][1] if r not in dumps[0][1]]
    assert dumps[0] == dumps[1]
    settings = _settings(tmp_path / "d", "facts_only", True).model_copy(update={"falkordb_bulk_people": False})
    store = FalkorStore.embedded(settings)
    try:  # facts by GRAPH.BULK, people by MERGE when told so
        summary = load_bundle(store, tiny_bundle, settings, rejects_path=tmp_path / "rejects.csv")
        assert "bulk_bulk" in summary.timings and "people_bulk" not in summary.timings
        assert dump(store) == dumps[0]
    finally:
        store.close()
    store = FalkorStore.embedded(_settings(tmp_path / "d", "bulk", True))
    try:
        got = store.read("MATCH (:PersonRecord {record_id: 'P-4'})-[:RESOLVED_TO]->(p:Person)-[x:ASSOCIATE_OF]-"
                         "(:Person)<-[:RESOLVED_TO]-(:PersonRecord {record_id: 'P-6'}) "
                         "RETURN x.grades AS grades, x.source_refs AS refs, x.record_ids AS ids")
        assert len(got) == 1 and sorted(got[0]["grades"]) == ["A1", "B2"]
        assert sorted(got[0]["refs"]) == ["IR/2023/0042", "IR/2023/0050"]
        multi = store.read("MATCH (p:Person)-[x]->() WHERE size(x.record_ids) > 1 RETURN type(x) AS t")
        assert {r["t"] for r in multi} >= {"SUSPECT_IN", "USES"}
        stamped = store.read("MATCH (:Person)-[x]->() WHERE x.derived_by IS NULL AND type(x) <> 'RESOLVED_TO' "
                             "RETURN count(x) AS n")
        assert stamped == [{"n": 0}]
    finally:
        store.close()


def test_people_the_bulk_path_cannot_finish_are_completed_by_merge(tiny_bundle, tmp_path, monkeypatch):
    """Persons sent, then a set it cannot pack: the MERGE statements write the rest, and the
    graph is the one MERGE alone leaves."""
    from csenet.loaders import bulk

    def persons_then_refusal(*args, **kwargs):
        persons, links, *_ = bulk_person_frames(*args, **kwargs)
        unpackable = links.frame.assign(match_probability=float("inf"))
        return [persons, RelFrame(links.type, links.start, links.end, links.starts, links.ends, unpackable)]

    def append_then_count(self, sets, progress=None):
        try:
            return bulk_append(self, sets, progress)
        except NotImportable:
            persons_sent.append(self.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"])
            raise

    bulk_person_frames, bulk_append, persons_sent = bulk.person_frames, FalkorStore.bulk_append, []
    monkeypatch.setattr(bulk, "person_frames", persons_then_refusal)
    monkeypatch.setattr(FalkorStore, "bulk_append", append_then_count)
    timings, dumps = _load_both(_people_bundle(tiny_bundle), tmp_path / "d")
    assert "bulk_bulk" in timings[0] and "people_bulk" not in timings[0]
    assert persons_sent and persons_sent[0] > 0
    assert dumps[0] == dumps[1]


def test_bulk_append_needs_the_graph_bulk_create_left(store):
    with pytest.raises(NotImportable, match="no graph made by GRAPH.BULK"):
        store.bulk_append([])
    nodes, rels = _sets()
    store.bulk_create(nodes + rels)
    store.write("CREATE (:Location {location_id: 'L9'})")
    person = NodeSet("Person", "person_id", {"P1": {"person_id": "P1"}})
    with pytest.raises(NotImportable, match="holds 4 nodes, not the 3"):
        store.bulk_append([person])
    assert store.read("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 0}]


def test_bulk_append_continues_the_ids_and_joins_new_nodes_to_old(store):
    nodes, rels = _sets()
    store.bulk_create(nodes + rels)
    person = NodeSet("Person", "person_id", {"P1": {"person_id": "P1"}, "P2": {"person_id": "P2", "n": 2}})
    victim = RelSet("VICTIM_IN", ("Person", "person_id"), ("Incident", "incident_id"), [("P2", "I1", {"w": [1]})])
    assert store.bulk_append([person, victim]) == {"bytes": pytest.approx(90, abs=60), "nodes": 2,
                                                    "relationships": 1}
    got = store.read("MATCH (p:Person)-[x:VICTIM_IN]->(i:Incident)-[:OCCURRED_AT]->(l:Location) "
                     "RETURN p.person_id AS p, p.n AS n, x.w AS w, i.incident_id AS i, l.location_id AS l")
    assert got == [{"p": "P2", "n": 2, "w": [1], "i": "I1", "l": "L2"}]
    assert store.read("MATCH (p:Person {person_id: 'P1'}) RETURN id(p) AS id") == [{"id": 3}]


def test_a_graph_made_by_graph_bulk_is_reloaded_from_its_snapshot_before_it_is_read(tiny_bundle, tmp_path):
    """FalkorDB leaves the matrices GRAPH.BULK fills as it filled them (concurrent reads of
    them crashed the server on the large force); the load restarts the server from a
    snapshot, and the graph is whole after it."""
    store = FalkorStore.embedded(_settings(tmp_path / "d", "g", True))
    try:
        before = store.server.data.joinpath("falkordb.pid").read_text()
        summary = load_bundle(store, tiny_bundle, store.settings, rejects_path=tmp_path / "rejects.csv")
        assert {"bulk_bulk", "people_bulk", "reload"} <= set(summary.timings)
        assert store.server.data.joinpath("falkordb.pid").read_text() != before
        got = store.read("MATCH (p:Person)<-[:RESOLVED_TO]-(:PersonRecord)-[:INVOLVED_IN]->(i:Incident) "
                         "RETURN count(DISTINCT p) AS p, count(DISTINCT i) AS i")
        assert got == [{"p": summary.persons_total, "i": 5}]
    finally:
        store.close()


def test_graph_bulk_is_not_taken_while_another_process_uses_the_store(tiny_bundle, tmp_path):
    """The graph it makes must be reloaded before it is read: not under another process."""
    import subprocess
    import sys

    store = FalkorStore.embedded(_settings(tmp_path / "d", "g", True))
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (store.server.clients / str(other.pid)).touch()
        summary = load_bundle(store, tiny_bundle, store.settings, rejects_path=tmp_path / "rejects.csv")
        assert "bulk_bulk" not in summary.timings and "reload" not in summary.timings
        assert store.read("MATCH (:PersonRecord)-[r:INVOLVED_IN]->(:Incident) RETURN count(r) AS n")[0]["n"] == 9
    finally:
        other.kill()
        other.wait()
        store.close()


def test_the_people_bulk_reports_its_progress_command_by_command(tiny_bundle, tmp_path):
    """A bar with rows/s and an end: each command's nodes and relationships advance it, and
    it is completed when the last is in (its total is an upper bound known before)."""
    stages: dict[str, list[int]] = {}

    class Recorder:
        def stage(self, name: str, total: int):
            stages[name] = [total]
            return stages[name].append

    store = FalkorStore.embedded(_settings(tmp_path / "d", "g", True))
    try:
        load_bundle(store, _people_bundle(tiny_bundle), store.settings, reporter=Recorder(),
                    rejects_path=tmp_path / "rejects.csv")
        total, *advances = stages["people by GRAPH.BULK"]
        sent = store.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"] + store.read(
            "MATCH (:Person)-[r]-() RETURN count(DISTINCT r) AS n")[0]["n"]
        assert len(advances) > 2 and sum(advances) == total and sum(advances[:-1]) == sent
    finally:
        store.close()
