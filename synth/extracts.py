# SPDX-License-Identifier: GPL-3.0-or-later
"""A generated force cut into a first extract and the daily extracts that follow it.

Forces send a full extract once and then each day's new incidents, with new records of
people already known and the odd correction. The days hold the newest incidents (by
`reported_at`), so a day's people are mostly already in the graph, as in life.

A correction re-sends a row the graph already holds, changed (`CHANGES`); `union_of`
builds the one bundle a force would have sent had it waited: every row at its last
version. tests/test_delta_equivalence.py loads generated sequences of days and checks
they end where one load of their union does.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

BUNDLE_FILES = ("incidents", "involvements", "person_records", "associations")
KEYS = {"incidents": ["incident_id"], "person_records": ["record_id"]}
"""Rows re-sent under these keys replace the earlier version; the other files only add rows."""


@dataclass(frozen=True)
class Change:
    """One correction sent on day `day` (0-based); `pick` chooses which row it changes."""

    day: int
    kind: str
    pick: int = 0


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else pd.DataFrame()


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False)  # input: a generated bundle, not an analyst's export


def _chosen(frame: pd.DataFrame, key: str, pick: int, n: int = 1) -> pd.DataFrame:
    """`n` rows of `frame` chosen by `pick`, the same ones for the same bundle and pick."""
    frame = frame.sort_values(key)
    if len(frame) < n:
        raise ValueError("no row for this change in the bundle")
    start = (pick * 7919) % (len(frame) - n + 1)
    return frame.iloc[start:start + n].copy()


def _flag_to_cce(base: dict[str, pd.DataFrame], pick: int) -> dict[str, pd.DataFrame]:
    inc = base["incidents"]
    row = _chosen(inc[inc["flags"].str.contains("CSE")], "incident_id", pick)
    row["flags"] = row["flags"].str.replace("CSE", "CCE")  # flags as the generator writes them: no CCE beside CSE
    return {"incidents": row}


def _flag_cse_added(base: dict[str, pd.DataFrame], pick: int) -> dict[str, pd.DataFrame]:
    inc = base["incidents"]
    row = _chosen(inc[~inc["flags"].str.contains("CSE")], "incident_id", pick)
    row["flags"] = [";".join(filter(None, [f, "CSE"])) for f in row["flags"]]
    return {"incidents": row}


def _flag_cse_removed(base: dict[str, pd.DataFrame], pick: int) -> dict[str, pd.DataFrame]:
    inc = base["incidents"]
    row = _chosen(inc[inc["flags"].str.contains("CSE")], "incident_id", pick)
    row["flags"] = [";".join(f for f in flags.split(";") if f.strip() != "CSE") for flags in row["flags"]]
    return {"incidents": row}


def _dob_corrected(base: dict[str, pd.DataFrame], pick: int) -> dict[str, pd.DataFrame]:
    """A record's date of birth keyed a year out: it may leave its person."""
    rec = base["person_records"]
    row = _chosen(rec[rec["date_of_birth"].str.len() == 10], "record_id", pick)
    row["date_of_birth"] = ["%04d%s" % (int(d[:4]) - 1, d[4:]) if d[5:] != "02-29" else d.replace("-02-29", "-02-28")
                            for d in row["date_of_birth"]]
    return {"person_records": row}


def _national_id_shared(base: dict[str, pd.DataFrame], pick: int) -> dict[str, pd.DataFrame]:
    """A record gains another record's national id: two people may become one."""
    rec = base["person_records"]
    holder = _chosen(rec[rec["national_id"] != ""], "record_id", pick)
    other = _chosen(rec[(rec["national_id"] == "") & (rec["gender"] == holder["gender"].iloc[0])], "record_id",
                    pick + 1)
    other["national_id"] = holder["national_id"].iloc[0]
    return {"person_records": other}


def _national_id_cleared(base: dict[str, pd.DataFrame], pick: int) -> dict[str, pd.DataFrame]:
    """A mistyped national id removed: a person held together by it may split."""
    rec = base["person_records"]
    row = _chosen(rec[rec["national_id"] != ""], "record_id", pick)
    row["national_id"] = ""
    return {"person_records": row}


def _late_suspect(base: dict[str, pd.DataFrame], pick: int) -> dict[str, pd.DataFrame]:
    """A known person named as a further suspect of an old CSE incident: a new co-offender."""
    inc, inv = base["incidents"], base["involvements"]
    incident = _chosen(inc[inc["flags"].str.contains("CSE")], "incident_id", pick)["incident_id"].iloc[0]
    suspects = inv[(inv["role"].isin(["SUSPECT", "OFFENDER"])) & (inv["incident_id"] != incident)]
    there = set(inv.loc[inv["incident_id"] == incident, "record_id"])
    record = _chosen(suspects[~suspects["record_id"].isin(there)], "record_id", pick)["record_id"].iloc[0]
    return {"involvements": pd.DataFrame([{"incident_id": incident, "record_id": record, "role": "SUSPECT"}])}


def _association_recorded(base: dict[str, pd.DataFrame], pick: int) -> dict[str, pd.DataFrame]:
    """Intelligence that two suspects of different incidents know each other."""
    inv = base["involvements"]
    suspects = inv[inv["role"].isin(["SUSPECT", "OFFENDER"])].drop_duplicates("record_id")
    pair = _chosen(suspects, "record_id", pick, n=2)["record_id"].tolist()
    row = {"record_id_a": pair[0], "record_id_b": pair[1], "kind": "ASSOCIATE", "source_ref": "IR/DELTA/%d" % pick,
           "grade": "B2", "recorded_at": "2023-12-01"}
    return {"associations": pd.DataFrame([row])}


