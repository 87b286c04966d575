"""Reading person_records.csv as UTF-8 vs transcoding it from cp1252 first (issue 17): prints JSON.

    .venv/bin/python bench/encoding.py --rows 200000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from csenet.loaders.read import read_file
from csenet.loaders.spec import BY_NAME

ROW = "P-{i},RMS,Ó Súilleabháin,Siobhán Zoë,1990-04-13,F,WB1 2CD,12 Élan Row,07700 900111,\n"
HEADER = "record_id,source,family_name,given_names,date_of_birth,gender,postcode,address,phone,national_id\n"


def best(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    spec = BY_NAME["person_records"]
    with tempfile.TemporaryDirectory() as tmp:
        text = HEADER + "".join(ROW.format(i=i) for i in range(args.rows))
        utf8, cp = Path(tmp) / "u" / "person_records.csv", Path(tmp) / "c" / "person_records.csv"
        for path, enc in ((utf8, "utf-8"), (cp, "cp1252")):
            path.parent.mkdir()
            path.write_text(text, encoding=enc)
        scratch = Path(tmp) / "s"
        scratch.mkdir()
        out = {
            "rows": args.rows, "mb": round(utf8.stat().st_size / 1e6, 1),
            "read_utf8_s": round(best(lambda: read_file(spec, utf8)), 3),
            "read_cp1252_transcoded_s": round(best(lambda: read_file(spec, cp, "cp1252", scratch)), 3),
            "machine": "%d cores" % os.cpu_count(),
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
