"""python -m synth --scale small --seed 7 --out DIR"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import generate
from .scales import SCALES


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth", description="Write a synthetic force's record bundle and ground truth.")
    ap.add_argument("--scale", choices=list(SCALES), default="small")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        if not args.quiet:
            print(f"\r{stage}: {done}/{total}".ljust(50), end="", file=sys.stderr, flush=True)

    counts = generate(args.out, args.scale, args.seed, progress)
    if not args.quiet:
        print(file=sys.stderr)
        for name, n in counts.items():
            print(f"{name:32s} {n:>10,}")
        print(f"done in {time.perf_counter() - t0:.1f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
