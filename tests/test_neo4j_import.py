"""A first load into an empty local Neo4j imports its facts with neo4j-admin (loaders/bulk.py):
the graph it leaves must be the one the MERGE path leaves, value types included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csenet.graph.neo4j_import import NotImportable, column_type
from csenet.graph.schema import NODE_KEYS
from csenet.loaders import statements as cy
from csenet.loaders.bulk import fact_sets, import_facts
from csenet.settings import Settings

NODES = "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"
RELS = ("MATCH (a)-[r]->(b) RETURN type(r) AS type, labels(a) AS la, properties(a) AS pa, "
        "labels(b) AS lb, properties(b) AS pb, properties(r) AS props")


def _key(labels: list[str], props: dict) -> str:
    label = next(lb for lb in labels if lb in NODE_KEYS)
    return "%s:%s" % (label, props[NODE_KEYS[label]])


def dump(store) -> tuple[list[str], list[str]]:
    """Every node and relationship as sorted JSON lines (1 and 1.0 differ in JSON, not in ==)."""
    nodes = []
    for r in store.read(NODES):
        props = dict(r["props"])
        if "Load" in r["labels"]:
            props.pop("loaded_at")
        nodes.append(json.dumps([sorted(r["labels"]), props], sort_keys=True))
    rels = [json.dumps([r["type"], _key(r["la"], r["pa"]), _key(r["lb"], r["pb"]), r["props"]], sort_keys=True)
            for r in store.read(RELS)]
    return sorted(nodes), sorted(rels)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A local Neo4j of this module's own: the import stops and restarts it."""
    from tests.neo4j_support import local_missing, local_server, unavailable

    why = local_missing()
    if why:
        unavailable(why)
    home = tmp_path_factory.mktemp("imp")
    for running in local_server(home):
        yield home, running


@pytest.fixture(scope="module")
def small_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated force (every file kind) whose incidents carry a column the spec does not
    name, as a force's own extract does: it is loaded as a property like any other."""
    import csv

    from csenet.synth import generate

    folder = tmp_path_factory.mktemp("small") / "bundle"
    generate(folder, scale="small", seed=11)
    path = folder / "incidents.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    rows[0].append("Shift_Code")
    for i, row in enumerate(rows[1:]):
        row.append("" if i % 3 else "D%d" % (i % 4))
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return folder


def _load(home: Path, server, bundle: Path, bulk: bool, tmp: Path):
    from csenet.graph.neo4j_store import Neo4jStore
    from csenet.loaders.load import load_bundle

    settings = Settings(data=home, graph=server.url, bulk_load=bulk)
    store = Neo4jStore.connect(server.url, settings)
    summary = load_bundle(store, bundle, settings, rejects_path=tmp / "rejects.csv")
    return store, summary


def test_import_leaves_the_graph_merge_leaves(server, small_bundle, tmp_path):
    home, running = server
    bundle = small_bundle
    store, merged = _load(home, running, bundle, False, tmp_path)
    try:
        assert not any(k.startswith("import_") for k in merged.timings)
        by_merge = dump(store)
        store.drop_graph()
    finally:
        store.close()
    pid = running.running_pid()
    store, imported = _load(home, running, bundle, True, tmp_path)
    try:
        assert "import_import" in imported.timings, "the empty graph was not imported"
        assert running.running_pid() != pid, "the import replaces the database only with the server stopped"
        assert imported.rows_loaded == merged.rows_loaded
        by_import = dump(store)
        assert len(by_import[0]) > 5000 and len(by_import[1]) > 5000
        assert any('"x_shift_code": "D1"' in n for n in by_import[0])
        assert by_import[0] == by_merge[0]
        assert by_import[1] == by_merge[1]
        # every constraint is back: a second MERGE load of the same bundle adds nothing
        from csenet.loaders.load import load_bundle
        again = load_bundle(store, bundle, store.settings, rejects_path=tmp_path / "again.csv")
        assert not any(k.startswith("import_") for k in again.timings), "a graph with data is never replaced"
        assert dump(store) == by_import
    finally:
        store.drop_graph()
        store.close()


