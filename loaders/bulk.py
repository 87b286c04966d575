# SPDX-License-Identifier: GPL-3.0-or-later
"""A first load's source facts into an empty graph by the engine's bulk path, not by MERGE:
neo4j-admin import for a local Neo4j, GRAPH.BULK for FalkorDB.

Each fact statement (loaders/statements.py) is given here as what it leaves in an empty
graph: the node's key and properties with their provenance (`source`, `source_rows`,
`load_ids`), the relationship's endpoints and merge properties. Rows are built by the
same functions the MERGE path sends (node_rows, rel_rows), and repeated keys are folded
in file order as successive MERGE ... SET would fold them, so both paths leave the same
graph (tests/test_neo4j_import.py and tests/test_falkordb_bulk.py compare them). People
follow by MERGE, or, after GRAPH.BULK, appended by it (loaders/person_layer.py).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from csenet.columns import isin
from csenet.graph.falkordb_bulk import SCALAR_KINDS
from csenet.graph.graph_sets import NodeFrame, NodeSet, NotImportable, RelFrame, RelSet
from csenet.graph.neo4j_import import import_into, restart
from csenet.graph.neo4j_local import LocalNeo4j
from csenet.graph.schema import NODE_KEYS
from csenet.graph.store import GraphStore
from csenet.loaders import statements as cy
from csenet.loaders.fact_rows import NOT_PROPERTIES, FrameRows, RelRows, empty_value
from csenet.loaders.person_layer import person_frames
from csenet.loaders.progress import Reporter
from csenet.loaders.validate import ValidBundle
from csenet.settings import Settings

log = logging.getLogger(__name__)

# statement -> (label, with provenance: SET n += props, source, source_rows, load_ids); keys: NODE_KEYS
NODES = {cy.LOCATIONS: ("Location", True), cy.INCIDENTS: ("Incident", True), cy.PERSON_RECORDS: ("PersonRecord", True),
         cy.IDENTIFIERS: ("Identifier", False), cy.OCGS: ("OCG", True), cy.MISSING_EPISODES: ("MissingEpisode", True)}
# statement -> (type, (start label, its row column), (end label, its row column), merge properties)
RELS = {
    cy.OCCURRED_AT: ("OCCURRED_AT", ("Incident", "incident_id"), ("Location", "location_id"), ()),
    cy.INVOLVED_IN: ("INVOLVED_IN", ("PersonRecord", "record_id"), ("Incident", "incident_id"), ("role",)),
    cy.RECORDED_ASSOCIATION: ("RECORDED_ASSOCIATION", ("PersonRecord", "record_id_a"), ("PersonRecord", "record_id_b"),
                              ("kind", "source_ref")),
    cy.HAS_IDENTIFIER: ("HAS_IDENTIFIER", ("PersonRecord", "record_id"), ("Identifier", "identifier_key"), ()),
    cy.MEMBER_OF: ("MEMBER_OF", ("PersonRecord", "record_id"), ("OCG", "ocg_id"), ()),
    cy.REPORTED_MISSING: ("REPORTED_MISSING", ("PersonRecord", "record_id"), ("MissingEpisode", "episode_id"), ()),
    cy.FOUND_AT: ("FOUND_AT", ("MissingEpisode", "episode_id"), ("Location", "location_id"), ()),
}
PAGE = 50_000


def _provenance(props: dict[str, Any], row: dict[str, Any], load_id: str) -> None:
    props["source"] = row["source"]
    rows = props.setdefault("source_rows", [])
    if row["source_row"] not in rows:
        rows.append(row["source_row"])
    props["load_ids"] = [load_id]


def _set(props: dict[str, Any], new: dict[str, Any]) -> None:
    """`SET x += new`: a null removes the property."""
    for k, v in new.items():
        if v is None:
            props.pop(k, None)
        else:
            props[k] = v


def _pages(rows):
    for at in range(0, len(rows), PAGE):
        yield from rows[at:at + PAGE]


def _fold_nodes(rows, label: str, provenance: bool, load_id: str) -> NodeSet:
    """A node statement's rows folded by key, in file order, as successive MERGE ... SET fold them."""
    key = NODE_KEYS[label]
    out: dict[str, dict[str, Any]] = {}
    for row in _pages(rows):
        props = out.setdefault(row["key"], {key: row["key"]})
        if provenance:
            _set(props, row["props"])
            _provenance(props, row, load_id)
        else:
            _set(props, {"kind": row["kind"], "value": row["value"]})
    return NodeSet(label, key, out)


