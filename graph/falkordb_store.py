"""FalkorDB adapter (embedded or an already running server), through the `falkordb` client."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote, urlparse

import redis
from falkordb import FalkorDB
from falkordb.edge import Edge
from falkordb.node import Node
from falkordb.path import Path as FPath

from csenet.settings import Settings
from csenet.graph import falkordb_bulk, schema
from csenet.graph.aof import aof_files, rewrite_aof
from csenet.graph.embedded import EmbeddedServer
from csenet.graph.graph_sets import NodeFrame, NodeSet, NotImportable, RelFrame, RelSet
from csenet.graph.params import ParameterError, cypher_header
from csenet.graph.store import Progress, Record, ResultTooLarge, StoreError, StoreUnavailable, batch_params

log = logging.getLogger(__name__)

TAIL_PER_SNAPSHOT = 0.5  # during a load, compact once the tail exceeds this share of the snapshot too


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, Node | Edge):
        return dict(value.properties)
    if isinstance(value, FPath):
        return [_plain(n) for n in value.nodes()]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@contextmanager
def driver_errors() -> Iterator[None]:
    """The redis/falkordb driver's errors as csenet's: nothing above graph/ sees a driver exception."""
    try:
        yield
    except redis.exceptions.ResponseError as exc:
        raise StoreError(_reason(exc)) from None
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
        raise StoreUnavailable("the graph store does not answer: %s" % _reason(exc)) from None
    except redis.exceptions.RedisError as exc:
        raise StoreError(_reason(exc)) from None


class FalkorStore:
    dialect = "falkordb"

    def __init__(self, connect: Callable[..., FalkorDB], settings: Settings, server: EmbeddedServer | None = None):
        self._connect = connect
        self.settings = settings
        self.server = server
        self._unsnapshotted = 0  # bytes of statements written since the last compaction
        self._compact_after = settings.aof_tail_mb * 1e6
        self._compact_lock = threading.Lock()
        self._bulk_plan: falkordb_bulk.Plan | None = None  # the node ids of the graph bulk_create made
        with driver_errors():
            self._open()

    def _open(self) -> None:
        settings = self.settings
        self.db = self._connect()
        self.graph = self.db.select_graph(settings.graph_name)
        self._local = threading.local()
        self._writers: list[FalkorDB] = []
        self._writers_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []
        self._pending_lock = threading.Lock()
        self._durable = self._aof_enabled()
        self._apply_limits()
        if not self.db.connection.exists(settings.graph_name):
            self.graph.query("RETURN 0")  # read-only queries on a missing graph fail: create it empty
        self._wait_for_indexes()

    @classmethod
    def embedded(cls, settings: Settings) -> FalkorStore:
        server = EmbeddedServer(settings)
        with driver_errors():
            socket = server.acquire()
        try:
            return cls(lambda **kw: FalkorDB(unix_socket_path=socket, **kw), settings, server)
        except Exception:
            server.release()
            raise

    @classmethod
    def external(cls, url: str, settings: Settings) -> FalkorStore:
        u = urlparse(url)
        return cls(lambda **kw: FalkorDB(
            host=u.hostname or "localhost", port=u.port or 6379,
            username=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None, **kw), settings)

    # -- protocol ------------------------------------------------------------------
    def read(self, query: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None, limit: int | None = None) -> list[Record]:
        limit = limit or self.settings.result_limit
        text = self._text(query, params)
        with driver_errors():
            result = self.graph.ro_query(text, timeout=timeout_ms or self.settings.query_timeout_ms)
        columns = [h[1] if isinstance(h, list | tuple) else h for h in result.header]
        if len(result.result_set) > limit:
            raise ResultTooLarge("query returned more than %d rows; narrow it or page it" % limit)
        return [{c: _plain(v) for c, v in zip(columns, row)} for row in result.result_set]

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
        writer = self._writer()
        text = self._text(query, params)
        result = self._execute(writer, text)
        self._wait_durable(writer)
        self._written(len(text))
        return {
            "nodes_created": int(result.nodes_created),
            "nodes_deleted": int(result.nodes_deleted),
            "relationships_created": int(result.relationships_created),
            "relationships_deleted": int(result.relationships_deleted),
            "properties_set": int(result.properties_set),
        }

    def write_batches(self, query: str, rows: Sequence[Mapping[str, Any]], batch_size: int | None = None,
                      progress: Progress | None = None, extra: Mapping[str, Any] | None = None) -> int:
        """Returns once every batch is applied; each is acknowledged when its own WAITAOF returns.

        Under `appendfsync everysec` a WAITAOF returns at the next fsync, up to a second
        later (under `always`, at once). The next step of a load only needs this step's
        writes applied, so each batch waits for its fsync on its own pinned connection in the background;
        `progress` counts a batch only once it is durable, and `sync()` waits for all.
        """
        batch_size = batch_size or self.settings.batch_size
        applied: list[Future] = []
        for n, params in batch_params(rows, batch_size, extra):
            done_applying: Future = Future()
            durable = self._pool().submit(self._write_then_wait, query, params, n, done_applying, progress)
            applied.append(done_applying)
            with self._pending_lock:
                self._pending.append(durable)
        total = 0
        for fut in applied:
            total += fut.result()
        return total

    def _write_then_wait(self, query: str, params: Mapping[str, Any], n: int, applied: Future,
                         progress: Progress | None) -> int:
        try:  # whatever fails before the write is applied (a dead server's connect too) wakes the loader
            writer = self._writer()
            text = self._text(query, params)
            self._execute(writer, text)
        except BaseException as exc:
            applied.set_exception(exc)
            raise
        applied.set_result(n)
        self._wait_durable(writer)
        self._written(len(text))
        if progress:
            progress(n)
        return n

    def sync(self) -> None:
        """Wait until every batch written so far is durable; raise the first failure."""
        with self._pending_lock:
            pending, self._pending = self._pending, []
        errors = [f.exception() for f in pending if f.exception() is not None]
        if errors:
            raise errors[0]

    def compact(self, *, past_limit: bool = False) -> None:
        """Make the store's base a snapshot: a restart then loads it instead of replaying statements.

        The embedded store only (a server run by others is theirs to configure). Called
        after a load and after the analyses write; `_written` also starts one in the
        background each `aof_tail_mb` of statements, so a crash leaves a bounded tail.
        `past_limit`: not for a tail within `aof_tail_mb`, which a restart replays in
        seconds, while a rewrite costs the whole graph (9 s a day on the large force).
        """
        if self.server is None or not self._durable:
            return
        self.sync()
        if past_limit and aof_files(self.server.data)["incr_bytes"] <= self.settings.aof_tail_mb * 1e6:
            with driver_errors():
                self._record_compaction()
            return
        with self._compact_lock, driver_errors():
            self._unsnapshotted, self._compact_after = 0, self.settings.aof_tail_mb * 1e6
            rewrite_aof(self.db.connection, self.settings.write_timeout_ms / 1000)
            self._record_compaction()

    def _written(self, nbytes: int) -> None:
        if self.server is None or not self._durable:
            return
        with self._compact_lock:
            self._unsnapshotted += nbytes
            if self._unsnapshotted < self._compact_after:
                return
            self._unsnapshotted = 0
            # A rewrite costs the whole graph, replay only the tail: on a large graph let the
            # tail grow with the snapshot, so a load does a few rewrites rather than one per
            # aof_tail_mb, and a crash's replay stays a fraction of the snapshot's load.
            base = aof_files(self.server.data)["base_bytes"]
            self._compact_after = max(self.settings.aof_tail_mb * 1e6, TAIL_PER_SNAPSHOT * base)
            try:
                self.db.connection.bgrewriteaof()  # in the background; the load goes on meanwhile
            except redis.exceptions.RedisError as exc:  # one is already running, or the write's own error shows
                log.debug("AOF rewrite not started: %s", exc)

    def _record_compaction(self) -> None:
        """What `csenet store status` shows when no server runs: sizes as of now."""
        stats = self.graph.ro_query("CALL db.meta.stats() YIELD nodeCount, relCount RETURN nodeCount, relCount")
        nodes, rels = stats.result_set[0] if stats.result_set else (0, 0)
        last = self.graph.ro_query("MATCH (l:Load) RETURN l.load_id, l.loaded_at ORDER BY l.loaded_at DESC, "
                                   "l.load_id DESC LIMIT 1").result_set
        record = {"graph": self.settings.graph_name, "recorded_at": time.time(), "nodes": int(nodes),
                  "relationships": int(rels), "last_load_id": last[0][0] if last else None,
                  "last_load_at": last[0][1] if last else None}
        path = self.server.data / "compaction.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(path)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.settings.write_concurrency,
                                                thread_name_prefix="csenet-write")
        return self._executor

    def ensure_schema(self) -> None:
        """Indexes created here go into a snapshot at once: a restart replaying MERGEs after a
        replayed CREATE INDEX cannot use the index (it is populated asynchronously) and scans."""
        with driver_errors():
            created = self._create_schema()
        if created:
            self.compact()

    def _create_schema(self, wait: bool = True) -> bool:
        indexed: set[tuple[str, str]] = set()
        try:
            for row in self.graph.ro_query("CALL db.indexes()").result_set:
                if row[6] == "NODE":
                    indexed.update((row[0], p) for p in row[1])
        except redis.exceptions.ResponseError:
            pass
        wanted = [(label, key) for label, key in schema.NODE_KEYS.items()]
        wanted += [(label, p) for label, props in schema.LOOKUP_INDEXES.items() for p in props]
        writer = self._writer()  # DDL and its WAITAOF on one pinned connection
        graph = writer.select_graph(self.settings.graph_name)
        created = False
        for label, prop in wanted:
            if (label, prop) in indexed:
                continue
            created = True
            label, prop = schema.checked(label, prop)
            graph.query("CREATE INDEX FOR (n:%s) ON (n.%s)" % (label, prop))
        created = self._create_constraints(writer) or created
        if created and wait:
            self._wait_durable(writer)
        return created

    def _create_constraints(self, writer: FalkorDB) -> bool:
        constrained = {(r[1], tuple(r[2])) for r in self.graph.ro_query("CALL db.constraints()").result_set}
        created = False
        for label, key in schema.NODE_KEYS.items():
            if (label, (key,)) in constrained:
                continue
            created = True
            try:
                writer.connection.execute_command("GRAPH.CONSTRAINT", "CREATE", self.settings.graph_name, "UNIQUE",
                                                  "NODE", label, "PROPERTIES", 1, key)
            except redis.exceptions.ResponseError as exc:
                if "already exists" not in str(exc):
                    raise StoreError(_reason(exc)) from None
        return created

    def close(self) -> None:
        self._disconnect()
        if self.server is not None:
            self.server.release()
            self.server = None

    def _disconnect(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for conn in [self.db, *self._writers]:
            try:
                conn.connection.close()
            except Exception:  # pragma: no cover - closing a dead connection
                pass
        self._writers.clear()
        self._bulk_plan = None

    def can_reload(self) -> bool:
        """Whether `reload` can run: an embedded server keeping an AOF, this process its only client."""
        return self.server is not None and self._durable and self.server.sole_client()

    def reload(self) -> None:
        """The embedded server restarted from a snapshot taken now.

        FalkorDB leaves the matrices GRAPH.BULK fills as it filled them: on the large force,
        concurrent reads of relationships it had created crashed the server (SIGSEGV in
        GraphBLAS, twice in two runs), and the same graph loaded from its snapshot, where
        the server rebuilds every matrix whole, answered them. So a graph made by
        GRAPH.BULK is reloaded before anyone reads it (docs/embedded-store.md)."""
        if not self.can_reload():
            raise StoreError("the embedded store cannot be reloaded: another process uses it, or it keeps no AOF")
        self.compact()
        self._disconnect()
        with driver_errors():
            self.server.restart()  # type: ignore[union-attr]
            self._open()

    # -- FalkorDB specifics ------------------------------------------------------------
    def bulk_create(self, sets: Iterable[NodeSet | RelSet | NodeFrame | RelFrame]) -> dict[str, int]:
        """Create the node and relationship `sets` (every node set first) in this graph,
        which must hold no node, by GRAPH.BULK (graph/falkordb_bulk.py), a set at a time.
        NotImportable, with the graph left empty and its schema built, when a value cannot
        be sent or the server refuses the command: the caller then writes by MERGE.
        Returns the bytes, nodes and relationships sent."""
        name = self.settings.graph_name
        writer = self._writer()
        conn = writer.connection
        with driver_errors():
            if self.graph.ro_query("MATCH (n) WITH n LIMIT 1 RETURN count(n)").result_set[0][0]:
                raise NotImportable("the graph already holds nodes")
            conn.delete(name)
            try:  # a new key: node ids are then handed out from 0 in the order sent
                conn.execute_command("GRAPH.BULK", name, "BEGIN", 0, 0, 0, 0)
            except redis.exceptions.ResponseError as exc:
                self.graph.query("RETURN 0")
                self.ensure_schema()
                raise NotImportable("the server refused GRAPH.BULK: %s" % exc) from None
            self._create_schema(wait=False)
        # the new key and its indexes into a snapshot, as ensure_schema does: replayed, the
        # CREATE INDEX would leave the people's MERGEs after the bulk scanning their label
        self.compact()
        plan = falkordb_bulk.Plan()
        try:
            sent = self._send(plan, sets)
        except BaseException:
            try:  # empty again, with its schema in the snapshot, for the MERGE path
                self.drop_graph()
                self.ensure_schema()
            except Exception as again:  # noqa: BLE001 - the first failure is the one to raise
                log.error("the graph was not emptied after a failed GRAPH.BULK: %s", again)
            raise
        self._bulk_plan = plan
        return sent

    def bulk_append(self, sets: Iterable[NodeSet | RelSet | NodeFrame | RelFrame],
                    progress: Callable[[int], None] | None = None) -> dict[str, int]:
        """Add the `sets` to the graph the last bulk_create made, by GRAPH.BULK without BEGIN:
        new nodes take the ids after its nodes, and a relationship may name any node sent
        by either. NotImportable, with nothing sent, unless the graph holds exactly the
        nodes bulk_create sent (a node written since would move every id); a failure part
        way leaves what was sent, which the MERGE statements then complete. `progress` is
        told the nodes and relationships of each command sent."""
        plan, self._bulk_plan = self._bulk_plan, None
        if plan is None:
            raise NotImportable("no graph made by GRAPH.BULK in this process to append to")
        with driver_errors():
            held = self.graph.ro_query("MATCH (n) RETURN count(n)").result_set[0][0]
        if held != plan.next_id:
            raise NotImportable("the graph holds %d nodes, not the %d GRAPH.BULK sent" % (held, plan.next_id))
        plan.resume()
        return self._send(plan, sets, progress)

    def _send(self, plan: falkordb_bulk.Plan, sets: Iterable[NodeSet | RelSet | NodeFrame | RelFrame],
              progress: Callable[[int], None] | None = None) -> dict[str, int]:
        """The sets' commands, each node set's ids checked before the first relationship."""
        name = self.settings.graph_name
        writer = self._writer()
        conn = writer.connection
        sent = {"bytes": 0, "nodes": 0, "relationships": 0}
        checked = False
        for node_count, rel_count, node_tokens, rel_tokens in plan.commands(sets):
            if rel_count and not checked:
                checked = self._check_ids(plan.checks)
            with driver_errors():
                conn.execute_command("GRAPH.BULK", name, node_count, rel_count, len(node_tokens),
                                     len(rel_tokens), *node_tokens, *rel_tokens)
            sent["bytes"] += sum(map(len, node_tokens)) + sum(map(len, rel_tokens))
            sent["nodes"] += node_count
            sent["relationships"] += rel_count
            if progress is not None:
                progress(node_count + rel_count)
        if not checked:
            self._check_ids(plan.checks)
        self._wait_durable(writer)
        self._written(sent["bytes"])
        return sent

    def _check_ids(self, checks: Sequence[tuple[str, str, str, int]]) -> bool:
        """Each node set's first and last node hold the ids the plan gave them."""
        for label, key, value, wanted in checks:
            query = "MATCH (n:%s) WHERE n.%s = $k RETURN id(n) AS id" % schema.checked(label, key)
            got = [r["id"] for r in self.read(query, {"k": value})]
            if got != [wanted]:
                raise NotImportable("GRAPH.BULK gave %s %r the id %s, not %d" % (label, value, got, wanted))
        return True

    def drop_graph(self) -> None:
        """Delete every node, relationship, index and constraint; the store stays usable."""
        self._bulk_plan = None
        with driver_errors():
            try:
                self.graph.delete()
            except redis.exceptions.ResponseError:
                pass
            self.graph.query("RETURN 0")
            self._wait_durable(self.db)

    def _execute(self, writer: FalkorDB, text: str):
        with driver_errors():
            return writer.select_graph(self.settings.graph_name).query(text, timeout=self.settings.write_timeout_ms)

    def _writer(self) -> FalkorDB:
        """This thread's pinned connection: WAITAOF waits for the writes of its own connection."""
        writer = getattr(self._local, "writer", None)
        if writer is None:
            with driver_errors():
                writer = self._connect(single_connection_client=True)
            self._local.writer = writer
            with self._writers_lock:
                self._writers.append(writer)
        return writer

    def _text(self, query: str, params: Mapping[str, Any] | None) -> str:
        try:
            return cypher_header(params) + query
        except ParameterError as exc:
            raise StoreError("parameter refused: %s" % exc) from None

    def _aof_enabled(self) -> bool:
        try:
            return self.db.connection.config_get("appendonly").get("appendonly") == "yes"
        except redis.exceptions.ResponseError:
            return False

    def _apply_limits(self) -> None:
        """Applied at every connection too, so a reused server keeps this process's limits."""
        s = self.settings
        conn = self.db.connection
        try:
            if self.server is not None:
                conn.config_set("maxmemory", "%dmb" % s.memory_limit_mb)
            conn.execute_command("GRAPH.CONFIG", "SET", "TIMEOUT_DEFAULT", s.query_timeout_ms)
            conn.execute_command("GRAPH.CONFIG", "SET", "RESULTSET_SIZE", s.result_limit + 1)
        except redis.exceptions.ResponseError as exc:
            log.warning("could not apply limits to the FalkorDB server: %s", exc)

    def _wait_for_indexes(self) -> None:
        """Until no index is still being built, for at most the start-up timeout.

        A server that has just started rebuilds, in the background, indexes that were
        created on a populated graph; until they are ready it plans scans instead of
        look-ups, and network detection's look-up of each home by postcode becomes a scan
        of every record per home.
        """
        deadline = time.monotonic() + self.settings.startup_timeout_s
        while True:
            try:
                rows = self.graph.ro_query("CALL db.indexes() YIELD label, status RETURN label, status").result_set
            except redis.exceptions.ResponseError:
                return
            building = sorted({label for label, status in rows if status != "OPERATIONAL"})
            if not building:
                return
            if time.monotonic() > deadline:
                log.warning("FalkorDB is still building indexes on %s: reads may be slow", ", ".join(building))
                return
            time.sleep(0.5)

    def _wait_durable(self, conn: FalkorDB) -> None:
        """A batch counts as written only once the AOF holding it is fsynced."""
        if not self._durable:
            return
        with driver_errors():
            local, _replicas = conn.connection.execute_command("WAITAOF", 1, 0, 0)
        if int(local) < 1:
            raise StoreError("FalkorDB did not confirm the write was fsynced to its append-only file")


def _reason(exc: Exception) -> str:
    return str(exc).strip() or exc.__class__.__name__
