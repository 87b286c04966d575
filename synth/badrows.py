"""A few deliberately broken rows, as real exports have, so a loader can prove it
rejects or warns on each one and loses nothing else. Every one is listed in
truth/expected_rejects.csv (rejected rows) or truth/expected_warnings.csv (rows that
load with one value unknown)."""

from __future__ import annotations

import numpy as np

BAD_REPORTED = ["31/13/2021 25:61", "unknown", "2021-02-30T10:00", "TBC", "20211305", "yesterday evening"]
BAD_ROLES = ["INFORMANT", "SUSPCT", "APPROPRIATE ADULT", "VICTIM/SUSPECT", "PERSON OF INTEREST"]
BAD_STARTS = ["not known", "2022-13-01T09:00", "??", "32/01/2022"]


def _row(frame: dict[str, np.ndarray], i: int) -> dict[str, str]:
    return {k: v[i] for k, v in frame.items()}


def _n(frame: dict[str, np.ndarray]) -> int:
    return len(next(iter(frame.values())))


def inject(bundle: dict[str, dict], per_kind: int, rng: np.random.Generator,
           invalid_dob_records: np.ndarray) -> tuple[dict, dict]:
    """Insert the bad rows in place; returns (expected_rejects, expected_warnings)."""
    pending: dict[str, list[tuple[dict, str, str]]] = {}

    def add(file: str, row: dict, key: str, reason: str) -> None:
        pending.setdefault(file, []).append((row, key, reason))

    inc = bundle["incidents.csv"]
    inv = bundle["involvements.csv"]
    people = bundle["person_records.csv"]
    assoc = bundle["associations.csv"]
    ident = bundle["identifiers.csv"]
    miss = bundle["missing_episodes.csv"]
    ocg = bundle["ocg_members.csv"]
    for j in range(per_kind):
        year = 2019 + int(rng.integers(5))
        iid = f"CR-{year}-{900001 + j}"
        raw = BAD_REPORTED[j % len(BAD_REPORTED)]
        add("incidents.csv", {"incident_id": iid, "reported_at": raw, "offence": "Incident - details to follow",
                              "summary": "Record created in error; details to follow."},
            iid, f'reported_at "{raw}" is not a date')
        real = _row(inv, int(rng.integers(_n(inv))))
        ghost = f"P-{j + 1:04d}"
        add("involvements.csv", {"incident_id": real["incident_id"], "record_id": ghost, "role": "WITNESS"},
            f"{real['incident_id']}|{ghost}|WITNESS", f'record_id "{ghost}" not in person_records.csv')
        real = _row(inv, int(rng.integers(_n(inv))))
        role = BAD_ROLES[j % len(BAD_ROLES)]
        add("involvements.csv", {"incident_id": real["incident_id"], "record_id": real["record_id"], "role": role},
            f"{real['incident_id']}|{real['record_id']}|{role}", f'role "{role}" is not a known role')
        rid = f"P-{9_000_001 + j}"
        add("person_records.csv", {"record_id": rid, "source": "INTEL", "given_names": "Unknown", "gender": "M"},
            rid, "family_name is missing")
        if _n(assoc):
            real = _row(assoc, int(rng.integers(_n(assoc))))
            ghost = f"P-{j + 501:04d}"
            add("associations.csv", {"record_id_a": real["record_id_a"], "record_id_b": ghost, "kind": "ASSOCIATE",
                                     "source_ref": f"IR/2022/9{j:05d}", "grade": "C3", "recorded_at": "2022-06-01"},
                f"{real['record_id_a']}|{ghost}|ASSOCIATE", f'record_id_b "{ghost}" not in person_records.csv')
        if _n(miss):
            real = _row(miss, int(rng.integers(_n(miss))))
            raw = BAD_STARTS[j % len(BAD_STARTS)]
            add("missing_episodes.csv", {"record_id": real["record_id"], "started_at": raw},
                f"{real['record_id']}|{raw}", f'started_at "{raw}" is not a date')
        if _n(ident):
            real = _row(ident, int(rng.integers(_n(ident))))
            add("identifiers.csv", {"record_id": real["record_id"], "kind": "PHONE", "value": "",
                                    "recorded_at": "2021-03-03"},
                f"{real['record_id']}|PHONE|", "value is missing")
        if _n(ocg):
            real = _row(ocg, int(rng.integers(_n(ocg))))
            ghost = f"P-{j + 801:04d}"
            add("ocg_members.csv", {"ocg_id": real["ocg_id"], "ocg_name": real["ocg_name"], "record_id": ghost,
                                    "primary_crime": real["primary_crime"], "mapped_at": "2021-01-01"},
                f"{real['ocg_id']}|{ghost}", f'record_id "{ghost}" not in person_records.csv')

    rejects = []
    for file, rows in pending.items():
        frame = bundle[file]
        n = _n(frame)
        pos = np.sort(rng.choice(n + len(rows), len(rows), replace=False))
        keep = np.setdiff1d(np.arange(n + len(rows)), pos)
        for col in list(frame):
            arr = np.empty(n + len(rows), dtype=object)
            arr[keep] = frame[col]
            arr[pos] = [r.get(col, "") for r, _, _ in rows]
            frame[col] = arr
        for p, (_, key, reason) in zip(pos, rows):
            rejects.append((file, int(p) + 2, key, reason))

    people = bundle["person_records.csv"]
    invalid = set(invalid_dob_records.tolist())
    bad_dob = np.fromiter((r in invalid for r in people["record_id"]), dtype=bool, count=_n(people))
    lines = np.flatnonzero(bad_dob) + 2
    warnings = {"file": np.full(len(lines), "person_records.csv", dtype=object), "line": lines.astype(str).astype(object),
                "key": people["record_id"][bad_dob],
                "reason": np.array([f'date_of_birth "{d}" is not a valid date' for d in people["date_of_birth"][bad_dob]],
                                   dtype=object)}
    rejects.sort(key=lambda r: (r[0], r[1]))
    cols = list(zip(*rejects)) if rejects else [(), (), (), ()]
    rejects_frame = {"file": np.array(cols[0], dtype=object), "line": np.array([str(x) for x in cols[1]], dtype=object),
                     "key": np.array(cols[2], dtype=object), "reason": np.array(cols[3], dtype=object)}
    return rejects_frame, warnings
