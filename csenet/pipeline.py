# SPDX-License-Identifier: GPL-3.0-or-later
"""The pipeline above the loader and the analyses: load a bundle, then re-run the analyses.

`load` only loads (loaders/ knows nothing of the audit or the networks); the CLI, the
demo, the tests and the benches call this when they want the graph analysed too.
"""

from __future__ import annotations

import time
from pathlib import Path

from csenet.analyse import FirstAudit, run_analyses
from csenet.graph.store import GraphStore
from csenet.loaders.load import LoadSummary, Resolver, load_bundle
from csenet.loaders.progress import NullReporter, Reporter
from csenet.settings import Settings


def load_and_analyse(store: GraphStore, folder: Path, settings: Settings, *, rejects_path: Path | None = None,
                     resolver: Resolver | None = None, reporter: Reporter | None = None,
                     analyse: bool = True, encoding: str | None = None) -> LoadSummary:
    """`load_bundle`, then (unless `analyse=False`) the flag audit and network detection."""
    reporter = reporter or NullReporter()
    first = FirstAudit(settings) if analyse else None
    try:
        summary = load_bundle(store, folder, settings, rejects_path=rejects_path, resolver=resolver,
                              reporter=reporter, encoding=encoding, on_first_view=None if first is None else first.start,
                              on_first_incidents=None if first is None else first.read,
                              on_written=None if first is None else first.written)
        if analyse:
            start = time.perf_counter()
            summary.analyses = run_analyses(store, settings, reporter, touched=summary.touched_incidents,
                                            load_id=summary.load_id, people=summary.touched_persons, first=first)
            summary.timings["analyse"] = time.perf_counter() - start
    finally:
        if first is not None:
            first.close()
    return summary
