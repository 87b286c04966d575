"""Neo4j 5 adapter, through the official `neo4j` driver only.

Every read and write is a managed transaction (`execute_read` / `execute_write`), which the
driver retries on transient errors; what still fails is mapped to csenet.errors here, so
nothing above graph/ sees a driver exception. The server's notifications (deprecations,
cartesian products, unfulfillable hints...) are read from each result's summary and kept
while `collecting_notifications()` is open, so tests can fail a canned query that raises one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlparse, urlunparse

import neo4j
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired, TransientError
from neo4j.graph import Node, Path, Relationship

from csenet.graph import schema
from csenet.errors import TransactionTooLarge
from csenet.graph.store import Progress, Record, ResultTooLarge, StoreError, StoreUnavailable, batch_params
from csenet.settings import Settings

# csenet reads notifications from the summaries; the driver's own log of them would only
# reach an analyst's terminal as noise.
logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
log = logging.getLogger(__name__)

# Errors a retry later may clear (the driver already retried transient ones in execute_*).
_UNAVAILABLE = (ServiceUnavailable, SessionExpired, TransientError, OSError)
OUT_OF_TRANSACTION_MEMORY = "Neo.TransientError.General.MemoryPoolOutOfMemoryError"


@contextlib.contextmanager
def mapped_errors(what: str = "Neo4j") -> Iterator[None]:
    """Driver and server errors as csenet.errors: StoreUnavailable when retrying later may work."""
    try:
        yield
    except TransientError as exc:
        if exc.code == OUT_OF_TRANSACTION_MEMORY:
            raise TransactionTooLarge("%s: a transaction needed more memory than the server allows "
                                      "(dbms.memory.transaction.total.max): %s" % (what, exc.message or exc)) from None
        raise StoreUnavailable("%s is not answering: %s" % (what, exc)) from None
    except _UNAVAILABLE as exc:
        raise StoreUnavailable("%s is not answering: %s" % (what, exc)) from None
    except AuthError as exc:
        raise StoreError("%s refused the user name or password: %s" % (what, exc.message or exc)) from None
    except Neo4jError as exc:
        raise StoreError(exc.message or str(exc)) from None
    except DriverError as exc:
        raise StoreError("%s driver: %s" % (what, exc)) from None


def notifications_of(summary: neo4j.ResultSummary, query: str) -> list[dict[str, Any]]:
    """The summary's notifications as plain dicts (classification, status, description, query)."""
    out = []
    for status in summary.gql_status_objects:
        if not status.is_notification:
            continue
        out.append({"gql_status": status.gql_status, "classification": str(status.raw_classification),
                    "severity": str(status.raw_severity), "description": status.status_description,
                    "query": query.strip()})
    return out


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

    def __init__(self, driver: neo4j.Driver, settings: Settings, database: str | None, url: str | None = None,
                 auth: tuple[str, str] | None = None):
        self.driver = driver
        self.settings = settings
        self.database = database
        self.url = url
        self._auth = auth
        self._notifications: list[dict[str, Any]] | None = None

    def reconnect(self) -> None:
        """A new driver after the server restarted (loaders/bulk.py): the old pool's connections are dead."""
        if self.url is None or self._auth is None:
            raise StoreError("this Neo4j store was not opened from a URL and cannot reconnect")
        self.driver.close()
        self.driver = neo4j.GraphDatabase.driver(self.url, auth=self._auth)
        with mapped_errors("Neo4j at %s" % self.url):
            self.driver.verify_connectivity()

    @contextlib.contextmanager
    def collecting_notifications(self) -> Iterator[list[dict[str, Any]]]:
        """The notifications of every query run inside the block, appended to the list it yields."""
        previous, self._notifications = self._notifications, []
        try:
            yield self._notifications
        finally:
            self._notifications = previous

    def _keep(self, result: neo4j.Result, query: str) -> neo4j.ResultSummary:
        summary = result.consume()
        if self._notifications is not None:
            self._notifications.extend(notifications_of(summary, query))
        return summary

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
            with mapped_errors("Neo4j at %s" % clean):
                driver.verify_connectivity()
        except StoreError:
            driver.close()
            raise
        return cls(driver, settings, database, url=clean, auth=(user, password))

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
            self._keep(result, query)
            return rows

        with mapped_errors(), self._session(neo4j.READ_ACCESS) as session:
            return session.execute_read(neo4j.unit_of_work(timeout=timeout)(work))

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
        def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
            c = self._keep(tx.run(query, dict(params or {})), query).counters
            return {
                "nodes_created": c.nodes_created, "nodes_deleted": c.nodes_deleted,
                "relationships_created": c.relationships_created,
                "relationships_deleted": c.relationships_deleted, "properties_set": c.properties_set,
            }

        with mapped_errors(), self._session(neo4j.WRITE_ACCESS) as session:
            return session.execute_write(neo4j.unit_of_work(timeout=self.settings.write_timeout_ms / 1000)(work))

    def write_batches(self, query: str, rows: Sequence[Mapping[str, Any]], batch_size: int | None = None,
                      progress: Progress | None = None, extra: Mapping[str, Any] | None = None) -> int:
        """One batch at a time: a Neo4j commit is durable when it returns, and concurrent
        MERGEs on shared nodes would only contend for locks. A batch too large for the
        server's transaction memory is written again in halves (each statement is an
        idempotent MERGE, and the failed one was rolled back)."""
        sent = 0
        for n, params in batch_params(rows, batch_size or self.settings.batch_size, extra):
            self._write_halving(query, params)
            sent += n
            if progress is not None:
                progress(n)
        return sent

    def _write_halving(self, query: str, params: dict[str, Any]) -> None:
        try:
            self.write(query, params)
        except TransactionTooLarge:
            batch = params["rows"]
            if len(batch) < 2:
                raise
            log.warning("a batch of %d rows exceeded Neo4j's transaction memory; writing it in halves", len(batch))
            half = len(batch) // 2
            self._write_halving(query, {**params, "rows": batch[:half]})
            self._write_halving(query, {**params, "rows": batch[half:]})

    def sync(self) -> None:
        """Nothing to wait for: each Neo4j commit is durable when it returns."""

    def compact(self, *, past_limit: bool = False) -> None:
        """Neo4j checkpoints its own transaction log: nothing to do."""

    def ensure_schema(self) -> None:
        """Constraints and indexes (idempotent), then wait until every index is online."""
        with mapped_errors(), self._session(neo4j.WRITE_ACCESS) as session:
            for statement in constraint_statements():
                session.execute_write(lambda tx, q=statement: tx.run(q).consume())
            session.run("CALL db.awaitIndexes(300)").consume()

    def drop_graph(self) -> None:
        while self.write("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n")["nodes_deleted"]:
            pass

    def close(self) -> None:
        self.driver.close()

    def _session(self, mode: str) -> neo4j.Session:
        return self.driver.session(database=self.database, default_access_mode=mode)
