"""A first load into Neo4j by MERGE batches against the same load with its facts imported
by neo4j-admin (loaders/bulk.py), in one run, each into a fresh local Neo4j.

    python bench/neo4j_import.py [--scale medium] [--seed 7] [--heap 1g] [--pagecache 1g]

Needs `make neo4j`. Prints one JSON: both pipelines' seconds and stages, their ratio, and
the import's own parts (rows, CSV, stop, import, start, schema).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.load import bundle_for  # noqa: E402
from csenet.graph.neo4j_local import LocalNeo4j, free_port  # noqa: E402
from csenet.graph.neo4j_store import Neo4jStore  # noqa: E402
from csenet.loaders.load import load_bundle  # noqa: E402
from csenet.settings import Settings  # noqa: E402
from tests.conftest import graph_counts  # noqa: E402


def one_load(folder: Path, bulk: bool, heap: str, pagecache: str) -> dict:
    data = Path(tempfile.mkdtemp(prefix="csenet-bench-neo4j-"))
    ok = False
    try:
        base = Settings(data=data, neo4j_heap=heap, neo4j_pagecache=pagecache)
        server = LocalNeo4j.for_settings(base, bolt_port=free_port(), http_port=free_port())
        server.start()
        settings = Settings(data=data, graph=server.url, bulk_load=bulk, neo4j_heap=heap, neo4j_pagecache=pagecache)
        store = Neo4jStore.connect(server.url, settings)
        try:
            start = time.perf_counter()
            summary = load_bundle(store, folder, settings, rejects_path=data / "rejects.csv")
            took = time.perf_counter() - start
            nodes, rels = graph_counts(store)
        finally:
            store.close()
            server.stop()
        ok = True
        return {"pipeline_s": round(took, 1), "stages_s": {k: round(v, 1) for k, v in summary.timings.items()},
                "nodes": sum(nodes.values()), "relationships": sum(rels.values()), "rows_loaded": summary.rows_loaded}
    finally:
        if ok:
            shutil.rmtree(data, ignore_errors=True)
        else:
            print("failed: the server's logs are kept in %s" % (data / "neo4j" / "logs"), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--pagecache", default="1g")
    args = parser.parse_args()
    folder = bundle_for(args.scale, args.seed)
    imported = one_load(folder, True, args.heap, args.pagecache)
    merged = one_load(folder, False, args.heap, args.pagecache)
    assert (imported["nodes"], imported["relationships"]) == (merged["nodes"], merged["relationships"])
    result = {
        "scale": args.scale, "machine": "%s, %d cores, Python %s, load average %.1f at the end"
        % (platform.machine(), os.cpu_count(), platform.python_version(), os.getloadavg()[0]),
        "neo4j": {"heap": args.heap, "pagecache": args.pagecache},
        "merge": merged, "import": imported,
        "ratio_merge_to_import": round(merged["pipeline_s"] / imported["pipeline_s"], 2),
    }
    out = HERE / "out" / ("neo4j-import-%s-%d.json" % (args.scale, int(time.time())))
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
