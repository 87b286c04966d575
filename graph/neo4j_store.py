"""Neo4j 5 adapter, through the official `neo4j` driver only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlparse, urlunparse

import neo4j
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired, TransientError
from neo4j.graph import Node, Path, Relationship

from csenet.settings import Settings
from csenet.graph import schema
from csenet.graph.store import Progress, Record, ResultTooLarge, StoreError, StoreUnavailable, write_sequentially


# Errors a retry later may clear (the driver already retried transient ones in execute_*).
_UNAVAILABLE = (ServiceUnavailable, SessionExpired, TransientError, DriverError, OSError)


def _plain(value: Any) -> Any:
    if isinstance(value, Node | Relationship):
        return dict(value)
    if isinstance(value, Path):
        return [dict(n) for n in value.nodes]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def constraint_statements() -> list[str]:
    """Neo4j DDL for every merge key and lookup index, idempotent (IF NOT EXISTS)."""
    out = []
    for label, key in schema.NODE_KEYS.items():
        label, key = schema.checked(label, key)
        out.append("CREATE CONSTRAINT %s_%s_unique IF NOT EXISTS FOR (n:%s) REQUIRE n.%s IS UNIQUE"
                   % (label.lower(), key, label, key))
    for label, props in schema.LOOKUP_INDEXES.items():
        for prop in props:
            label, prop = schema.checked(label, prop)
            out.append("CREATE INDEX %s_%s IF NOT EXISTS FOR (n:%s) ON (n.%s)" % (label.lower(), prop, label, prop))
    return out


def _local_password(settings: Settings, host: str | None, port: int | None) -> str | None:
    """The generated password of a local Neo4j that `csenet neo4j start` runs under the data folder."""
    from csenet.graph.neo4j_local import password_for

    return password_for(settings, host, port)


class Neo4jStore:
    dialect = "neo4j"

    def __init__(self, driver: neo4j.Driver, settings: Settings, database: str | None):
        self.driver = driver
        self.settings = settings
        self.database = database

    @classmethod
    def connect(cls, url: str, settings: Settings) -> Neo4jStore:
        u = urlparse(url)
        user = unquote(u.username) if u.username else settings.neo4j_user
        if u.password:
            password = unquote(u.password)
        elif settings.neo4j_password is not None:
            password = settings.neo4j_password.get_secret_value()
        elif (local := _local_password(settings, u.hostname, u.port)) is not None:
            password = local
        else:
            raise StoreError("Neo4j needs a password: put it in the URL or set CSENET_NEO4J_PASSWORD")
        netloc = u.hostname + (":%d" % u.port if u.port else "")
        clean = urlunparse((u.scheme, netloc, "", "", "", ""))
        database = u.path.strip("/") or settings.neo4j_database
        driver = neo4j.GraphDatabase.driver(clean, auth=(user, password))
        try:
            driver.verify_connectivity()
        except (ServiceUnavailable, Neo4jError, OSError) as exc:
            driver.close()
            raise StoreUnavailable("cannot reach Neo4j at %s: %s" % (clean, exc)) from None
        return cls(driver, settings, database)

    def read(self, query: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None, limit: int | None = None) -> list[Record]:
        limit = limit or self.settings.result_limit
        timeout = (timeout_ms or self.settings.query_timeout_ms) / 1000

        def work(tx: neo4j.ManagedTransaction) -> list[Record]:
            result = tx.run(query, dict(params or {}))
            rows = []
            for record in result:
                if len(rows) >= limit:
                    raise ResultTooLarge("query returned more than %d rows; narrow it or page it" % limit)
                rows.append({k: _plain(v) for k, v in record.items()})
            return rows

        with self._session(neo4j.READ_ACCESS) as session:
            try:
                return session.execute_read(neo4j.unit_of_work(timeout=timeout)(work))
            except _UNAVAILABLE as exc:
                raise StoreUnavailable("Neo4j is not answering: %s" % exc) from None
            except Neo4jError as exc:
                raise StoreError(exc.message or str(exc)) from None

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
        def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
            c = tx.run(query, dict(params or {})).consume().counters
            return {
                "nodes_created": c.nodes_created, "nodes_deleted": c.nodes_deleted,
                "relationships_created": c.relationships_created,
                "relationships_deleted": c.relationships_deleted, "properties_set": c.properties_set,
            }

        with self._session(neo4j.WRITE_ACCESS) as session:
            try:
                return session.execute_write(
                    neo4j.unit_of_work(timeout=self.settings.write_timeout_ms / 1000)(work))
            except _UNAVAILABLE as exc:
                raise StoreUnavailable("Neo4j is not answering: %s" % exc) from None
            except Neo4jError as exc:
                raise StoreError(exc.message or str(exc)) from None

    def write_batches(self, query: str, rows: Sequence[Mapping[str, Any]], batch_size: int | None = None,
                      progress: Progress | None = None, extra: Mapping[str, Any] | None = None) -> int:
        """One batch at a time: a Neo4j commit is durable when it returns, and concurrent
        MERGEs on shared nodes would only contend for locks."""
        return write_sequentially(self, query, rows, batch_size or self.settings.batch_size, progress, extra)

    def sync(self) -> None:
        """Nothing to wait for: each Neo4j commit is durable when it returns."""

    def ensure_schema(self) -> None:
        for statement in constraint_statements():
            with self._session(neo4j.WRITE_ACCESS) as session:
                session.run(statement).consume()

    def drop_graph(self) -> None:
        while self.write("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n")["nodes_deleted"]:
            pass

    def close(self) -> None:
        self.driver.close()

    def _session(self, mode: str) -> neo4j.Session:
        return self.driver.session(database=self.database, default_access_mode=mode)