CHANGES = {
    "flag_to_cce": _flag_to_cce,
    "flag_cse_added": _flag_cse_added,
    "flag_cse_removed": _flag_cse_removed,
    "dob_corrected": _dob_corrected,
    "national_id_shared": _national_id_shared,
    "national_id_cleared": _national_id_cleared,
    "late_suspect": _late_suspect,
    "association_recorded": _association_recorded,
}
"""Each correction a day may carry: a function of the base extract's rows to the rows re-sent."""


def split_days(whole: Path, out: Path, days: int, per_day: int, new_records: int = 3,
               correct_on_last: bool = True) -> tuple[Path, list[Path]]:
    """Write `out/base` and `out/day-1` … `out/day-N` from the bundle in `whole`.

    Each day holds `per_day` incidents with their involvements and `new_records` new
    records (fresh ids) of that day's victims already in the base; the last day also
    re-sends one base incident flagged CSE with the flag changed to CCE (a correction).
    """
    changes = [Change(days - 1, "flag_to_cce")] if correct_on_last else []
    return cut_days(whole, out, days, per_day, new_records, changes)


def cut_days(whole: Path, out: Path, days: int, per_day: int, new_records: int = 3,
             changes: list[Change] = ()) -> tuple[Path, list[Path]]:
    """`split_days` with any corrections (`CHANGES`), each re-sent on its day."""
    unknown = sorted({c.kind for c in changes} - set(CHANGES))
    if unknown:
        raise ValueError("unknown change %s: choose from %s" % (", ".join(unknown), ", ".join(CHANGES)))
    incidents, involvements = _csv(whole / "incidents.csv"), _csv(whole / "involvements.csv")
    records = _csv(whole / "person_records.csv")
    order = incidents.sort_values(["reported_at", "incident_id"])["incident_id"].tolist()
    held = order[len(order) - days * per_day:]
    base = out / "base"
    shutil.copytree(whole, base, ignore=shutil.ignore_patterns("truth", "rejects.csv"))
    _write(incidents[~incidents["incident_id"].isin(held)], base / "incidents.csv")
    _write(involvements[~involvements["incident_id"].isin(held)], base / "involvements.csv")
    sent = {name: _csv(base / (name + ".csv")) for name in BUNDLE_FILES}
    folders = []
    for day in range(days):
        ids = set(held[day * per_day:(day + 1) * per_day])
        folder = out / ("day-%d" % (day + 1))
        folder.mkdir(parents=True)
        shutil.copy(whole / "bundle.yaml", folder / "bundle.yaml")
        inv = involvements[involvements["incident_id"].isin(ids)]
        victims = inv.loc[inv["role"] == "VICTIM", "record_id"]
        again = records[records["record_id"].isin(victims)].head(new_records).copy()
        again["record_id"] = ["D%d-%d" % (day + 1, n) for n in range(len(again))]
        todays = {"incidents": [incidents[incidents["incident_id"].isin(ids)]], "involvements": [inv],
                  "person_records": [again], "associations": []}
        for change in (c for c in changes if c.day == day):
            for name, rows in CHANGES[change.kind](sent, change.pick).items():
                todays[name].append(rows)
        for name, parts in todays.items():
            if parts:
                frame = _latest(name, pd.concat(parts))
                _write(frame, folder / (name + ".csv"))
                sent[name] = _latest(name, pd.concat([sent[name], frame]))
        folders.append(folder)
    return base, folders


def _latest(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Each row at its last version: by key for keyed files, else each distinct row once."""
    if name in KEYS:
        return frame.drop_duplicates(KEYS[name], keep="last")
    return frame.drop_duplicates(keep="first")


def union_of(whole: Path, days: list[Path], out: Path) -> Path:
    """One bundle holding everything the base and the days hold, each row at its last version.

    The whole bundle's own rows stay as generated (its deliberate errors too); a re-sent
    row replaces its key's rows where they stood, and the days' other rows follow.
    """
    shutil.copytree(whole, out, ignore=shutil.ignore_patterns("truth", "rejects.csv"))
    for name in BUNDLE_FILES:
        frame = _csv(out / (name + ".csv"))
        sent = [d for d in (_csv(day / (name + ".csv")) for day in days) if len(d.columns)]
        if not sent:
            continue
        later = pd.concat(sent)
        if name in KEYS:
            key = KEYS[name][0]
            last = later.drop_duplicates(key, keep="last").set_index(key)
            resent = frame[key].isin(last.index)
            frame = frame.copy()
            frame.loc[resent, list(last.columns)] = last.loc[frame.loc[resent, key], list(last.columns)].to_numpy()
            frame = frame[~(resent & frame.duplicated(key, keep="first"))]
            frame = pd.concat([frame, last[~last.index.isin(frame[key])].reset_index()])
        elif len(frame.columns):
            seen = set(map(tuple, frame[list(later.columns)].to_numpy().tolist()))
            fresh = later.drop_duplicates()
            fresh = fresh[[tuple(r) not in seen for r in fresh.to_numpy().tolist()]]
            frame = pd.concat([frame, fresh])
        else:
            frame = later.drop_duplicates()
        _write(frame, out / (name + ".csv"))
    return out
