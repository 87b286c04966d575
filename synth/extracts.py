# SPDX-License-Identifier: GPL-3.0-or-later
"""A generated force cut into a first extract and the daily extracts that follow it.

Forces send a full extract once and then each day's new incidents, with new records of
people already known and the odd correction. The days hold the newest incidents (by
`reported_at`), so a day's people are mostly already in the graph, as in life.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)  # input: a generated bundle, not an analyst's export


def split_days(whole: Path, out: Path, days: int, per_day: int, new_records: int = 3,
               correct_on_last: bool = True) -> tuple[Path, list[Path]]:
    """Write `out/base` and `out/day-1` … `out/day-N` from the bundle in `whole`.

    Each day holds `per_day` incidents with their involvements and `new_records` new
    records (fresh ids) of that day's victims already in the base; the last day also
    re-sends one base incident flagged CSE with the flag changed to CCE (a correction).
    """
    incidents, involvements = _csv(whole / "incidents.csv"), _csv(whole / "involvements.csv")
    records = _csv(whole / "person_records.csv")
    order = incidents.sort_values(["reported_at", "incident_id"])["incident_id"].tolist()
    held = order[len(order) - days * per_day:]
    base = out / "base"
    shutil.copytree(whole, base, ignore=shutil.ignore_patterns("truth", "rejects.csv"))
    _write(incidents[~incidents["incident_id"].isin(held)], base / "incidents.csv")
    _write(involvements[~involvements["incident_id"].isin(held)], base / "involvements.csv")
    folders = []
    for day in range(days):
        ids = set(held[day * per_day:(day + 1) * per_day])
        folder = out / ("day-%d" % (day + 1))
        folder.mkdir(parents=True)
        shutil.copy(whole / "bundle.yaml", folder / "bundle.yaml")
        todays = incidents[incidents["incident_id"].isin(ids)]
        if correct_on_last and day == days - 1:
            kept = incidents[~incidents["incident_id"].isin(held)]
            fix = kept[kept["flags"].str.contains("CSE")].head(1).copy()
            fix["flags"] = fix["flags"].str.replace("CSE", "CCE")
            todays = pd.concat([todays, fix])
        _write(todays, folder / "incidents.csv")
        inv = involvements[involvements["incident_id"].isin(ids)]
        _write(inv, folder / "involvements.csv")
        victims = inv.loc[inv["role"] == "VICTIM", "record_id"]
        again = records[records["record_id"].isin(victims)].head(new_records).copy()
        again["record_id"] = ["D%d-%d" % (day + 1, n) for n in range(len(again))]
        _write(again, folder / "person_records.csv")
        folders.append(folder)
    return base, folders


def union_of(whole: Path, days: list[Path], out: Path) -> Path:
    """One bundle holding everything the base and the days hold (the days' corrections win)."""
    shutil.copytree(whole, out, ignore=shutil.ignore_patterns("truth", "rejects.csv"))
    incidents = _csv(out / "incidents.csv").set_index("incident_id")
    records = [_csv(out / "person_records.csv")]
    for day in days:
        changed = _csv(day / "incidents.csv").set_index("incident_id")
        incidents.loc[changed.index, "flags"] = changed["flags"]
        records.append(_csv(day / "person_records.csv"))
    _write(incidents.reset_index(), out / "incidents.csv")
    _write(pd.concat(records), out / "person_records.csv")
    return out
