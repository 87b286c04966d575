"""The graph-store protocol, on every reachable backend."""

from __future__ import annotations

import pytest

from csenet.graph import schema
from csenet.graph.store import GraphStore, ResultTooLarge, StoreError


def test_store_speaks_the_protocol(store):
    assert isinstance(store, GraphStore)
    assert store.dialect in ("falkordb", "neo4j")


def test_write_batches_merges_idempotently(store):
    rows = [{"key": "R%04d" % i, "props": {"family_name": "Name %d" % i}} for i in range(2_345)]
    query = "UNWIND $rows AS row MERGE (n:PersonRecord {record_id: row.key}) SET n += row.props"
    seen = []
    assert store.write_batches(query, rows, batch_size=500, progress=seen.append) == 2_345
    store.sync()
    assert sum(seen) == 2_345 and len(seen) == 5
    store.write_batches(query, rows, batch_size=700)
    store.sync()
    assert store.read("MATCH (n:PersonRecord) RETURN count(n) AS n") == [{"n": 2_345}]
    assert store.read("MATCH (n:PersonRecord {record_id: 'R0042'}) RETURN n.family_name AS f") == [{"f": "Name 42"}]


def test_unknown_stays_absent(store):
    store.write("MERGE (n:Incident {incident_id: $id}) SET n += $props",
                {"id": "I1", "props": {"offence": "x", "summary": None}})
    row = store.read("MATCH (n:Incident {incident_id: 'I1'}) RETURN n")[0]["n"]
    assert row == {"incident_id": "I1", "offence": "x"}


def test_schema_is_idempotent_and_enforces_uniqueness(store):
    store.ensure_schema()
    store.ensure_schema()
    store.write("CREATE (:Person {person_id: 'P1'})")
    with pytest.raises(StoreError):
        store.write("CREATE (:Person {person_id: 'P1'})")
    assert store.read("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 1}]


def test_reads_are_read_only(store):
    with pytest.raises(StoreError):
        store.read("CREATE (:Person {person_id: 'sneaky'})")
    assert store.read("MATCH (p:Person {person_id: 'sneaky'}) RETURN count(p) AS n") == [{"n": 0}]


def test_result_limit(store):
    with pytest.raises(ResultTooLarge, match="more than 10 rows"):
        store.read("UNWIND range(1, 50) AS x RETURN x", limit=10)
    assert len(store.read("UNWIND range(1, 10) AS x RETURN x", limit=10)) == 10


def test_bad_query_is_a_store_error(store):
    with pytest.raises(StoreError):
        store.read("MATCH (n RETURN n")


def test_nodes_come_back_as_property_maps(store):
    store.write("MERGE (n:Location {location_id: 'L1'}) SET n.kind = 'HOTEL', n.tags = ['a', 'b']")
    assert store.read("MATCH (n:Location) RETURN n") == [{"n": {"location_id": "L1", "kind": "HOTEL", "tags": ["a", "b"]}}]


def test_schema_names_only_allow_listed_identifiers():
    assert schema.checked("Person", "person_id") == ("Person", "person_id")
    for label, prop in [("Person) DETACH DELETE (n", "person_id"), ("Person", "x}) //"), ("Nope", "id")]:
        with pytest.raises(ValueError):
            schema.checked(label, prop)


def test_read_paged_returns_every_row_once_across_pages(store):
    from csenet.graph.store import read_paged

    rows = [{"key": "R%05d" % i, "props": {}} for i in range(1_234)]
    store.write_batches("UNWIND $rows AS row MERGE (n:PersonRecord {record_id: row.key})", rows)
    store.write_batches("UNWIND $rows AS row MATCH (n:PersonRecord {record_id: row.key}) "
                        "MERGE (p:Person {person_id: 'P' + row.key}) MERGE (n)-[:RESOLVED_TO]->(p)", rows[::3])
    store.sync()
    query = ("MATCH (r:PersonRecord) WHERE r.record_id > $after WITH r ORDER BY r.record_id LIMIT $page "
             "OPTIONAL MATCH (r)-[:RESOLVED_TO]->(p:Person) RETURN r.record_id AS record_id, p.person_id AS p "
             "ORDER BY record_id")
    got = [r["record_id"] for r in read_paged(store, query, "record_id", page=100)]
    assert got == [r["key"] for r in rows]


def test_every_lookup_index_serves_some_query():
    """The embedded store rebuilds every index when it loads a snapshot: one no query looks
    up by only slows every restart."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = "\n".join(p.read_text(encoding="utf-8") for folder in ("cypher", "api", "networks", "report", "exports",
                                                                  "audit", "csenet")
                     for p in (root / folder).rglob("*") if p.suffix in (".cypher", ".py"))
    for label, props in schema.LOOKUP_INDEXES.items():
        for prop in props:
            lookup = re.compile(r"\.%s\s*(=|IN\b|STARTS WITH)|\{%s:\s*[$a-z]" % (prop, prop))
            assert lookup.search(text), "%s.%s is indexed but no query looks it up" % (label, prop)
