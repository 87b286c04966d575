"""Memory benchmark: where a load's resident memory goes, stage by stage, Python and store together.

    python bench/memory.py [--scale large] [--seed 7] [--resolver deterministic|splink]

Issue 15's target is the peak of the whole load (Python + store) at once, which the peak of
each process (bench/load.py's `peak_memory`) only bounds from above. This samples both every
second while `load_and_analyse` runs into an empty graph and writes one JSON under
bench/out/: the peak of the sum and the stage it fell in, each stage's peaks, Arrow's own
allocations (the bundle's text columns and the bulk path's packing), and the store's
`GRAPH.MEMORY USAGE` breakdown of the loaded graph (matrices, attributes per label and
type, indexes), with the figures per million input rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.load import bundle_for  # noqa: E402
from csenet.graph.falkordb_store import FalkorStore  # noqa: E402
from csenet.pipeline import load_and_analyse  # noqa: E402
from csenet.settings import Settings  # noqa: E402


def rss_gb(pid: int) -> float:
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1e6
    except OSError:
        pass
    return 0.0


def children_gb(pid: int, skip: int) -> float:
    """Every process below `pid` but the store (the audit's spawned workers and theirs): a
    thread's children are listed under that thread's task."""
    total, seen, todo = 0.0, {pid, skip}, [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir("/proc/%d/task" % parent)
        except OSError:
            continue
        for task in tasks:
            try:
                with open("/proc/%d/task/%s/children" % (parent, task)) as fh:
                    kids = [int(c) for c in fh.read().split()]
            except OSError:
                continue
            for kid in kids:
                if kid not in seen:
                    seen.add(kid)
                    todo.append(kid)
                    total += rss_gb(kid)
    return total


class Sampler:
    """RSS of this process, the store and the workers every `every` seconds, with the stage."""

    def __init__(self, data: Path, every: float = 1.0):
        self.data, self.every = data, every
        self.current = "read and validate"
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._start = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-memory")

    def _store_pid(self) -> int:
        try:
            return int((self.data / "falkordb.pid").read_text().strip())
        except (OSError, ValueError):
            return 0

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            store = self._store_pid()
            python, server, workers = rss_gb(me), rss_gb(store) if store else 0.0, children_gb(me, store)
            self.samples.append({"t": round(time.perf_counter() - self._start, 1), "stage": self.current,
                                 "python_gb": round(python, 2), "store_gb": round(server, 2),
                                 "workers_gb": round(workers, 2), "sum_gb": round(python + server + workers, 2),
                                 "arrow_gb": round(pa.total_allocated_bytes() / 1e9, 2)})
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def stage(self, name: str, total: int):
        """The load's Reporter: each stage it starts names the samples that follow."""
        self.current = name
        return lambda n: None


def per_stage(samples: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for s in samples:
        peak = out.setdefault(s["stage"], {"from_s": s["t"], "python_gb": 0.0, "store_gb": 0.0, "workers_gb": 0.0,
                                           "sum_gb": 0.0, "arrow_gb": 0.0})
        for k in ("python_gb", "store_gb", "workers_gb", "sum_gb", "arrow_gb"):
            peak[k] = max(peak[k], s[k])
        peak["to_s"] = s["t"]
    return out


def graph_memory(store: FalkorStore, graph: str) -> dict:
    """GRAPH.MEMORY USAGE as a dict of MB (nested lists of label/type, MB pairs made dicts)."""
    try:
        reply = store.db.connection.execute_command("GRAPH.MEMORY", "USAGE", graph)
    except Exception as exc:  # noqa: BLE001 - a server without the command still gives the rest
        return {"error": str(exc)}

    def plain(v):
        if isinstance(v, bytes):
            return v.decode()
        if isinstance(v, list):
            return {plain(v[i]): plain(v[i + 1]) for i in range(0, len(v), 2)}
        return v
    return plain(reply)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--resolver", default=None, choices=["splink", "deterministic"],
                        help="default: deterministic on large (the large runs of docs/scaling.md), else splink")
    parser.add_argument("--data", default=str(HERE / "out" / "db-memory"))
    args = parser.parse_args()
    resolver_name = args.resolver or ("deterministic" if args.scale == "large" else "splink")

    folder = bundle_for(args.scale, args.seed)
    data = Path(args.data)
    # A store started on the last run's snapshot keeps that graph's pages after the drop
    # (the allocator does not hand them back): the load would be measured on top of them.
    shutil.rmtree(data, ignore_errors=True)
    settings = Settings(data=data, graph_name="bench_memory", memory_limit_mb=16_384)
    store = FalkorStore.embedded(settings)
    try:
        store.drop_graph()
        store.sync()
        resolver = None
        if resolver_name == "deterministic":
            from csenet.resolution.deterministic import resolve_deterministic
            resolver = resolve_deterministic
        began = time.perf_counter()
        with Sampler(data) as sampler:
            summary = load_and_analyse(store, folder, settings, resolver=resolver, reporter=sampler,
                                       rejects_path=HERE / "out" / "rejects-memory.csv")
        whole = time.perf_counter() - began
        breakdown = graph_memory(store, settings.graph_name)
    finally:
        store.close()
    peak = max(sampler.samples, key=lambda s: s["sum_gb"])
    million = summary.rows_read / 1e6
    result = {
        "scale": args.scale, "seed": args.seed, "resolver": resolver_name,
        "machine": "%s, %d cores, Python %s" % (platform.machine(), os.cpu_count(), platform.python_version()),
        "rows_read": summary.rows_read, "load_and_analyses_s": round(whole, 1),
        "peak_of_sum": peak,
        "peak_per_process_gb": {k: max(s[k] for s in sampler.samples)
                                for k in ("python_gb", "store_gb", "workers_gb", "arrow_gb")},
        "gb_per_million_rows": {"sum_at_peak": round(peak["sum_gb"] / million, 2),
                                "python_at_peak": round(peak["python_gb"] / million, 2),
                                "store_at_peak": round(peak["store_gb"] / million, 2)},
        "stages": per_stage(sampler.samples),
        "store_graph_memory_mb": breakdown,
        "target_gb": 8,
    }
    out = HERE / "out" / ("memory-%s-%d.json" % (args.scale, int(time.time())))
    out.write_text(json.dumps(dict(result, samples=sampler.samples), indent=1))
    print(json.dumps(result, indent=2))
    print("samples in", out)


if __name__ == "__main__":
    main()
