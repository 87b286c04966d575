"""Benchmark person resolution on a synthetic force: pairwise precision / recall and time.

    .venv/bin/python bench/resolution.py [--scale medium|large] [--seed 7] [--held-out 11] [--threshold 0.95]

Generates the bundles with `synth.generate` (cached under bench/out/), runs the
deterministic and the Splink resolver on each person_records.csv and scores both
against truth/persons.csv. Seed 7 is the development set the model and rules were
tuned on; the held-out seed (11 by default) is only scored, never tuned on. Both
are printed side by side in one run, then one JSON line per result. Pairs are
counted from the cluster contingency table, so scoring 2.5 million records never
enumerates record pairs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from csenet.resolution.deterministic import resolve_deterministic  # noqa: E402
from csenet.resolution.records import read_person_records  # noqa: E402
from csenet.resolution.splink_resolver import resolve  # noqa: E402


def _pairs(sizes: np.ndarray) -> int:
    sizes = sizes.astype(np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(entities: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Precision, recall and F1 over record pairs, from cluster sizes and their overlap."""
    joined = entities[["record_id", "person_id"]].merge(truth, on="record_id", how="inner")
    both = joined.groupby(["person_id", "true_person_id"]).size().to_numpy()
    predicted = joined.groupby("person_id").size().to_numpy()
    actual = joined.groupby("true_person_id").size().to_numpy()
    tp, pp, ap = _pairs(both), _pairs(predicted), _pairs(actual)
    precision = tp / pp if pp else 1.0
    recall = tp / ap if ap else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": ap, "predicted_pairs": pp}


def bundle(scale: str, seed: int, fallback: bool = False) -> Path:
    """The cached bundle for (scale, seed), generating it first if needed."""
    if fallback:
        from bench._fallback_people import generate
    else:
        from csenet.synth import generate
    out = ROOT / "bench" / "out" / f"{scale}-{seed}{'-fallback' if fallback else ''}"
    if (out / "person_records.csv").exists() and (out / "truth" / "persons.csv").exists():
        return out
    t = time.perf_counter()
    generate(out, scale=scale, seed=seed)
    print(f"generated {scale} bundle in {time.perf_counter() - t:.1f}s -> {out}")
    return out


def read_records(folder: Path) -> pd.DataFrame:
    return read_person_records(folder / "person_records.csv")


def run_one(scale: str, seed: int, role: str, args) -> list[dict]:
    """Score both resolvers on one bundle; one result row per resolver."""
    folder = bundle(scale, seed, args.fallback)
    t = time.perf_counter()
    records = read_records(folder)
    truth = pd.read_csv(folder / "truth" / "persons.csv", dtype=str)[["record_id", "true_person_id"]]
    print(f"{scale} seed {seed} ({role}): {len(records):,} records, {truth.true_person_id.nunique():,} true people "
          f"(read in {time.perf_counter() - t:.1f}s)")
    runs = {
        "deterministic": lambda: resolve_deterministic(records),
        "splink": lambda: resolve(records, threshold=args.threshold,
                                  progress=(lambda m: print("   ", m)) if args.verbose else None),
    }
    rows = []
    for name, run in runs.items():
        if args.only and name != args.only:
            continue
        t = time.perf_counter()
        res = run()
        seconds = time.perf_counter() - t
        s = pairwise_scores(res.entities, truth)
        rows.append({"set": role, "scale": scale, "seed": seed, "resolver": name, "records": len(records),
                     "precision": round(s["precision"], 4), "recall": round(s["recall"], 4), "f1": round(s["f1"], 4),
                     "people": int(res.entities.person_id.nunique()), "review": len(res.review),
                     "seconds": round(seconds, 1), "machine": f"{os.cpu_count()} cores"})
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    ap.add_argument("--seed", type=int, default=7, help="development seed (tuned on)")
    ap.add_argument("--held-out", type=int, default=11, help="held-out seed (never tuned on); -1 to skip")
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--only", choices=["deterministic", "splink"])
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--fallback", action="store_true",
                    help="use the stand-in person generator in bench/_fallback_people.py instead of synth")
    args = ap.parse_args(argv)

    rows = run_one(args.scale, args.seed, "development", args)
    if args.held_out >= 0 and args.held_out != args.seed:
        rows += run_one(args.scale, args.held_out, "held-out", args)
    print(f"{'set':<13}{'seed':>5} {'resolver':<14}{'precision':>10}{'recall':>9}{'F1':>8}{'people':>10}"
          f"{'review':>9}{'seconds':>9}")
    for r in rows:
        print(f"{r['set']:<13}{r['seed']:>5} {r['resolver']:<14}{r['precision']:>10.4f}{r['recall']:>9.4f}"
              f"{r['f1']:>8.4f}{r['people']:>10,}{r['review']:>9,}{r['seconds']:>9.1f}")
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
