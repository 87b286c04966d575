# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a canned query from the registry, as `csenet query NAME` does, so the figures agree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from csenet.cypher.registry import get_query
from csenet.graph.store import GraphStore


def canned(store: GraphStore, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    q = get_query(name)
    return store.read(q.text_for(store.dialect), q.bind({k: v for k, v in (params or {}).items() if v is not None}))


def canned_all(store: GraphStore, name: str, params: Mapping[str, Any] | None = None,
               page: int = 1000) -> list[dict[str, Any]]:
    """Every row of a query that pages with skip/limit."""
    rows: list[dict[str, Any]] = []
    while True:
        batch = canned(store, name, {**(params or {}), "skip": len(rows), "limit": page})
        rows += batch
        if len(batch) < page:
            return rows
