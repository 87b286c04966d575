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
import os
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


def processes_for(incidents: int, workers: int, min_chunk: int | None = None) -> int:
    """How many processes `incidents` are split over: at most `workers`, each given at least
    `min_chunk` (MIN_CHUNK unless given)."""
    return max(1, min(workers, incidents // max(1, MIN_CHUNK if min_chunk is None else min_chunk)))


def _audit(chunk: Chunk, options: dict[str, Any]) -> pd.DataFrame:
    return audit_incidents(*chunk, **options)


def audit_in_parallel(incidents: pd.DataFrame, involvements: pd.DataFrame, persons: pd.DataFrame,
                      network_context: pd.DataFrame | None = None, *, workers: int,
                      min_chunk: int | None = None, here: bool = True, **options: Any) -> pd.DataFrame:
    """`audit_incidents` in up to `workers` processes, each given at least `min_chunk`
    incidents; this process takes one share unless `here` is false (its thread has other
    work beside: a load still writing); `options` are audit_incidents' keywords (picklable)."""
    parts = processes_for(len(incidents), workers, min_chunk)
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


NICE = 19
"""How far a reading worker yields where it cannot be made idle-only (_background)."""


class StagedAudit:
    """audit_in_parallel in two stages, for a first load: worker processes read the summaries
    (Auditor.read: their words alone) as soon as the incidents are validated, at low priority
    while people are resolved, then judge each incident once its people are known (`finish`).
    The verdicts equal audit_incidents' (tests/test_audit_parallel.py)."""

    def __init__(self, incidents: pd.DataFrame, *, workers: int, min_chunk: int | None = None, **options: Any):
        self.incidents = incidents
        self.options = options
        parts = processes_for(len(incidents), workers, min_chunk)
        self._parts = [incidents.iloc[idx] for idx in np.array_split(np.arange(len(incidents)), parts)]
        context = multiprocessing.get_context("spawn")
        self._workers: list[tuple[Any, Any]] = []
        try:
            for part in self._parts:
                mine, theirs = context.Pipe()
                process = context.Process(target=_staged, args=(theirs, options), daemon=True,
                                          name="csenet-audit-reader")
                process.start()
                theirs.close()
                self._workers.append((process, mine))
                mine.send(part)
        except BaseException:
            self.close()
            raise

    def finish(self, involvements: pd.DataFrame, persons: pd.DataFrame,
               network_context: pd.DataFrame | None = None) -> pd.DataFrame:
        """The verdicts, once each part's people are sent to the worker that read it."""
        try:
            for part, (process, conn) in zip(self._parts, self._workers):
                _foreground(process.pid)  # what is left of its reading is now what the load waits for
                conn.send(chunks(part, involvements, persons, network_context, 1)[0][1:])
            results = [_answer(conn) for _, conn in self._workers]
        except (EOFError, OSError) as exc:
            self.close()
            log.warning("an audit worker failed (%s); auditing %d incidents in this process", exc, len(self.incidents))
            return audit_incidents(self.incidents, involvements, persons, network_context, **self.options)
        finally:
            self.close()
        return pd.concat(results, ignore_index=True)

    def close(self) -> None:
        for process, conn in self._workers:
            conn.close()
            if process.is_alive():
                process.terminate()
            process.join()
        self._workers = []


def _answer(conn: Any) -> pd.DataFrame:
    kind, value = conn.recv()
    if kind == "error":
        raise RuntimeError("the audit failed in a worker process:\n%s" % value)
    return value


def _background() -> None:
    """This process runs only on a core nothing else wants (SCHED_IDLE; threads it starts
    inherit it), where the platform has it; else at the lowest priority."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        os.nice(NICE)


def _foreground(pid: int) -> None:
    """A background process (its main thread) back to the ordinary policy; an unprivileged
    process may do this for its own children (not undo a nice)."""
    try:
        os.sched_setscheduler(pid, os.SCHED_OTHER, os.sched_param(0))
    except (AttributeError, OSError):
        pass


def _staged(conn: Any, options: dict[str, Any]) -> None:
    """One StagedAudit worker: read its incidents in the background, wait for their people, judge."""
    import traceback

    from csenet.audit.engine import Auditor

    _background()
    try:
        incidents = conn.recv()
        auditor = Auditor(**options)
        readings = auditor.read(incidents)
        involvements, persons, network_context = conn.recv()
        conn.send(("verdicts", auditor.judge(incidents, involvements, persons, network_context, readings)))
    except EOFError:
        pass  # closed before its people came: the load failed or stopped
    except Exception:  # noqa: BLE001 - the parent raises it
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()
