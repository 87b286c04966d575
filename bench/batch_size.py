"""Rows per write statement, chosen by measurement: the same load at several batch sizes, on both stores.

    python bench/batch_size.py [--scale batch] [--sizes 1000 2500 5000 10000 20000]

For each store (the embedded FalkorDB and the local Neo4j 5.26 of `make neo4j`), the same
generated bundle (20,000 incidents, ~130,000 rows at the `batch` scale) is loaded into an
empty graph once per batch size, without analyses and with the deterministic resolver (so
only the write path differs between runs). Prints one JSON document with load seconds and
input rows/s per size, and the machine; docs/scaling.md keeps the table and the choice.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.load import bundle_for  # noqa: E402
from csenet.settings import Settings  # noqa: E402


def timed_loads(store, settings: Settings, bundle: Path, sizes: list[int], out: Path) -> list[dict]:
    from csenet.loaders.load import load_bundle
    from csenet.resolution.deterministic import resolve_deterministic

    runs = []
    for size in sizes:
        store.drop_graph()
        start = time.perf_counter()
        summary = load_bundle(store, bundle, settings.model_copy(update={"batch_size": size}),
                              resolver=resolve_deterministic, rejects_path=out / "rejects.csv")
        took = time.perf_counter() - start
        runs.append({"batch_size": size, "load_s": round(took, 1), "rows_per_s": round(summary.rows_read / took),
                     "load_average": round(os.getloadavg()[0], 1)})
        print(json.dumps(runs[-1]), flush=True)
    store.drop_graph()
    return runs


def main() -> None:
    from csenet.graph.falkordb_store import FalkorStore
    from csenet.graph.neo4j_local import LocalNeo4j, free_port
    from csenet.graph.neo4j_store import Neo4jStore

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="batch")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 2500, 5000, 10000, 20000])
    ap.add_argument("--heap", default="1g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--out", default=str(HERE / "out" / "batch_size"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bundle = bundle_for(args.scale, args.seed)
    base = Settings(data=out / "data", neo4j_heap=args.heap, neo4j_pagecache=args.pagecache)
    result: dict = {"scale": args.scale, "seed": args.seed, "machine": {
        "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}}
    falkor = base.model_copy(update={"graph_name": "bench_batch"})
    store = FalkorStore.embedded(falkor)
    try:
        result["falkordb"] = timed_loads(store, falkor, bundle, args.sizes, out)
    finally:
        store.close()
    server = LocalNeo4j.for_settings(base, bolt_port=free_port(), http_port=free_port())
    server.start()
    try:
        url = "bolt://neo4j:%s@127.0.0.1:%d" % (server.password(), server.bolt_port)
        neo = base.model_copy(update={"graph": url, "graph_name": "neo4j"})
        store = Neo4jStore.connect(url, neo)
        try:
            result["neo4j"] = timed_loads(store, neo, bundle, args.sizes, out)
        finally:
            store.close()
    finally:
        server.stop()
    result["neo4j_heap"], result["neo4j_pagecache"] = args.heap, args.pagecache
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
