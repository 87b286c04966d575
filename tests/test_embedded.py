"""The embedded FalkorDB: started, shared, cleaned up after crashes, durable across restarts."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from csenet.settings import Settings
from csenet.graph.embedded import EmbeddedServer, _pid_alive
from csenet.graph.falkordb_store import FalkorStore
from csenet.graph.store import StoreError

REPO = Path(__file__).resolve().parents[1]
MERGE = "UNWIND $rows AS row MERGE (n:PersonRecord {record_id: row.id}) SET n.batch = row.batch"


def settings_for(data: Path, **kw) -> Settings:
    return Settings(data=data, graph_name="lifecycle", **kw)


def server_pid(data: Path) -> int:
    return int((data / "falkordb.pid").read_text())


def count(store) -> int:
    return store.read("MATCH (n:PersonRecord) RETURN count(n) AS n")[0]["n"]


def run_child(data: Path, code: str) -> dict:
    """Run csenet code in another process on the same data directory; its last line is JSON."""
    env = {**os.environ, "CSENET_DATA": str(data), "CSENET_GRAPH_NAME": "lifecycle", "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_start_is_private_and_limited(tmp_path):
    data = tmp_path / "d"
    store = FalkorStore.embedded(settings_for(data, memory_limit_mb=256, query_timeout_ms=1234, result_limit=777))
    try:
        assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
        assert stat.S_ISSOCK(os.stat(data / "falkordb.sock").st_mode)
        assert stat.S_IMODE(os.stat(data / "falkordb.sock").st_mode) == 0o700
        conn = store.db.connection
        assert conn.config_get("maxmemory")["maxmemory"] == str(256 * 1024 * 1024)
        assert conn.config_get("appendonly")["appendonly"] == "yes"
        assert conn.config_get("appendfsync")["appendfsync"] == "always"
        assert conn.config_get("port")["port"] == "0"
        assert conn.execute_command("GRAPH.CONFIG", "GET", "TIMEOUT_DEFAULT") == ["TIMEOUT_DEFAULT", 1234]
        assert conn.execute_command("GRAPH.CONFIG", "GET", "RESULTSET_SIZE") == ["RESULTSET_SIZE", 778]
        assert conn.execute_command("GRAPH.CONFIG", "GET", "OMP_THREAD_COUNT") == ["OMP_THREAD_COUNT", 1]
    finally:
        store.close()
    assert not (data / "falkordb.sock").exists()


def test_the_fsync_policy_is_the_settings_and_nothing_else(tmp_path):
    """`always` by default (docs/embedded-store.md, Why `always`); `everysec` on request."""
    from pydantic import ValidationError

    def fsync(**kw) -> str:
        args = EmbeddedServer(settings_for(tmp_path / "d", **kw))._args("redis-server", "falkordb.so")
        return args[args.index("--appendfsync") + 1]

    assert fsync() == "always"
    assert fsync(store_fsync="everysec") == "everysec"
    with pytest.raises(ValidationError):
        settings_for(tmp_path / "d", store_fsync="no")


def test_second_process_reuses_the_server_and_last_one_out_stops_it(tmp_path):
    data = tmp_path / "d"
    store = FalkorStore.embedded(settings_for(data))
    pid = server_pid(data)
    store.write("MERGE (:PersonRecord {record_id: 'from-parent'})")
    child = run_child(data, """
        import json
        from csenet.settings import Settings
        from csenet.graph.falkordb_store import FalkorStore
        s = FalkorStore.embedded(Settings())
        pid = int((s.server.data / "falkordb.pid").read_text())
        n = s.read("MATCH (n:PersonRecord) RETURN count(n) AS n")[0]["n"]
        s.write("MERGE (:PersonRecord {record_id: 'from-child'})")
        s.close()
        print(json.dumps({"pid": pid, "n": n}))
    """)
    assert child == {"pid": pid, "n": 1}
    assert _pid_alive(pid), "the child must not stop a server another process still uses"
    assert count(store) == 2
    store.close()
    deadline = time.monotonic() + 10
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _pid_alive(pid)
    assert not (data / "falkordb.sock").exists() and not (data / "falkordb.pid").exists()


def test_stale_socket_and_pid_file_after_a_crash_are_cleaned(tmp_path):
    data = tmp_path / "d"
    store = FalkorStore.embedded(settings_for(data))
    store.write_batches(MERGE, [{"id": "r%d" % i, "batch": 0} for i in range(100)])
    store.sync()
    old_pid = server_pid(data)
    store.server.kill()
    store.server._registered.unlink()  # the client died too: nobody left to clean up
    store.server._registered = None
    assert (data / "falkordb.sock").exists() and (data / "falkordb.pid").exists()
    again = FalkorStore.embedded(settings_for(data))
    try:
        assert server_pid(data) != old_pid
        assert count(again) == 100
    finally:
        again.close()


def test_a_dead_pid_in_the_pid_file_is_stale(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "falkordb.sock").write_text("not a socket")
    (data / "falkordb.pid").write_text("999999")
    store = FalkorStore.embedded(settings_for(data))
    try:
        assert store.read("RETURN 1 AS one") == [{"one": 1}]
    finally:
        store.close()


def test_counts_survive_save_rewrite_and_restart(tmp_path):
    data = tmp_path / "d"
    store = FalkorStore.embedded(settings_for(data))
    store.ensure_schema()
    store.write_batches(MERGE, [{"id": "r%d" % i, "batch": i // 1000} for i in range(5_000)], batch_size=1000)
    store.write("MATCH (a:PersonRecord {record_id: 'r1'}), (b:PersonRecord {record_id: 'r2'}) "
                "MERGE (a)-[:RECORDED_ASSOCIATION {kind: 'ASSOCIATE'}]->(b)")
    store.sync()
    before = (count(store), store.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"])
    conn = store.db.connection
    conn.save()
    assert (count(store), store.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]) == before
    conn.bgrewriteaof()
    deadline = time.monotonic() + 30
    while conn.info("persistence")["aof_rewrite_in_progress"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert conn.info("persistence")["aof_last_bgrewrite_status"] == "ok"
    assert (count(store), store.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]) == before
    store.close()
    for _ in range(2):
        again = FalkorStore.embedded(settings_for(data))
        try:
            assert (count(again), again.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]) == before
            indexed = {(r[0], p) for r in again.graph.ro_query("CALL db.indexes()").result_set for p in r[1]}
            assert ("PersonRecord", "record_id") in indexed
        finally:
            again.close()


def test_no_acknowledged_batch_is_lost_when_the_server_is_killed(tmp_path):
    data = tmp_path / "d"
    store = FalkorStore.embedded(settings_for(data))
    acknowledged: list[int] = []
    stop = threading.Event()
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            for batch in range(10_000):
                rows = [{"id": "b%d-%d" % (batch, i), "batch": batch} for i in range(200)]
                store.write_batches(MERGE, rows, batch_size=200)
                store.sync()
                acknowledged.append(batch)
                if stop.is_set():
                    return
        except BaseException as exc:  # the kill surfaces here
            failure.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    while len(acknowledged) < 5:
        time.sleep(0.02)
    store.server.kill()
    stop.set()
    thread.join(timeout=60)
    assert failure, "writes after the kill must fail, not be counted"
    store.server._registered.unlink()
    store.server._registered = None
    again = FalkorStore.embedded(settings_for(data))
    try:
        present = {r["b"] for r in again.read("MATCH (n:PersonRecord) RETURN DISTINCT n.batch AS b")}
        assert set(acknowledged) <= present
        for batch in acknowledged:
            assert again.read("MATCH (n:PersonRecord {batch: $b}) RETURN count(n) AS n", {"b": batch}) == [{"n": 200}]
    finally:
        again.close()


def test_socket_path_too_long_is_a_clear_error(tmp_path):
    deep = tmp_path / ("x" * 120)
    with pytest.raises(StoreError, match="shorter path"):
        EmbeddedServer(settings_for(deep)).acquire()


def test_a_short_tail_is_left_to_replay_and_a_long_one_compacted(tmp_path):
    """After a day's load the tail is short: rewriting the whole graph for it costs more
    than a restart replaying it (graph/falkordb_store.py `compact`)."""
    from csenet.graph.aof import aof_files

    data = tmp_path / "d"
    store = FalkorStore.embedded(settings_for(data, aof_tail_mb=1.0))  # no rewrite in the background here
    try:
        store.write("UNWIND range(1, 50) AS i MERGE (:PersonRecord {record_id: 'r' + toString(i)})")
        store.compact()
        base = aof_files(data)["base_bytes"]
        store.write("MERGE (:PersonRecord {record_id: 'one more'})")
        store.compact(past_limit=True)
        files = aof_files(data)
        assert files["base_bytes"] == base and 0 < files["incr_bytes"] <= 1e6
        store.write_batches("UNWIND $rows AS row MERGE (:PersonRecord {record_id: row.id})",
                            [{"id": "x%d-%s" % (i, "y" * 200)} for i in range(2_000)])
        store.sync()
        assert 0.05e6 < aof_files(data)["incr_bytes"] < 1e6
        store.settings.aof_tail_mb = 0.05
        store.compact(past_limit=True)
        assert aof_files(data)["incr_bytes"] < 0.05e6 and aof_files(data)["base_bytes"] > base
    finally:
        store.close()