def _fold_rels(rows, query: str, a_nodes, b_nodes, load_id: str) -> RelSet:
    """A relationship statement's rows whose ends are both among the nodes, folded by their
    merge key; a row whose end is not there is one whose MATCH finds nothing."""
    rtype, (a_label, a_col), (b_label, b_col), merge = RELS[query]
    found: dict[tuple, dict[str, Any]] = {}
    for row in _pages(rows):
        a, b = row[a_col], row[b_col]
        if a not in a_nodes or b not in b_nodes:
            continue
        if any(row[m] is None for m in merge):
            raise NotImportable("%s with a null %s cannot be merged" % (rtype, "/".join(merge)))
        props = found.setdefault((a, b, *(row[m] for m in merge)), {m: row[m] for m in merge})
        _set(props, row["props"])
        _provenance(props, row, load_id)
    return RelSet(rtype, (a_label, NODE_KEYS[a_label]), (b_label, NODE_KEYS[b_label]),
                  [(k[0], k[1], p) for k, p in found.items()])


def fact_stream(steps: list[tuple[str, str, Any]], load_id: str) -> Iterator[NodeSet | RelSet]:
    """The final nodes and relationships of the fact statements in an empty graph, a
    statement at a time: a label's properties are let go once its set is taken, and only
    its keys are kept (what a relationship's MATCH needs)."""
    keys: dict[str, Mapping[str, Any]] = {}
    for _, query, rows in steps:
        if query in NODES:
            nodes = _fold_nodes(rows, *NODES[query], load_id)
            keys[nodes.label] = dict.fromkeys(nodes.properties)
            yield nodes
            del nodes
        elif query in RELS:
            _, (a_label, _), (b_label, _), _ = RELS[query]
            yield _fold_rels(rows, query, keys.get(a_label, {}), keys.get(b_label, {}), load_id)
        else:
            raise NotImportable("no import form for a fact statement: %s" % query.strip().splitlines()[1])


def _kept(column: pd.Series) -> pd.Series:
    """A node column with its empty values (empty_value) made missing; a column of one
    scalar type holds no list, so it is taken as it is."""
    if column.dtype != object or pd.api.types.infer_dtype(column, skipna=True) in SCALAR_KINDS:
        return column
    name = column.name
    return column.map(lambda v: None if empty_value(name, v) else v)


def fact_frames(steps: list[tuple[str, str, Any]], load_id: str) -> Iterator[NodeFrame | RelFrame | NodeSet | RelSet]:
    """fact_stream's graph as columns read from the steps' frames, no dict per row: for
    FalkorDB's GRAPH.BULK, whose packing then costs Arrow's time, not Python's. Rows whose
    key repeats in their file (few) are folded by fact_stream's own code and follow as a
    set of their own."""
    keys: dict[str, pd.Index] = {}
    for _, query, rows in steps:
        if query in NODES:
            label, provenance = NODES[query]
            key = NODE_KEYS[label]
            frame = rows.frame
            column = rows.key if provenance else "key"
            repeated = frame[column].duplicated(keep=False).to_numpy()
            once = frame[~repeated]
            if provenance:
                props = {key: once[column]}
                props.update({c: _kept(once[c]) for c in once.columns if c != column and c not in NOT_PROPERTIES})
                props.update(source=once["source"], source_rows=once["source_row"])
                yield NodeFrame(label, key, pd.DataFrame(props), lists=("source_rows",),
                                constants={"load_ids": [load_id]})
            else:
                yield NodeFrame(label, key, pd.DataFrame({key: once[column], "kind": once["kind"],
                                                          "value": once["value"]}))
            if repeated.any():
                yield _fold_nodes(FrameRows(frame[repeated], rows.build), label, provenance, load_id)
            keys[label] = pd.Index(frame[column].unique())
        elif query in RELS:
            rtype, (a_label, a_col), (b_label, b_col), merge = RELS[query]
            frame = rows.frame
            none = pd.Index([])
            frame = frame[isin(frame[a_col], keys.get(a_label, none)) & isin(frame[b_col], keys.get(b_label, none))]
            if len(merge) and frame[list(merge)].isna().to_numpy().any():
                raise NotImportable("%s with a null %s cannot be merged" % (rtype, "/".join(merge)))
            repeated = frame.duplicated([a_col, b_col, *merge], keep=False).to_numpy()
            once = frame[~repeated]
            props = {m: once[m] for m in merge}
            props.update({p: once[p] for p in rows.props})
            props.update(source=once["source"], source_rows=once["source_row"])
            yield RelFrame(rtype, (a_label, NODE_KEYS[a_label]), (b_label, NODE_KEYS[b_label]), once[a_col],
                           once[b_col], pd.DataFrame(props, index=once.index), lists=("source_rows",),
                           constants={"load_ids": [load_id]})
            if repeated.any():
                everyone = dict.fromkeys(frame[a_col]), dict.fromkeys(frame[b_col])
                yield _fold_rels(RelRows(frame[repeated], rows.keys, rows.props), query, *everyone, load_id)
        else:
            raise NotImportable("no import form for a fact statement: %s" % query.strip().splitlines()[1])


