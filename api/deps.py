# SPDX-License-Identifier: GPL-3.0-or-later
"""The app's shared objects, reached from a request: settings, the graph store, bounded reads."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from fastapi import Request

from csenet.settings import Settings
from csenet.graph.open import open_store
from csenet.graph.store import GraphStore

_open_lock = threading.Lock()


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def store_of(request: Request) -> GraphStore:
    """The app's store, opened on first use when create_app was not given one."""
    state = request.app.state
    if state.store is None:
        with _open_lock:
            if state.store is None:
                state.store = open_store(state.settings)
                state.owns_store = True
    return state.store


def read(request: Request, query: str, params: Mapping[str, Any] | None = None, *,
         limit: int | None = None) -> list[dict[str, Any]]:
    """A read with the settings' timeout and result cap."""
    settings = settings_of(request)
    return store_of(request).read(query, params, timeout_ms=settings.query_timeout_ms,
                                  limit=limit or settings.result_limit)
