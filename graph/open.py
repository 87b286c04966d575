# SPDX-License-Identifier: GPL-3.0-or-later
"""The adapter registry: which store a graph URL names, opened with the settings it is given.

The one module that imports the adapters; the protocol (graph/store.py) imports none, so
adapters can import the protocol without a circle. The caller composes the settings
(the CLI and the API do); nothing here reads the environment.
"""

from __future__ import annotations

from csenet.errors import StoreError
from csenet.graph.store import GraphStore
from csenet.settings import Settings

NEO4J_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
FALKORDB_SCHEMES = ("falkordb", "redis")


def open_store(settings: Settings, url: str | None = None) -> GraphStore:
    """The store `url` (default: `settings.graph`) names: embedded FalkorDB when unset."""
    from csenet.graph.falkordb_store import FalkorStore  # the driver each adapter needs, only when used

    url = url if url is not None else settings.graph
    if not url:
        return FalkorStore.embedded(settings)
    scheme = url.split("://", 1)[0].lower()
    if scheme in NEO4J_SCHEMES:
        from csenet.graph.neo4j_store import Neo4jStore
        return Neo4jStore.connect(url, settings)
    if scheme in FALKORDB_SCHEMES:
        return FalkorStore.external(url, settings)
    raise StoreError("graph URL %r: use bolt://, neo4j://, neo4j+s:// or falkordb://host:port" % url)
