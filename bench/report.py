# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark the problem profile: how long `csenet report` takes on a loaded force.

    .venv/bin/python -m bench.report --scale medium --seed 7 [--out bench/out/report] [--pdf]

Generates the force and loads it (with its analyses) into a private embedded FalkorDB
the first time, reusing both afterwards; then builds the report --repeat times and
writes it, printing JSON: each stage's seconds, the document's size, and the machine.
Target: the report for medium written in under 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from csenet.graph.open import open_store  # noqa: E402
from csenet.report import ReportOptions, build_report, write_report  # noqa: E402

from csenet.settings import Settings  # noqa: E402

TARGET_S = 30.0


def ensure_loaded(store, settings: Settings, bundle: Path, scale: str, seed: int, out: Path) -> dict:
    """Generate and load once; a graph that already holds a load is reused."""
    if store.read("MATCH (l:Load) RETURN count(l) AS n")[0]["n"]:
        return {"reused_graph": True}
    if not (bundle / "incidents.csv").exists() and not (bundle / "incidents.csv.gz").exists():
        from csenet.synth import generate

        generate(bundle, scale=scale, seed=seed)
    from csenet.pipeline import load_and_analyse

    start = time.perf_counter()
    load_and_analyse(store, bundle, settings, rejects_path=out / "rejects.csv")
    return {"reused_graph": False, "load_s": round(time.perf_counter() - start, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "report")
    ap.add_argument("--repeat", type=int, default=2, help="report builds (the first on a cold server)")
    ap.add_argument("--pdf", action="store_true", help="also time the PDF")
    args = ap.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    bundle = out / ("bundle-%s-%d" % (args.scale, args.seed))
    settings = Settings(data=out / "db", graph_name="bench_report_%s_%d" % (args.scale, args.seed),
                        startup_timeout_s=900, pseudonym_key_file=out / "pseudonym.key")
    store = open_store(settings)
    try:
        result: dict = {"scale": args.scale, "seed": args.seed, "machine": {"cores": len(os.sched_getaffinity(0))},
                        **ensure_loaded(store, settings, bundle, args.scale, args.seed, out), "runs": []}
        for i in range(args.repeat):
            start = time.perf_counter()
            report = build_report(store, settings, ReportOptions.build())
            html = write_report(report, out / "profile.html")
            run = {"total_s": round(time.perf_counter() - start, 2),
                   **{k + "_s": round(v, 2) for k, v in report.timings.items()},
                   "html_bytes": html.stat().st_size, "networks": len(report.data["networks"]["rows"])}
            if args.pdf and i == args.repeat - 1:
                start = time.perf_counter()
                pdf = write_report(report, out / "profile.pdf", "pdf")
                run.update(pdf_s=round(time.perf_counter() - start, 2), pdf_bytes=pdf.stat().st_size)
            result["runs"].append(run)
    finally:
        store.close()
    result["target_s"] = TARGET_S
    result["within_target"] = all(r["total_s"] < TARGET_S for r in result["runs"])
    print(json.dumps(result, indent=2))
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
