# SPDX-License-Identifier: GPL-3.0-or-later
"""Neo4j's bulk path: `neo4j-admin database import full` into the empty database of a
local Neo4j that csenet runs.

A first load into Neo4j sends hundreds of thousands of MERGE batches, each a durable
commit (docs/scaling.md: 494 s for the medium force against 219 s on the embedded
store). The import tool writes the store files directly, in seconds, but only into a
database it replaces and only with the server stopped. So it is used only where both are
safe: the graph is empty and the server is csenet's own (graph/neo4j_local.py). The
caller gives the final properties of every node and relationship, exactly what its MERGE
statements would leave in an empty graph; this module only types, writes and imports them.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.csv as pacsv

from csenet.errors import StoreError
from csenet.graph import schema
from csenet.graph.graph_sets import NodeSet, NotImportable, RelSet
from csenet.graph.neo4j_local import HOST, LocalNeo4j, local_homes, pid_alive, read_state
from csenet.settings import Settings

if TYPE_CHECKING:
    from csenet.graph.neo4j_store import Neo4jStore

log = logging.getLogger(__name__)

ARRAY_DELIMITER = "\x1f"
"""The unit separator: no recorded value holds it (checked), so list elements never split wrongly."""

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCALAR = {bool: ("boolean", pa.bool_()), int: ("long", pa.int64()), float: ("double", pa.float64()),
           str: ("string", pa.string())}


@dataclass
class ImportReport:
    nodes: int = 0
    relationships: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def local_server(settings: Settings, url: str | None) -> LocalNeo4j | None:
    """The local Neo4j csenet runs at `url` (loopback, its Bolt port), or None for any other server."""
    if not url:
        return None
    u = urlparse(url)
    if u.hostname not in (HOST, "localhost", "::1") or u.scheme not in ("bolt", "neo4j"):
        return None
    for home in local_homes(settings):
        state = read_state(home)
        if state and state.get("bolt_port") == (u.port or 7687) and pid_alive(state["pid"], str(home)):
            return LocalNeo4j.for_settings(settings, home=home)
    return None


def column_type(name: str, values: Sequence[Any]) -> tuple[str, pa.DataType, bool]:
    """(import type, Arrow type, is a list) of one property over every node: one type per
    column, as the import needs; a column mixing types would be stored differently."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "string", pa.string(), False
    if kinds == {list}:
        inner = {type(x) for v in values if v for x in v}
        if len(inner) > 1 or (inner and next(iter(inner)) not in _SCALAR):
            raise NotImportable("%s holds lists of mixed or unsupported values" % name)
        base, _ = _SCALAR[next(iter(inner))] if inner else _SCALAR[str]
        return base + "[]", pa.string(), True
    if len(kinds) > 1 or next(iter(kinds)) not in _SCALAR:
        raise NotImportable("%s holds values of more than one type (%s)" % (name, sorted(k.__name__ for k in kinds)))
    base, arrow = _SCALAR[next(iter(kinds))]
    return base, arrow, False


def _joined(name: str, values: Sequence[Any]) -> list[str | None]:
    out: list[str | None] = []
    for v in values:
        if v is None or not v:
            out.append(None)  # an empty list is set after the import: the CSV cannot say it
            continue
        parts = [x if isinstance(x, str) else repr(x) if isinstance(x, float) else str(x).lower()
                 if isinstance(x, bool) else str(x) for x in v]
        if any(ARRAY_DELIMITER in p for p in parts):
            raise NotImportable("%s holds the array delimiter" % name)
        out.append(ARRAY_DELIMITER.join(parts))
    return out


def _columns(rows: Sequence[dict[str, Any]], skip: Iterable[str] = ()) -> list[str]:
    seen: dict[str, None] = {}
    for props in rows:
        for k in props:
            seen.setdefault(k)
    names = [k for k in seen if k not in set(skip)]
    for name in names:
        if not _IDENT.match(name):
            raise NotImportable("property name %r cannot be a CSV header" % name)
    return names


def _table(fixed: dict[str, pa.Array], rows: Sequence[dict[str, Any]],
           skip: Iterable[str]) -> tuple[pa.Table, list[str]]:
    """The CSV table: `fixed` id columns, then one typed column per property; also the
    properties whose value is an empty list somewhere (written after the import)."""
    columns = dict(fixed)
    emptied = []
    for name in _columns(rows, skip):
        values = [props.get(name) for props in rows]
        kind, arrow, is_list = column_type(name, values)
        if is_list:
            if any(v is not None and not v for v in values):
                emptied.append(name)
            values = _joined(name, values)
        columns["%s:%s" % (name, kind)] = pa.array(values, type=arrow)
    return pa.table(columns), emptied


