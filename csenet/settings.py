"""One settings object for every part of csenet, from the environment (CSENET_*) or flags."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CSENET_", extra="ignore")

    graph: str | None = Field(
        default=None,
        description="Graph URL: unset = embedded FalkorDB; bolt://, neo4j://, neo4j+s:// = Neo4j 5; "
        "falkordb://host:port = a running FalkorDB.",
    )
    data: Path = Field(default=Path("csenet-data"), description="Data directory of the embedded store.")
    graph_name: str = Field(default="csenet", description="Graph (FalkorDB key / Neo4j database) name.")
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = None
    # The local Neo4j that `csenet neo4j start` runs (graph/neo4j_local.py).
    neo4j_lib: Path | None = Field(default=None, description="Neo4j's jars (default tools/neo4j/lib: `make neo4j`).")
    neo4j_bolt_port: int = Field(default=7687, ge=1, le=65535, description="Bolt port of the local Neo4j.")
    neo4j_http_port: int = Field(default=7474, ge=1, le=65535, description="HTTP (Browser) port of the local Neo4j.")
    neo4j_heap: str = Field(default="512m", description="Heap of the local Neo4j (JVM size: 512m, 2g).")
    neo4j_pagecache: str = Field(default="256m", description="Page cache of the local Neo4j (about the store's size).")

    # Limits applied at every start of the embedded server and on every read.
    memory_limit_mb: int = Field(default=4096, ge=64, description="Embedded server maxmemory (MB).")
    store_omp_threads: int = Field(
        default=1, ge=0, le=64,
        description="OpenMP threads of the embedded server's matrix kernels (OMP_THREAD_COUNT; 0: FalkorDB's "
                    "default, one per core). 1 because a parallel kernel crashed the server at large scale.")
    store_fsync: Literal["always", "everysec"] = Field(
        default="always",
        description="When the embedded server fsyncs its append-only file (appendfsync; startup only, so a "
                    "reused server keeps its own). always: before each write is acknowledged, one fsync for "
                    "the writes of one event-loop pass; everysec: once a second, so each WAITAOF waits for "
                    "the next tick, up to a second (docs/embedded-store.md).")
    query_timeout_ms: int = Field(default=30_000, ge=100, description="Timeout of one read query.")
    write_timeout_ms: int = Field(default=600_000, ge=1000, description="Timeout of one write batch.")
    result_limit: int = Field(default=100_000, ge=1, description="Most rows one query may return.")
    batch_size: int = Field(default=5_000, ge=1, le=100_000, description="Rows per UNWIND write batch.")
    bulk_load: bool = Field(
        default=False,
        description="A first load into the empty database of a local Neo4j that csenet runs writes its source "
        "facts with neo4j-admin database import (the server restarts once) instead of MERGE batches. Off by "
        "default: after the import, person writes have exhausted Neo4j's transaction memory in 3 of 6 measured "
        "loads, doubling the load (docs/neo4j.md).")
    falkordb_bulk_load: bool = Field(
        default=True,
        description="A first load into an empty FalkorDB graph creates its source facts with GRAPH.BULK "
        "(what falkordb-bulk-loader sends) instead of MERGE batches: the same graph, with the store's MERGE "
        "work off the cores resolution needs meanwhile (docs/scaling.md).")
    falkordb_bulk_people: bool = Field(
        default=True,
        description="After a first load's facts went by GRAPH.BULK, its person layer (persons, RESOLVED_TO and "
        "the person-level projections, computed from the frames) is appended by GRAPH.BULK too, not written by "
        "MERGE statements: the same graph (docs/embedded-store.md).")
    falkordb_bulk_min_rows: int = Field(
        default=100_000, ge=0,
        description="The fewest rows a bundle must hold for GRAPH.BULK: its fixed costs (a new key, its schema and "
        "a snapshot, about 2 s) outweigh MERGE batches that take seconds.")
    falkordb_bulk_max_rows: int | None = Field(
        default=None, ge=0,
        description="The most rows a bundle may hold for GRAPH.BULK (none by default); a larger first load writes "
        "by MERGE. The bulk path holds one statement's packed columns at once, about the bytes it sends (the "
        "large force's 2.47 M person records: 327 MB), beside the validated frames every load holds.")
    write_concurrency: int = Field(
        default=32, ge=1, le=128,
        description="Batches in flight on the embedded store: each waits for its AOF fsync (WAITAOF), so several overlap.",
    )
    startup_timeout_s: float = Field(
        default=30.0, gt=0,
        description="How long the embedded server may take to answer at all, or go without loading progress.")
    loading_timeout_s: float = Field(
        default=0.0, ge=0,
        description="Most seconds to wait for the embedded server to load its data (0: as long as it progresses); "
        "past it the command fails and the server keeps loading.")
    aof_tail_mb: float = Field(
        default=8.0, gt=0,
        description="MB of statements the embedded store's AOF may hold beyond its snapshot: a load compacts "
        "once it has written this much and half the snapshot's size; the last process out compacts a longer tail.")

    network_part_max_share: float = Field(
        default=0.03, ge=0, le=1,
        description="After a delta, networks are detected again only around what it touched, unless that means "
                    "reading more than this share of all persons: read by id, a person costs about 25 times "
                    "what the whole detection spends on one (docs/networks.md); 0: always the whole graph.")

    audit_workers: int = Field(
        default=0, ge=0, le=64,
        description="Processes the flag audit of many incidents runs in (0: one per core; 1: this one only).")
    audit_read_ahead: bool = Field(
        default=True,
        description="A first load of many incidents: its audit workers read the summaries, at low priority, "
                    "while people are resolved, and judge once they are (docs/flag-audit.md).")

    # Person resolution
    match_threshold: float = Field(default=0.95, gt=0, lt=1, description="Splink match probability to link.")
    retrain_share: float = Field(
        default=0.05, ge=0, le=1,
        description="A load whose new records are fewer than this share of all records scores them with the "
                    "latest load's model instead of training a new one (a day's extract; 0 always retrains).")
    link_on_shared_phone: bool = Field(default=False, description="Treat a shared normalised phone as a strong identifier.")
    link_rules: Path | None = Field(default=None, description="Must-link / cannot-link CSV honoured by every resolution.")

    # API
    access_log: Path | None = Field(default=None, description="Append-only access log (default: DATA/access-log.jsonl).")
    pseudonym_key_file: Path | None = Field(default=None, description="Key for victim pseudonyms (default: DATA/pseudonym.key).")
    users_file: Path | None = Field(default=None, description="API users and hashed tokens (default: DATA/users.json).")
    api_host: str = Field(default="127.0.0.1", description="Address `csenet serve` listens on.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="Port `csenet serve` listens on.")
    api_page_size_max: int = Field(default=500, ge=1, le=10_000, description="Most rows one API page may hold.")
    export_max_nodes: int = Field(default=20_000, ge=1, description="Most nodes one subgraph export may hold.")

    def _per_graph(self, kind: str) -> Path:
        name = self.graph_name
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}", name):
            name = "graph-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
        return self.data / kind / name

    def models_path(self) -> Path:
        """Each load's trained resolution model, by model_version (see resolution/model_store.py),
        one folder per graph: a delta reuses its own graph's latest model, never another's."""
        return self._per_graph("models")

    def records_path(self) -> Path:
        """The graph's person records as the resolver compares them (loaders/record_cache.py)."""
        return self._per_graph("records")

    def access_log_path(self) -> Path:
        return self.access_log or self.data / "access-log.jsonl"

    def pseudonym_key_path(self) -> Path:
        return self.pseudonym_key_file or self.data / "pseudonym.key"

    def users_path(self) -> Path:
        return self.users_file or self.data / "users.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
