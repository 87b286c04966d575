"""Restart benchmark: time to the first answer after a clean stop and after kill -9, next to the load time.

    python bench/restart.py [--scales small medium] [--seed 7] [--resolver deterministic|splink]

For each scale: 1. generate the bundle (cached under bench/out/, as bench/load.py does),
2. load it into an empty embedded store (timed), 3. stop cleanly (the last client out
compacts), start again and time the first answer, 4. load it again into another empty
store and SIGKILL the server mid-load (at the involvements, the largest step), start again
and time the first answer. Counts after each restart are checked against the load's.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from csenet.graph.aof import aof_files  # noqa: E402
from csenet.graph.falkordb_store import FalkorStore  # noqa: E402
from csenet.loaders.load import load_bundle  # noqa: E402
from csenet.pipeline import load_and_analyse  # noqa: E402
from load import bundle_for  # noqa: E402

from csenet.settings import Settings  # noqa: E402
from tests.conftest import graph_counts  # noqa: E402


class KillAt:
    """A reporter that SIGKILLs the embedded server once a named stage begins."""

    def __init__(self, store: FalkorStore, stage: str):
        self.store, self.stage_name, self.fired = store, stage, False

    def stage(self, name: str, total: int):
        if name == self.stage_name and not self.fired:
            self.fired = True
            self.store.server.kill()
        return lambda n: None


def settings_for(data: Path) -> Settings:
    return Settings(data=data, graph_name="bench_restart", memory_limit_mb=16_384)


def first_answer(settings: Settings) -> tuple[float, tuple[dict, dict]]:
    """Seconds from opening the store to its first answer, and the graph's counts."""
    start = time.perf_counter()
    store = FalkorStore.embedded(settings)
    try:
        store.read("MATCH (n) RETURN count(n) AS n")
        took = time.perf_counter() - start
        return took, graph_counts(store)
    finally:
        store.close()


def run_scale(scale: str, seed: int, resolver, analyse: bool) -> dict:
    folder = bundle_for(scale, seed)
    data = HERE / "out" / ("restart-%s" % scale)
    shutil.rmtree(data, ignore_errors=True)
    settings = settings_for(data)
    store = FalkorStore.embedded(settings)
    start = time.perf_counter()
    load_and_analyse(store, folder, settings, resolver=resolver, analyse=analyse, rejects_path=HERE / "out" / "rejects.csv")
    load_s = time.perf_counter() - start
    counts = graph_counts(store)
    start = time.perf_counter()
    store.close()
    stop_s = time.perf_counter() - start
    files = aof_files(data)
    clean_s, after_clean = first_answer(settings)

    crash = HERE / "out" / ("restart-%s-crash" % scale)
    shutil.rmtree(crash, ignore_errors=True)
    crash_settings = settings_for(crash)
    store = FalkorStore.embedded(crash_settings)
    killer = KillAt(store, "involvements")
    try:
        load_bundle(store, folder, crash_settings, resolver=resolver,
                    reporter=killer, rejects_path=HERE / "out" / "rejects.csv")
    except Exception:  # the kill surfaces as a failed write
        pass
    store.server._registered.unlink(missing_ok=True)
    store.server._registered = None
    crash_files = aof_files(crash)
    crash_s, _ = first_answer(crash_settings)
    shutil.rmtree(crash, ignore_errors=True)
    return {
        "nodes": sum(counts[0].values()), "relationships": sum(counts[1].values()),
        "load_s": round(load_s, 1), "stop_with_compaction_s": round(stop_s, 1),
        "snapshot_mb": round(files["base_bytes"] / 1e6, 1), "tail_mb": round(files["incr_bytes"] / 1e6, 2),
        "first_answer_after_clean_stop_s": round(clean_s, 1), "counts_equal_after_clean_stop": after_clean == counts,
        "killed_at": "involvements" if killer.fired else "not reached",
        "tail_mb_at_kill": round(crash_files["incr_bytes"] / 1e6, 2),
        "first_answer_after_kill_s": round(crash_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", nargs="+", default=["small", "medium"], choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--resolver", default="deterministic", choices=["splink", "deterministic"])
    parser.add_argument("--analyse", action="store_true", help="Run the analyses after the timed load too.")
    args = parser.parse_args()
    resolver = None
    if args.resolver == "deterministic":
        from csenet.resolution.deterministic import resolve_deterministic
        resolver = resolve_deterministic
    results = {scale: run_scale(scale, args.seed, resolver, args.analyse) for scale in args.scales}
    print(json.dumps({
        "machine": "%s, %d cores, Python %s" % (platform.machine(), os.cpu_count(), platform.python_version()),
        "resolver": args.resolver, "aof_tail_mb": Settings().aof_tail_mb, "scales": results,
        "targets": {"medium": {"clean_stop_s_max": 10, "kill_s_max": 60}, "large": {"clean_stop_s_max": 60,
                                                                                  "kill_s_max": 300}},
    }, indent=2))


if __name__ == "__main__":
    main()