def _write(table: pa.Table, path: Path) -> None:
    # Strings are always quoted ("needed" quotes every string), so "" stays an empty
    # string and an unquoted empty field is a missing property.
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def import_graph(server: LocalNeo4j, nodes: Sequence[NodeSet], rels: Sequence[RelSet], *,
                 database: str = "neo4j", workdir: Path | None = None,
                 stopped: Callable[[], Any] | None = None) -> tuple[ImportReport, list[tuple[str, str, str, list[str]]]]:
    """Replace `database` with exactly these nodes and relationships (the server stopped for
    the import and started again). Returns the report and the empty lists to set after it,
    as (label, key, property, node keys). NotImportable before the tool runs. `stopped`
    waits for a stop the caller began (while it built the rows); by default it stops here."""
    report = ImportReport()
    began = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="csenet-import-", dir=workdir))
    try:
        args, empties = [], []
        for n in nodes:
            schema.checked(n.label, n.key)
            keys = list(n.properties)
            rows = list(n.properties.values())
            table, emptied = _table({"%s:ID(%s)" % (n.key, n.label): pa.array(keys, pa.string())}, rows, [n.key])
            for name in emptied:
                empties.append((n.label, n.key, name, [k for k, p in zip(keys, rows) if p.get(name) == []]))
            path = work / ("n-%s.csv" % n.label)
            _write(table, path)
            args.append("--nodes=%s=%s" % (n.label, path))
            report.nodes += len(keys)
        for r in rels:
            if not r.rows:
                continue
            schema.checked(*r.start), schema.checked(*r.end)
            table, emptied = _table({":START_ID(%s)" % r.start[0]: pa.array([s for s, _, _ in r.rows], pa.string()),
                                     ":END_ID(%s)" % r.end[0]: pa.array([e for _, e, _ in r.rows], pa.string())},
                                    [p for _, _, p in r.rows], [])
            if emptied:
                raise NotImportable("%s has an empty list property (%s)" % (r.type, ", ".join(emptied)))
            path = work / ("r-%s.csv" % r.type)
            _write(table, path)
            args.append("--relationships=%s=%s" % (r.type, path))
            report.relationships += len(r.rows)
        report.timings["write_csv"] = time.perf_counter() - began

        began = time.perf_counter()
        (stopped or server.stop)()
        report.timings["stop_wait"] = time.perf_counter() - began
        began = time.perf_counter()
        done = server.admin("database", "import", "full", *args, "--multiline-fields=true",
                            "--array-delimiter=" + ARRAY_DELIMITER, "--id-type=string", "--overwrite-destination=true",
                            "--report-file=%s" % (work / "import.report"), database,
                            heap=server.heap, timeout_s=24 * 3600)
        report.timings["import"] = time.perf_counter() - began
        if done.returncode != 0:
            why = " ".join((done.stderr or done.stdout).strip().splitlines()[-5:])[:1500]
            server.start()  # the database was not replaced unless the tool said so: serve what there is
            raise StoreError("neo4j-admin database import failed: %s" % why)
        began = time.perf_counter()
        server.start()
        report.timings["start"] = time.perf_counter() - began
        return report, empties
    finally:
        shutil.rmtree(work, ignore_errors=True)


SET_EMPTY = "UNWIND $rows AS row MATCH (n:%s {%s: row.key}) SET n += row.props"


def import_target(store: Any, settings: Settings) -> LocalNeo4j | None:
    """The local Neo4j a first load may import into, or None: the MERGE path everywhere else
    (another server, a database other than the default, a graph with anything in it)."""
    if not settings.bulk_load or getattr(store, "dialect", None) != "neo4j":
        return None
    server = local_server(settings, store.url)
    if server is None or store.database not in (None, "neo4j"):
        return None
    if store.read("MATCH (n) RETURN count(n) > 0 AS any")[0]["any"]:
        return None
    return server


def import_into(store: Neo4jStore, server: LocalNeo4j, nodes: Sequence[NodeSet], rels: Sequence[RelSet],
                settings: Settings, stopped: Callable[[], Any] | None = None) -> dict[str, float]:
    """import_graph, then the store reconnected, its schema built and its empty lists set."""
    report, empties = import_graph(server, nodes, rels, database=store.database or "neo4j", workdir=settings.data,
                                   stopped=stopped)
    began = time.perf_counter()
    store.reconnect()
    store.ensure_schema()
    for label, key, prop, keys in empties:
        store.write_batches(SET_EMPTY % schema.checked(label, key), [{"key": k, "props": {prop: []}} for k in keys],
                            settings.batch_size)
    report.timings["schema"] = time.perf_counter() - began
    log.info("imported %d nodes and %d relationships with neo4j-admin", report.nodes, report.relationships)
    return report.timings


def restart(store: Neo4jStore, server: LocalNeo4j) -> None:
    """The server up again after a stop that led to no import, and the store reconnected."""
    server.start()
    store.reconnect()
