"""Both stores side by side, one run: the embedded FalkorDB and the local Neo4j 5.26.

    python bench/backends.py [--scale medium] [--seed 7] [--samples 100] [--requests 800]

For each store, on the same generated bundle: load without analyses (input rows/s), the
analyses (flag audit, networks), person_associates at 2 and 3 hops (p50/p95 over sampled
people with associations), network_detail (p95 over networks), and API requests/s with
16 concurrent clients (uvicorn on 127.0.0.1, a mix of /networks/{id} and
/persons/{id}/associates, bounded count). Prints one JSON document and a Markdown table.
Needs `make neo4j`. Machine: whatever runs it (2 cores here).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.load import bundle_for  # noqa: E402
from csenet.settings import Settings  # noqa: E402

CLIENTS = 16


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000 if ordered else float("nan")


def timed_reads(store, query, params_list: list[dict]) -> list[float]:
    out = []
    for params in params_list:
        start = time.perf_counter()
        store.read(query.text_for(store.dialect), query.bind(params))
        out.append(time.perf_counter() - start)
    return out


def api_rate(store, settings: Settings, paths: list[str], requests: int) -> float:
    import httpx
    import uvicorn

    from csenet.api.app import create_app
    from csenet.api.users import add_user
    from csenet.graph.neo4j_local import free_port

    token = add_user(settings, "bench-%d-%s" % (os.getpid(), store.dialect), "investigator")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    headers = {"Authorization": "Bearer " + token, "X-Justification": "OP-BENCH-2026/13"}
    base = "http://127.0.0.1:%d" % port

    def worker(i: int) -> int:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            ok = 0
            for n in range(i, requests, CLIENTS):
                ok += client.get(paths[n % len(paths)]).status_code == 200
            return ok

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        ok = sum(pool.map(worker, range(CLIENTS)))
    took = time.perf_counter() - start
    server.should_exit = True
    thread.join(10)
    if ok != requests:
        raise SystemExit("API answered %d of %d requests with 200" % (ok, requests))
    return requests / took


def run_backend(name: str, store, settings: Settings, bundle: Path, args) -> dict:
    from csenet.analyse import run_analyses
    from csenet.cypher.registry import get_query
    from csenet.loaders.load import load_bundle

    store.drop_graph()
    start = time.perf_counter()
    summary = load_bundle(store, bundle, settings, rejects_path=Path(args.out) / "rejects.csv")
    load_s = time.perf_counter() - start
    rows = summary.rows_read
    start = time.perf_counter()
    run_analyses(store, settings)
    analyses_s = time.perf_counter() - start
    people = [r["p"] for r in store.read(
        "MATCH (p:Person)-[:ASSOCIATED_WITH]-() RETURN DISTINCT p.person_id AS p ORDER BY p LIMIT $n",
        {"n": args.samples})]
    nets = [r["n"] for r in store.read("MATCH (n:Network) RETURN n.network_id AS n ORDER BY n LIMIT $k",
                                       {"k": args.samples})]
    assoc = get_query("person_associates")
    two = timed_reads(store, assoc, [{"person_id": p, "hops": 2} for p in people])
    three = timed_reads(store, assoc, [{"person_id": p, "hops": 3} for p in people])
    detail = timed_reads(store, get_query("network_detail"), [{"network_id": n} for n in nets])
    paths = ["/networks/%s" % n for n in nets[:50]] + ["/persons/%s/associates" % p for p in people[:50]]
    rate = api_rate(store, settings, paths, args.requests)
    return {"store": name, "input_rows": rows, "load_s": round(load_s, 1), "load_rows_per_s": round(rows / load_s),
            "analyses_s": round(analyses_s, 1),
            "person_associates_2hop_ms": {"p50": round(pct(two, .5), 1), "p95": round(pct(two, .95), 1)},
            "person_associates_3hop_ms": {"p50": round(pct(three, .5), 1), "p95": round(pct(three, .95), 1)},
            "network_detail_p95_ms": round(pct(detail, .95), 1), "api_requests_per_s_16_clients": round(rate, 1),
            "samples": {"people": len(people), "networks": len(nets), "requests": args.requests}}


def table(results: list[dict]) -> str:
    rows = [("load (input rows/s)", "load_rows_per_s"), ("load (s)", "load_s"), ("analyses (s)", "analyses_s")]
    lines = ["| | " + " | ".join(r["store"] for r in results) + " |", "|---" * (len(results) + 1) + "|"]
    for label, key in rows:
        lines.append("| %s | %s |" % (label, " | ".join(str(r[key]) for r in results)))
    for hops in (2, 3):
        key = "person_associates_%dhop_ms" % hops
        lines.append("| person_associates %d hops p50 / p95 (ms) | %s |"
                     % (hops, " | ".join("%s / %s" % (r[key]["p50"], r[key]["p95"]) for r in results)))
    lines.append("| network_detail p95 (ms) | %s |" % " | ".join(str(r["network_detail_p95_ms"]) for r in results))
    lines.append("| API requests/s, 16 clients | %s |"
                 % " | ".join(str(r["api_requests_per_s_16_clients"]) for r in results))
    return "\n".join(lines)


def main() -> None:
    from csenet.graph.falkordb_store import FalkorStore
    from csenet.graph.neo4j_local import LocalNeo4j, free_port
    from csenet.graph.neo4j_store import Neo4jStore

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--requests", type=int, default=800)
    ap.add_argument("--heap", default="1g")
    ap.add_argument("--pagecache", default="1g")
    ap.add_argument("--out", default=str(HERE / "out" / "backends"))
    args = ap.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    bundle = bundle_for(args.scale, args.seed)
    base = Settings(data=Path(args.out) / "data", neo4j_heap=args.heap, neo4j_pagecache=args.pagecache)
    results = []
    falkor_settings = base.model_copy(update={"graph_name": "bench_backends"})
    store = FalkorStore.embedded(falkor_settings)
    try:
        results.append(run_backend("FalkorDB (embedded)", store, falkor_settings, bundle, args))
    finally:
        store.drop_graph()
        store.close()
    server = LocalNeo4j.for_settings(base, bolt_port=free_port(), http_port=free_port())
    jvm_s = server.start()
    try:
        url = "bolt://neo4j:%s@127.0.0.1:%d" % (server.password(), server.bolt_port)
        neo_settings = base.model_copy(update={"graph": url, "graph_name": "neo4j"})
        store = Neo4jStore.connect(url, neo_settings)
        try:
            results.append(run_backend("Neo4j 5.26 (local, heap %s, page cache %s)" % (args.heap, args.pagecache),
                                       store, neo_settings, bundle, args))
            store.drop_graph()
        finally:
            store.close()
    finally:
        server.stop()
    machine = {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    print(json.dumps({"scale": args.scale, "seed": args.seed, "machine": machine, "neo4j_jvm_start_s": round(jvm_s, 1),
                      "results": results}, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
