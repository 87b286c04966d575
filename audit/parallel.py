# SPDX-License-Identifier: GPL-3.0-or-later
"""The flag audit of many incidents on every core.

A verdict depends only on its own incident, that incident's people and its networks, so
incidents audited in separate chunks get the verdicts one audit of them all would give
(tests/test_audit_parallel.py). The store is idle while the audit computes, so on the
large force (a million incidents, about 250 s of computing on one core) a second process
is nearly free time. Chunks run in spawned processes: a fork would copy the store's
connection and writer threads.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import pandas as pd

from csenet.audit.engine import audit_incidents
from csenet.columns import isin

log = logging.getLogger(__name__)

MIN_CHUNK = 20_000
"""Incidents below which a process costs more to start (about 3 s: imports, model, lexicon) than it saves."""

Chunk = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, "pd.DataFrame | None"]


def chunks(incidents: pd.DataFrame, involvements: pd.DataFrame, persons: pd.DataFrame,
           network_context: pd.DataFrame | None, parts: int) -> list[Chunk]:
    """`parts` runs of consecutive incidents, each with only its own people and networks."""
    out = []
    for idx in np.array_split(np.arange(len(incidents)), parts):
        chunk = incidents.iloc[idx]
        ids = set(chunk["incident_id"].astype(str))
        inv = involvements[isin(involvements["incident_id"].astype(str), ids)]
        people = persons[isin(persons["person_id"], set(inv["person_id"]))]
        ctx = None if network_context is None else \
            network_context[isin(network_context["incident_id"].astype(str), ids)]
        out.append((chunk, inv, people, ctx))
    return out


def _audit(chunk: Chunk, options: dict[str, Any]) -> pd.DataFrame:
    return audit_incidents(*chunk, **options)


def audit_in_parallel(incidents: pd.DataFrame, involvements: pd.DataFrame, persons: pd.DataFrame,
                      network_context: pd.DataFrame | None = None, *, workers: int,
                      min_chunk: int = MIN_CHUNK, here: bool = True, **options: Any) -> pd.DataFrame:
    """`audit_incidents` in up to `workers` processes, each given at least `min_chunk`
    incidents; this process takes one share unless `here` is false (its thread has other
    work beside: a load still writing); `options` are audit_incidents' keywords (picklable)."""
    parts = max(1, min(workers, len(incidents) // max(1, min_chunk)))
    if parts < 2:
        return audit_incidents(incidents, involvements, persons, network_context, **options)
    shares = chunks(incidents, involvements, persons, network_context, parts)
    mine, theirs = (shares[0], shares[1:]) if here else (None, shares)
    try:
        with ProcessPoolExecutor(max_workers=len(theirs), mp_context=multiprocessing.get_context("spawn")) as pool:
            pending = [pool.submit(_audit, chunk, options) for chunk in theirs]
            results = ([_audit(mine, options)] if mine is not None else []) + [p.result() for p in pending]
    except BrokenProcessPool:
        # A worker died: out of memory, or a calling script that runs itself again when
        # imported (no `if __name__ == "__main__":`). The verdicts are the same in one process.
        log.warning("the audit's worker processes failed; auditing %d incidents in this process", len(incidents))
        return audit_incidents(incidents, involvements, persons, network_context, **options)
    return pd.concat(results, ignore_index=True)
