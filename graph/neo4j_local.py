# SPDX-License-Identifier: GPL-3.0-or-later
"""A local Neo4j 5.26 community server that csenet starts itself, without Docker.

The jars are the distribution's own server modules from Maven Central, copied into
tools/neo4j/lib by `make neo4j`; this module only launches them differently: it writes
neo4j.conf (Bolt and HTTP on 127.0.0.1, authentication on, data under the home folder),
sets the initial password with Neo4j's own admin tool, starts
`org.neo4j.server.CommunityEntryPoint` and waits for Bolt. The generated password is kept
0600 beside the data; `server.json` records the running server so `stop`, `status` and
`Neo4jStore.connect` (password for a loopback URL) find it again.
"""

from __future__ import annotations

from typing import Any

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from csenet.errors import StoreError, StoreUnavailable
from csenet.settings import Settings

REPO = Path(__file__).resolve().parents[1]
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
PASSWORD_FILE = "password"
STATE_FILE = "server.json"
HOST = "127.0.0.1"

# The JVM options the packaged `neo4j` script passes (minus those Java 17 dropped).
JVM_OPTIONS = (
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields", "-XX:+DisableExplicitGC", "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true", "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true", "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions", "-XX:+DebugNonSafepoints", "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8", "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)
_SIZE = re.compile(r"^[0-9]+[kKmMgG]?$")


def lib_dir(settings: Settings) -> Path:
    return Path(settings.neo4j_lib) if settings.neo4j_lib else REPO / "tools" / "neo4j" / "lib"


