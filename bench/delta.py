"""Daily extracts after a first load: what each delta costs end to end, and where the time goes.

    python bench/delta.py [--scale large] [--days 5] [--per-day-share 0.001] [--resolver splink|deterministic]

1. generate the force (cached under bench/out/) and cut it (synth/extracts.py) into a base
extract and N days of the newest incidents, each day with three new records of people
already known and the last day with one correction (a CSE flag changed to CCE);
2. load the base with its analyses; 3. load each day with its analyses (validate, resolve,
load, flag audit of touched incidents, network detection), timing each stage;
4. check the end state: a full re-analysis of the same graph changes no verdict, and its whole
network detection finds nothing to delete or write (no link, network, member, bridge or score).
One JSON per run in bench/out/, printed too.
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

from bench.load import bundle_for  # noqa: E402
from csenet.analyse import run_analyses  # noqa: E402
from csenet.graph.falkordb_store import FalkorStore  # noqa: E402
from csenet.pipeline import load_and_analyse  # noqa: E402
from csenet.settings import Settings  # noqa: E402
from csenet.synth.extracts import split_days  # noqa: E402

AUDIT = ("MATCH (i:Incident) WHERE i.incident_id > $after WITH i ORDER BY i.incident_id LIMIT $page "
         "RETURN i.incident_id AS incident_id, i.cse_verdict AS verdict, i.audit_reasons AS reasons")
NETWORKS = "MATCH (n:Network) RETURN n.network_id AS id, n.incident_ids AS incidents ORDER BY id"


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def state(store) -> tuple[list, list]:
    from csenet.graph.store import read_paged

    return list(read_paged(store, AUDIT, "incident_id")), store.read(NETWORKS)


def resolution_differences(store, settings, resolver) -> int:
    """Records whose person differs from resolving every record at once (with the model the
    days used): 0 when the days' neighbourhoods were exact."""
    from csenet.loaders.load import existing_records, merge_records
    from csenet.resolution import model_store
    from csenet.resolution.splink_resolver import resolve

    existing = existing_records(store, settings.result_limit)
    graph = dict(zip(existing["record_id"], existing["person_id"]))
    previous = {r: p for r, p in graph.items() if isinstance(p, str)}
    if resolver is None:
        model, threshold = model_store.load(settings.models_path())
        out = resolve(merge_records(existing, None), previous, model=model, threshold=threshold).entities
    else:
        out = resolver(merge_records(existing, None), previous).entities
    return int(sum(graph.get(r) != p for r, p in zip(out["record_id"], out["person_id"])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--per-day-share", type=float, default=0.001, help="new incidents per day, share of the force")
    parser.add_argument("--resolver", default="splink", choices=["splink", "deterministic"])
    parser.add_argument("--data", default=str(HERE / "out" / "db-delta"))
    args = parser.parse_args()

    whole = bundle_for(args.scale, args.seed)
    cut = HERE / "out" / ("delta-%s-%d" % (args.scale, args.seed))
    shutil.rmtree(cut, ignore_errors=True)
    incidents = sum(1 for _ in open(whole / "incidents.csv", encoding="utf-8")) - 1
    per_day = max(1, int(round(incidents * args.per_day_share)))
    base, days = split_days(whole, cut, days=args.days, per_day=per_day)

    settings = Settings(data=Path(args.data), graph_name="bench_delta", memory_limit_mb=16_384)
    resolver = None
    if args.resolver == "deterministic":
        from csenet.resolution.deterministic import resolve_deterministic
        resolver = resolve_deterministic
    store = FalkorStore.embedded(settings)
    runs = []
    try:
        store.drop_graph()
        for folder in [base, *days]:
            start = time.perf_counter()
            summary = load_and_analyse(store, folder, settings, resolver=resolver,
                                       rejects_path=cut / (folder.name + "-rejects.csv"))
            total = time.perf_counter() - start
            runs.append({"extract": folder.name, "rows_read": summary.rows_read, "total_s": round(total, 1),
                         "stages_s": {k: round(v, 1) for k, v in summary.timings.items()},
                         "touched_incidents": len(summary.touched_incidents),
                         "persons_changed": summary.persons_changed, "incremental_resolution": summary.incremental,
                         "records_resolved": summary.resolved_records, "records_total": summary.records_total,
                         "analyses": summary.analyses})
            print(json.dumps(runs[-1]), flush=True)
        start = time.perf_counter()
        people_differ = resolution_differences(store, settings, resolver)
        resolve_all_s = time.perf_counter() - start
        before = state(store)
        start = time.perf_counter()
        full = run_analyses(store, settings)
        full_s = time.perf_counter() - start
        after = state(store)
        verdicts_before = {r["incident_id"]: r for r in before[0]}
        differ = [(verdicts_before.get(r["incident_id"]), r) for r in after[0] if verdicts_before.get(r["incident_id"]) != r]
        nets_before = {r["id"]: r["incidents"] for r in before[1]}
        nets_after = {r["id"]: r["incidents"] for r in after[1]}
        net_differ = sorted(k for k in set(nets_before) | set(nets_after) if nets_before.get(k) != nets_after.get(k))
    finally:
        store.drop_graph()
        store.close()
    deltas = [r["total_s"] for r in runs[1:]]
    result = {
        "scale": args.scale, "seed": args.seed, "resolver": args.resolver,
        "machine": "%s, %d cores, Python %s, load average %s" % (
            platform.machine(), os.cpu_count(), platform.python_version(),
            " ".join("%.1f" % x for x in os.getloadavg())),
        "incidents": incidents, "per_day": per_day, "runs": runs,
        "delta_s_max": max(deltas) if deltas else None, "full_reanalysis_s": round(full_s, 1),
        # A whole detection after the days (each detected around what it touched) must
        # find nothing to change: no link, network, member, bridge or score.
        "full_reanalysis_network_changes": full.get("network changes"),
        "delta_equals_full_reanalysis": not differ and not net_differ
        and full.get("network changes") == "0 elements deleted, 0 written",
        "records_whose_person_differs_from_resolving_all_at_once": people_differ,
        "resolve_all_at_once_s": round(resolve_all_s, 1),
        "differences": {"verdicts": len(differ), "networks": len(net_differ), "verdict_examples": differ[:3],
                        "network_examples": net_differ[:5]}, "peak_rss_python_mb": round(peak_rss_mb()),
        "targets": {"delta_s_max": 60},
    }
    out = HERE / "out" / ("delta-%s-%d.json" % (args.scale, int(time.time())))
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
