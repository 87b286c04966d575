"""The local Neo4j the test session starts once (graph/neo4j_local.py), and why it cannot.

Under CSENET_REQUIRE_NEO4J=1 (set by .ci/run) a missing Java, Maven-built jar folder or a
server that will not start fails the Neo4j tests with its reason instead of skipping them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from csenet.settings import Settings

HEAP = "512m"
PAGECACHE = "128m"


def required() -> bool:
    return os.environ.get("CSENET_REQUIRE_NEO4J", "").strip().lower() in ("1", "true", "yes")


def unavailable(why: str):
    """Fail under CSENET_REQUIRE_NEO4J, skip otherwise."""
    if required():
        pytest.fail("CSENET_REQUIRE_NEO4J=1 but %s" % why, pytrace=False)
    pytest.skip(why)


def local_missing() -> str | None:
    """Why the local Neo4j cannot start here, or None when Java and the jars are present."""
    from csenet.graph.neo4j_local import lib_dir

    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "the local Neo4j needs Java 17+ (apt-get install openjdk-17-jre-headless), none on PATH"
    lib = lib_dir(Settings())
    if not any(lib.glob("neo4j-5.*.jar")):
        return "Neo4j's jars are not in %s: run `make neo4j` (Maven)" % lib
    return None


def local_server(home: Path) -> Iterator:
    """Start a local Neo4j in `home` on free ports, yield it (a LocalNeo4j), stop it."""
    from csenet.errors import StoreError
    from csenet.graph.neo4j_local import LocalNeo4j, free_port

    api_port = free_port()  # where the Browser test serves the API: the post-connect command names it
    settings = Settings(data=home, neo4j_heap=HEAP, neo4j_pagecache=PAGECACHE, api_port=api_port)
    server = LocalNeo4j.for_settings(settings, home=home / "neo4j", bolt_port=free_port(), http_port=free_port())
    server.test_api_port = api_port
    try:
        took = server.start()
    except StoreError as exc:
        unavailable("the local Neo4j did not start: %s" % exc)
    print("\nlocal Neo4j: Bolt answered %.1f s after the JVM started (%s)" % (took, server.url))
    try:
        yield server
    finally:
        server.stop()


def url_of(server) -> str:
    """The Bolt URL with user and password, as tests hand it to Settings(graph=...)."""
    return "bolt://neo4j:%s@127.0.0.1:%d" % (server.password(), server.bolt_port)
