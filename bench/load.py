"""Load benchmark: the pipeline against the raw ceiling of the same store, in one run.

    python bench/load.py [--scale medium] [--seed 7] [--resolver splink|deterministic] [--no-ceiling]

Large: `--scale large --resolver deterministic --no-ceiling` (the calls of stop 31's large
runs, which were scripted outside bench/). A first load's people go by GRAPH.BULK unless
CSENET_FALKORDB_BULK_PEOPLE=false.

1. generate the bundle (cached under bench/out/), 2. time validate + resolve + load into
an empty graph, 3. time bare batched `UNWIND ... MERGE` of the same number of nodes per
label and relationships per type into another empty graph on the same server (the same
durable write path, none of csenet's work), 4. print both and their ratio. The load is
timed with its analyses (flag audit, networks) as `csenet load` runs them: a first load's
audit reads its summaries while people are resolved and judges while they are written
(CSENET_AUDIT_READ_AHEAD=false: only the latter), so `pipeline_s` is the whole minus what
the analyses took after the load (`analyses_s`), and `load_and_analyses_s` is the whole.
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

from csenet.settings import Settings  # noqa: E402
from csenet.graph.falkordb_store import FalkorStore  # noqa: E402
from csenet.pipeline import load_and_analyse  # noqa: E402
from tests.conftest import graph_counts  # noqa: E402


def bundle_for(scale: str, seed: int) -> Path:
    from csenet.synth import generate

    folder = HERE / "out" / ("%s-%d" % (scale, seed))
    if not (folder / "involvements.csv").exists() and not (folder / "involvements.csv.gz").exists():
        start = time.perf_counter()
        generate(folder, scale=scale, seed=seed)
        print("generated %s in %.1f s" % (folder, time.perf_counter() - start))
    return folder


def raw_ceiling(store, nodes: dict[str, int], rels: dict[str, int], batch_size: int) -> float:
    """Bare MERGEs of the same counts: nodes on an indexed key, relationships between them."""
    store.ensure_schema()
    start = time.perf_counter()
    keys = {"PersonRecord": "record_id", "Person": "person_id", "Incident": "incident_id", "Location": "location_id",
            "Identifier": "identifier_key", "OCG": "ocg_id", "MissingEpisode": "episode_id", "Load": "load_id",
            "Network": "network_id"}
    node_queries = {label: "UNWIND $rows AS row MERGE (n:%s {%s: row.k}) SET n.v = row.v" % (label, key)
                    for label, key in keys.items()}
    for label, n in nodes.items():
        if label in node_queries:
            store.write_batches(node_queries[label], [{"k": "%s-%d" % (label, i), "v": i} for i in range(n)],
                                batch_size)
    pool = max(nodes.get("PersonRecord", 1), 1)
    rel_query = ("UNWIND $rows AS row MATCH (a:PersonRecord {record_id: row.a}) MATCH (b:PersonRecord {record_id: row.b}) "
                 "MERGE (a)-[r:RAW {t: row.t, i: row.i}]->(b)")
    for rtype, n in rels.items():
        rows = [{"a": "PersonRecord-%d" % (i % pool), "b": "PersonRecord-%d" % ((i * 7 + 1) % pool), "t": rtype, "i": i}
                for i in range(n)]
        store.write_batches(rel_query, rows, batch_size)
    store.sync()
    return time.perf_counter() - start


def peak_memory(data: Path) -> dict:
    """Peak resident memory of this process and of the embedded server (VmHWM), in GB."""
    import resource

    out = {"python_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2),
           # the largest child process waited for: an audit worker (they run beside the load's
           # writes) or, after a load by GRAPH.BULK, the server its reload stopped
           "largest_worker_gb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6, 2)}
    try:
        pid = int((data / "falkordb.pid").read_text().strip())
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["store_gb"] = round(int(line.split()[1]) / 1e6, 2)
    except (OSError, ValueError):
        out["store_gb"] = None
    out["sum_gb"] = round(out["python_gb"] + (out["store_gb"] or 0), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--resolver", default="splink", choices=["splink", "deterministic"])
    parser.add_argument("--data", default=str(HERE / "out" / "db"))
    parser.add_argument("--no-ceiling", action="store_true",
                        help="skip the bare-MERGE ceiling (hours on large); the ratio is then not reported")
    args = parser.parse_args()

    folder = bundle_for(args.scale, args.seed)
    settings = Settings(data=Path(args.data), graph_name="bench_pipeline", memory_limit_mb=16_384)
    store = FalkorStore.embedded(settings)
    try:
        store.drop_graph()
        resolver = None
        if args.resolver == "deterministic":
            from csenet.resolution.deterministic import resolve_deterministic
            resolver = resolve_deterministic
        start = time.perf_counter()
        summary = load_and_analyse(store, folder, settings, resolver=resolver,
                                   rejects_path=HERE / "out" / "rejects.csv")
        whole = time.perf_counter() - start
        analyse_s = summary.timings.pop("analyse")
        pipeline = whole - analyse_s
        analyses = summary.analyses
        nodes, rels = graph_counts(store)

        memory = peak_memory(Path(args.data))
        ceiling, raw_nodes, raw_rels = None, {}, {}
        if not args.no_ceiling:
            raw_store = FalkorStore(store._connect, Settings(data=settings.data, graph_name="bench_raw",
                                                             memory_limit_mb=16_384))
            raw_store.drop_graph()
            ceiling = raw_ceiling(raw_store, nodes, rels, settings.batch_size)
            raw_nodes, raw_rels = graph_counts(raw_store)
            raw_store.drop_graph()
            raw_store.close()
    finally:
        store.close()
    result = {
        "scale": args.scale, "machine": "%s, %d cores, Python %s" % (platform.machine(), os.cpu_count(),
                                                                     platform.python_version()),
        "rows_read": summary.rows_read, "rows_loaded": summary.rows_loaded, "rows_rejected": summary.rows_rejected,
        "nodes": sum(nodes.values()), "relationships": sum(rels.values()),
        "raw_nodes": sum(raw_nodes.values()), "raw_relationships": sum(raw_rels.values()),
        "pipeline_s": round(pipeline, 1), "stages_s": {k: round(v, 1) for k, v in summary.timings.items()},
        "raw_ceiling_s": None if ceiling is None else round(ceiling, 1),
        "ratio": None if ceiling is None else round(pipeline / ceiling, 2),
        "analyses_s": round(analyse_s, 1), "load_and_analyses_s": round(whole, 1), "analyses": analyses,
        "peak_memory": dict(memory, rows_read=summary.rows_read,
                            gb_per_million_rows=round(memory["sum_gb"] / (summary.rows_read / 1e6), 2)),
        "targets": {"ratio_max": 2.0, "medium_pipeline_s_max": 90, "medium_load_and_analyses_s_max": 60},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