def fact_sets(steps: list[tuple[str, str, Any]], load_id: str) -> tuple[list[NodeSet], list[RelSet]]:
    """Every set of `fact_stream` at once (neo4j-admin import takes them together)."""
    sets = list(fact_stream(steps, load_id))
    return [s for s in sets if isinstance(s, NodeSet)], [s for s in sets if isinstance(s, RelSet)]


def import_facts(store: GraphStore, server: LocalNeo4j, steps: list, load_id: str,
                 settings: Settings) -> dict[str, float] | None:
    """The facts by neo4j-admin import; None when a value cannot be imported exactly, and
    the caller writes them by MERGE instead (the server running again, nothing written).

    The server's clean stop (a checkpoint, about 10 s) runs while the rows are built."""
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csenet-neo4j-stop") as pool:
        stopping = pool.submit(server.stop)
        try:
            nodes, rels = fact_sets(steps, load_id)
            timings = {"rows": time.perf_counter() - began}
            timings.update(import_into(store, server, nodes, rels, settings,  # type: ignore[arg-type]
                                       stopped=stopping.result))
        except NotImportable as exc:
            log.warning("first load by MERGE, not by the import tool: %s", exc)
            stopping.result()
            restart(store, server)  # type: ignore[arg-type]
            return None
        except BaseException:
            stopping.exception()  # the stop has ended, however; the server is wanted back
            try:
                restart(store, server)  # type: ignore[arg-type]
            except Exception as again:  # noqa: BLE001 - the first failure is the one to raise
                log.error("the local Neo4j did not start again after a failed import: %s", again)
            raise
    return timings


def bulk_facts(store: GraphStore, steps: list, load_id: str) -> dict[str, float] | None:
    """The facts by the store's bulk command (FalkorDB's GRAPH.BULK) into its empty graph,
    a statement's set at a time; None when they cannot be sent exactly, and the caller
    writes them by MERGE instead."""
    began = time.perf_counter()
    try:
        sent = store.bulk_create(fact_frames(steps, load_id))  # type: ignore[attr-defined]
    except NotImportable as exc:
        log.warning("first load by MERGE, not by GRAPH.BULK: %s", exc)
        return None
    log.info("GRAPH.BULK created %(nodes)d nodes and %(relationships)d relationships (%(bytes)d bytes)", sent)
    return {"bulk": time.perf_counter() - began}


def bulk_people(store: GraphStore, valid: ValidBundle, identifiers: pd.DataFrame, entities: pd.DataFrame,
                everyone: pd.DataFrame, derived: Mapping[str, Any], reporter: Reporter) -> dict[str, float] | None:
    """A first load's person layer appended by GRAPH.BULK to the facts bulk_facts created
    (person_frames); None when it cannot be, and the caller writes it by MERGE, which
    completes whatever part was sent."""
    began = time.perf_counter()
    # at most one projection per fact row: the frames are built as they are sent, not counted first
    most = len(everyone) + len(entities) + len(identifiers) + sum(
        len(valid.frames[name]) for name in ("involvements", "associations", "ocg_members", "missing_episodes")
        if name in valid.frames)
    step = reporter.stage("people by GRAPH.BULK", most)
    try:
        sent = store.bulk_append(person_frames(valid, identifiers, entities, everyone, derived),  # type: ignore[attr-defined]
                                 progress=step)
    except NotImportable as exc:
        log.warning("people by MERGE, not by GRAPH.BULK: %s", exc)
        return None
    step(most - sent["nodes"] - sent["relationships"])
    log.info("GRAPH.BULK appended %(nodes)d persons and %(relationships)d relationships (%(bytes)d bytes)", sent)
    return {"people_bulk": time.perf_counter() - began}