def test_a_value_the_csv_cannot_say_falls_back_to_merge_with_the_server_up(server, tmp_path):
    from csenet.graph.neo4j_store import Neo4jStore

    home, running = server
    settings = Settings(data=home, graph=running.url)
    store = Neo4jStore.connect(running.url, settings)
    rows = [{"key": "I1", "source": "incidents.csv", "source_row": "incidents.csv:2",
             "props": {"flags": ["CSE\x1fCCE"]}}]
    try:
        assert import_facts(store, running, [("incidents", cy.INCIDENTS, rows)], "L1", settings) is None
        assert running.running_pid() is not None
        assert store.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0
    finally:
        store.close()


def test_repeated_keys_fold_as_successive_merges_would():
    rows = [{"key": "R1", "source": "a.csv", "source_row": "a.csv:2", "props": {"family_name": "Ames", "address": "1 Rd"}},
            {"key": "R1", "source": "a.csv", "source_row": "a.csv:9", "props": {"family_name": "Amos", "address": None}},
            {"key": "R1", "source": "a.csv", "source_row": "a.csv:9", "props": {}}]
    inv = [{"incident_id": "I1", "record_id": "R1", "role": "VICTIM", "source": "v.csv", "source_row": "v.csv:2",
            "props": {}},
           {"incident_id": "I9", "record_id": "R1", "role": "VICTIM", "source": "v.csv", "source_row": "v.csv:3",
            "props": {}}]
    incidents = [{"key": "I1", "source": "i.csv", "source_row": "i.csv:2", "props": {"flags": []}}]
    nodes, rels = fact_sets([("r", cy.PERSON_RECORDS, rows), ("i", cy.INCIDENTS, incidents),
                             ("v", cy.INVOLVED_IN, inv)], "L1")
    records = next(n for n in nodes if n.label == "PersonRecord").properties
    assert records["R1"] == {"record_id": "R1", "family_name": "Amos", "source": "a.csv",
                             "source_rows": ["a.csv:2", "a.csv:9"], "load_ids": ["L1"]}
    involved = next(r for r in rels if r.type == "INVOLVED_IN")
    # I9 is no node: MATCH finds nothing and the MERGE path writes no relationship
    assert [(a, b) for a, b, _ in involved.rows] == [("R1", "I1")]
    assert involved.rows[0][2]["role"] == "VICTIM"


@pytest.mark.parametrize("values", [[1, 2.5], ["a", 3], [["a"], ["b", 2]], [{"x": 1}]])
def test_a_column_of_mixed_types_is_not_imported(values):
    with pytest.raises(NotImportable):
        column_type("p", values)


def test_column_types():
    assert column_type("p", [True, None])[0] == "boolean"
    assert column_type("p", [1, 2])[0] == "long"
    assert column_type("p", [["a"], [], None])[0] == "string[]"


def test_a_batch_too_large_for_transaction_memory_is_written_in_halves():
    """A recording stand-in for `write` only: which batches are sent, and that the server's
    out-of-transaction-memory error (as the driver raises it) becomes TransactionTooLarge."""
    import neo4j.exceptions as ne

    from csenet.errors import TransactionTooLarge
    from csenet.graph.neo4j_store import Neo4jStore, mapped_errors

    with pytest.raises(TransactionTooLarge):
        with mapped_errors():
            raise ne.Neo4jError._hydrate_neo4j(code="Neo.TransientError.General.MemoryPoolOutOfMemoryError",
                                               message="The allocation of an extra 2.0 MiB would use more than the limit")
    sent = []

    class Recording(Neo4jStore):
        def write(self, query, params=None):
            if len(params["rows"]) > 3:
                raise TransactionTooLarge("too large")
            sent.append((query, params["rows"], params["load_id"]))
            return {}

    store = Recording(None, Settings(), None)
    progress = []
    assert store.write_batches("Q", list(range(10)), 5, progress.append, extra={"load_id": "L"}) == 10
    assert [rows for _, rows, _ in sent] == [[0, 1], [2, 3, 4], [5, 6], [7, 8, 9]]
    assert {(q, load) for q, _, load in sent} == {("Q", "L")}
    assert progress == [5, 5]

    class Hopeless(Neo4jStore):
        def write(self, query, params=None):
            raise TransactionTooLarge("too large")

    with pytest.raises(TransactionTooLarge):
        Hopeless(None, Settings(), None).write_batches("Q", [1, 2, 3], 5)