def java_binary() -> str:
    """Java 17 or later, from JAVA_HOME or PATH; StoreError saying what is missing otherwise."""
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else None
    if not (java and Path(java).exists()):
        java = shutil.which("java")
    if not java:
        raise StoreError("the local Neo4j needs Java 17 or later (apt-get install openjdk-17-jre-headless)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(found.group(1)) if found else 0
    major = int(found.group(2) or 0) if major == 1 else major
    if major < 17:
        first = out.splitlines()[0] if out else "?"
        raise StoreError("the local Neo4j needs Java 17 or later; %s is %s" % (java, first))
    return java


def check_lib(lib: Path) -> None:
    if not any(lib.glob("neo4j-5.*.jar")):
        raise StoreError("Neo4j's jars are not in %s: run `make neo4j` (needs Maven and Maven Central)" % lib)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def pid_alive(pid: int, marker: str) -> bool:
    """The process exists, is no zombie, and its command line carries `marker` (no reused pid)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as fh:
            cmdline = fh.read().decode(errors="replace")
        with open("/proc/%d/stat" % pid) as fh:
            zombie = fh.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return False
    return marker in cmdline and not zombie


@dataclass
class LocalNeo4j:
    home: Path
    lib: Path
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "512m"
    pagecache: str = "256m"
    browser_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")
    post_connect: str | None = None
    _proc: subprocess.Popen | None = field(default=None, repr=False)

    @classmethod
    def for_settings(cls, settings: Settings, home: Path | None = None, **overrides) -> LocalNeo4j:
        """The server of `CSENET_DATA/neo4j` (or `home`), on the ports it runs on or the settings' ones."""
        home = Path(home or Path(settings.data) / "neo4j").resolve()
        api_host = HOST if settings.api_host in ("0.0.0.0", "::") else settings.api_host
        api = "http://%s:%d/browser" % (api_host, settings.api_port)
        values: dict[str, Any] = dict(bolt_port=settings.neo4j_bolt_port, http_port=settings.neo4j_http_port,
                      heap=settings.neo4j_heap, pagecache=settings.neo4j_pagecache,
                      post_connect="style %s/style.grass; play %s/guide" % (api, api))
        state = read_state(home)
        if state and pid_alive(state["pid"], str(home)):
            values.update(bolt_port=state["bolt_port"], http_port=state["http_port"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(home=home, lib=lib_dir(settings), **values)

    # -- where things are ----------------------------------------------------------
    @property
    def conf_dir(self) -> Path:
        return self.home / "conf"

    @property
    def url(self) -> str:
        return "bolt://%s:%d" % (HOST, self.bolt_port)

    @property
    def browser_url(self) -> str:
        dbms = quote("bolt://%s:%d" % (HOST, self.bolt_port), safe="")
        return "http://%s:%d/browser/?dbms=%s" % (HOST, self.http_port, dbms)

    def password(self) -> str:
        """The generated password of user `neo4j`, created 0600 on first use."""
        path = self.home / PASSWORD_FILE
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            os.chmod(self.home, 0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                # A letter first: neo4j-admin reads a password starting with "-" (1 in 64
                # of token_urlsafe's) as an option and fails with a missing parameter.
                fh.write("n" + secrets.token_urlsafe(24) + "\n")
        return path.read_text().strip()

    # -- configuration ---------------------------------------------------------------
    def config(self) -> dict[str, str]:
        for size in (self.heap, self.pagecache):
            if not _SIZE.match(size):
                raise StoreError("memory size %r: use a number with k, m or g (e.g. 512m)" % size)
        conf = {
            "server.default_listen_address": HOST,
            "server.default_advertised_address": HOST,
            "server.bolt.listen_address": "%s:%d" % (HOST, self.bolt_port),
            "server.bolt.advertised_address": "%s:%d" % (HOST, self.bolt_port),
            "server.http.listen_address": "%s:%d" % (HOST, self.http_port),
            "server.http.advertised_address": "%s:%d" % (HOST, self.http_port),
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true",
            "dbms.usage_report.enabled": "false",
            "server.memory.heap.initial_size": self.heap,
            "server.memory.heap.max_size": self.heap,
            "server.memory.pagecache.size": self.pagecache,
            "db.tx_log.rotation.retention_policy": "2 files",
            "browser.remote_content_hostname_whitelist": ",".join(self.browser_hosts),
            "client.allow_telemetry": "false",
        }
        for name in ("data", "logs", "run", "plugins", "import", "licenses"):
            conf["server.directories.%s" % name] = str(self.home / name)
        if self.post_connect:
            conf["browser.post_connect_cmd"] = self.post_connect
        return conf

    def write_config(self) -> Path:
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        path = self.conf_dir / "neo4j.conf"
        text = "# Written by csenet (graph/neo4j_local.py) at every start; edit the settings, not this file.\n"
        path.write_text(text + "".join("%s=%s\n" % kv for kv in self.config().items()))
        return path

    def _env(self) -> dict[str, str]:
        return {**os.environ, "NEO4J_HOME": str(self.home), "NEO4J_CONF": str(self.conf_dir)}

    def admin(self, *args: str, heap: str = "256m", timeout_s: float = 120) -> subprocess.CompletedProcess:
        """Neo4j's own admin tool (`neo4j-admin ...`) on this server's home and configuration."""
        cmd = [java_binary(), "-Xmx" + heap, "-cp", str(self.lib / "*"), ADMIN_TOOL, *args]
        return subprocess.run(cmd, env=self._env(), capture_output=True, text=True, timeout=timeout_s)

    def set_initial_password(self) -> None:
        """Neo4j's own `neo4j-admin dbms set-initial-password`, before the first start only."""
        if (self.home / "data" / "dbms" / "auth.ini").exists():
            return
        done = self.admin("dbms", "set-initial-password", self.password())
        if done.returncode != 0:
            why = " ".join((done.stderr or done.stdout).strip().splitlines()[:3])[:600]
            raise StoreError("neo4j-admin set-initial-password failed: %s" % why)

    # -- lifecycle ---------------------------------------------------------------------
    def running_pid(self) -> int | None:
        state = read_state(self.home)
        if state and pid_alive(state["pid"], str(self.home)):
            return state["pid"]
        return None

    def start(self, timeout_s: float = 120.0) -> float:
        """Start the server unless it runs; returns the seconds until Bolt answered (0 if it ran)."""
        if self.running_pid():
            return 0.0
        java = java_binary()
        check_lib(self.lib)
        self.password()
        self.write_config()
        self.set_initial_password()
        for port in (self.bolt_port, self.http_port):
            if port_open(port):
                raise StoreError("port %d on %s is taken: choose another (--bolt-port/--http-port)" % (port, HOST))
        (self.home / "logs").mkdir(exist_ok=True)
        started = time.monotonic()
        cmd = [java, "-Xms" + self.heap, "-Xmx" + self.heap, *JVM_OPTIONS, "-cp", str(self.lib / "*"),
               ENTRY_POINT, "--home-dir=%s" % self.home, "--config-dir=%s" % self.conf_dir]
        with open(self.home / "logs" / "console.log", "ab") as console:
            self._proc = subprocess.Popen(cmd, env=self._env(), stdout=console, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        write_state(self.home, {"pid": self._proc.pid, "bolt_port": self.bolt_port, "http_port": self.http_port})
        self._wait_for_bolt(started + timeout_s)
        return time.monotonic() - started

    def _wait_for_bolt(self, deadline: float) -> None:
        import neo4j

        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise StoreUnavailable("Neo4j exited with code %s while starting: %s"
                                       % (self._proc.returncode, self.log_tail()))
            if port_open(self.bolt_port):
                try:
                    with neo4j.GraphDatabase.driver(self.url, auth=("neo4j", self.password())) as driver:
                        driver.verify_connectivity()
                        return
                except Exception:  # noqa: BLE001 - still starting: any driver error means "not yet"
                    pass
            time.sleep(0.25)
        self.stop()
        raise StoreUnavailable("Neo4j did not answer on Bolt %s in time: %s" % (self.url, self.log_tail()))

    def stop(self, timeout_s: float = 60.0) -> bool:
        """Ask the server to shut down (SIGTERM: a clean checkpoint); kill it after `timeout_s`."""
        pid = self._proc.pid if self._proc is not None and self._proc.poll() is None else self.running_pid()
        if pid is None:
            (self.home / STATE_FILE).unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._alive(pid):
            time.sleep(0.2)
        if self._alive(pid):
            os.kill(pid, signal.SIGKILL)
            while self._alive(pid):
                time.sleep(0.1)
        (self.home / STATE_FILE).unlink(missing_ok=True)
        return True

    def _alive(self, pid: int) -> bool:
        if self._proc is not None and self._proc.pid == pid:
            return self._proc.poll() is None
        return pid_alive(pid, str(self.home))

    def log_tail(self, lines: int = 15) -> str:
        text = []
        for name in ("neo4j.log", "console.log"):
            path = self.home / "logs" / name
            if path.exists():
                text += path.read_text(errors="replace").splitlines()[-lines:]
        return " | ".join(line.strip() for line in text if line.strip())[-3000:]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def read_state(home: Path) -> dict | None:
    try:
        return json.loads((Path(home) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None


def write_state(home: Path, state: dict) -> None:
    path = Path(home) / STATE_FILE
    path.write_text(json.dumps(state))
    os.chmod(path, 0o600)


def local_homes(settings: Settings) -> list[Path]:
    """Every local Neo4j home under the data folder: the main one and each workspace's."""
    data = Path(settings.data)
    return [data / "neo4j", *sorted((data / "workspaces").glob("*/neo4j"))]


def password_for(settings: Settings, host: str | None, port: int | None) -> str | None:
    """The generated password of a local server on `host:port`, when csenet started it."""
    if host not in (HOST, "localhost", "::1"):
        return None
    for home in local_homes(settings):
        state = read_state(home)
        if state and state.get("bolt_port") == (port or 7687) and (home / PASSWORD_FILE).exists():
            return (home / PASSWORD_FILE).read_text().strip()
    return None
