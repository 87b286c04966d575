"""The embedded store's append-only file: its parts on disk, and compacting it into a snapshot."""

from __future__ import annotations

from typing import Any

import time
from pathlib import Path

import redis
from csenet.graph.store import StoreError, StoreUnavailable

AOF_DIR = "aof"
LOG_TAIL_LINES = 8


def aof_files(data: Path) -> dict:
    """The AOF's parts from its manifest: snapshot (base) and statement tail (incr) sizes.

    Read from the files, so it works whether or not a server runs.
    """
    folder = Path(data) / AOF_DIR
    out: dict[str, Any] = {"base_bytes": 0, "incr_bytes": 0, "base_file": None, "compacted_at": None}
    try:
        lines = (folder / "appendonly.aof.manifest").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        fields = line.split()
        entry = dict(zip(fields[::2], fields[1::2]))
        path = folder / entry.get("file", "")
        if not entry.get("file") or not path.exists():
            continue
        if entry.get("type") == "b":
            out["base_file"] = path.name
            out["base_bytes"] = path.stat().st_size
            out["compacted_at"] = path.stat().st_mtime
        elif entry.get("type") == "i":
            out["incr_bytes"] += path.stat().st_size
    return out


def rewrite_aof(conn: redis.Redis, timeout_s: float) -> None:
    """BGREWRITEAOF and wait until a rewrite that began after this call has finished.

    The rewrite writes a snapshot (RDB preamble) as the new base and starts an empty
    statement tail; the server keeps answering meanwhile (it forks).
    """
    deadline = time.monotonic() + timeout_s
    _wait_no_rewrite(conn, deadline)
    done_before = int(conn.info("persistence").get("aof_rewrites", 0))
    try:
        conn.bgrewriteaof()
    except redis.exceptions.ResponseError as exc:
        if "in progress" not in str(exc):
            raise
        _wait_no_rewrite(conn, deadline)
        conn.bgrewriteaof()
    while True:
        info = _wait_no_rewrite(conn, deadline)
        if int(info.get("aof_rewrites", 0)) > done_before:
            break
        if time.monotonic() > deadline:
            raise StoreUnavailable("the AOF rewrite did not finish within %.0f s" % timeout_s)
        time.sleep(0.02)
    if info.get("aof_last_bgrewrite_status") != "ok":
        raise StoreError("FalkorDB could not compact its append-only file (status %s); see falkordb.log"
                         % info.get("aof_last_bgrewrite_status"))


def _wait_no_rewrite(conn: redis.Redis, deadline: float) -> dict:
    while True:
        info = conn.info("persistence")
        if not info.get("aof_rewrite_in_progress") and not info.get("aof_rewrite_scheduled"):
            return info
        if time.monotonic() > deadline:
            raise StoreUnavailable("an AOF rewrite is still running; try again later")
        time.sleep(0.02)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return "(no log)"
    return "\n".join("  " + line for line in text)
