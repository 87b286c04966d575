"""The one narrow protocol every graph backend implements, and how a URL picks one.

Writes are single idempotent statements (`UNWIND $rows AS row MERGE ...` on stable keys):
FalkorDB has no multi-statement transactions, and on Neo4j it is best practice too. A
write returns only once it is durable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from csenet.errors import ResultTooLarge, StoreError, StoreUnavailable

Record = dict[str, Any]
Progress = Callable[[int], None]


__all__ = ["GraphStore", "Record", "Progress", "StoreError", "StoreUnavailable", "ResultTooLarge", "read_paged",
           "batch_params"]


@runtime_checkable
class GraphStore(Protocol):
    dialect: str  # "falkordb" or "neo4j": picks a canned query's variant

    def read(self, query: str, params: Mapping[str, Any] | None = None, *,
             timeout_ms: int | None = None, limit: int | None = None) -> list[Record]:
        """Run a read-only query; rows as dicts (nodes become property dicts)."""

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
        """Run one write statement and wait until it is durable; returns its counters."""

    def write_batches(self, query: str, rows: Sequence[Any], batch_size: int | None = None,
                      progress: Progress | None = None, extra: Mapping[str, Any] | None = None) -> int:
        """`write` for each batch of `rows` (bound as `$rows`); returns the rows acknowledged durable.

        Batches of one call must be independent of each other (disjoint merge keys, or
        MERGE on keys created by an earlier call): an adapter may run them concurrently.
        On return every batch is applied (a later call may MATCH what it wrote); call
        `sync()` before treating them as durable.
        """

    def sync(self) -> None:
        """Wait until every batch written so far is durable; raise the first failure."""

    def ensure_schema(self) -> None:
        """Create every constraint and index of graph/schema.py that is missing."""

    def compact(self, *, past_limit: bool = False) -> None:
        """Make what is written so far quick to reopen (the embedded store snapshots its log); may be a no-op.

        With `past_limit`, only when reopening would otherwise replay more than `aof_tail_mb`."""

    def close(self) -> None: ...


def read_paged(store: GraphStore, query: str, key: str, page: int = 20_000,
               params: Mapping[str, Any] | None = None) -> Iterator[Record]:
    """Every row of a query that takes `$after`/`$page` (and `params`) and returns rows
    ascending by `key`.

    Keyset paging keeps each read under the store's result limit, however large the graph.
    """
    after = ""
    while True:
        rows = store.read(query, {**(params or {}), "after": after, "page": page}, limit=page + 1)
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1][key]


def batch_params(rows: Sequence[Any], batch_size: int,
                 extra: Mapping[str, Any] | None = None) -> Iterable[tuple[int, dict[str, Any]]]:
    """(row count, parameters) for each batch: `$rows` plus any `extra` parameters."""
    for start in range(0, len(rows), batch_size):
        batch = list(rows[start:start + batch_size])
        params: dict[str, Any] = dict(extra or {})
        params["rows"] = batch
        yield len(batch), params

