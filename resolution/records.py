"""A minimal person_records.csv reader for benchmarks and tests (the loader does the real job)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from .normalise import date_of_birth

COLUMNS = ["record_id", "source", "family_name", "given_names", "date_of_birth", "date_of_birth_raw", "gender",
           "postcode", "address", "phones", "national_id"]


def _real_date(value: str) -> tuple[str | None, str | None]:
    """(valid date, None) or, as the loader keeps it, (None, the raw value) when it is not a date."""
    parsed = date_of_birth(value)
    if parsed is not None and parsed == value.strip():
        if len(parsed) < 10:
            return parsed, None
        try:
            date.fromisoformat(parsed)
            return parsed, None
        except ValueError:
            pass
    return None, value


def read_person_records(path: Path) -> pd.DataFrame:
    """The records frame `resolve` expects, as the loader builds it: real (or partial) dates
    of birth, an impossible one moved to `date_of_birth_raw`, phones as lists."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    frame.columns = [c.strip().lower() for c in frame.columns]
    frame = frame.rename(columns={"phone": "phones"})
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame = frame[COLUMNS].astype(object).where(frame[COLUMNS].notna(), None)
    codes, uniques = pd.factorize(frame["date_of_birth"])
    parsed = [_real_date(u) for u in uniques] + [(None, None)]
    picked = [parsed[c if c >= 0 else len(uniques)] for c in codes]
    frame["date_of_birth"] = pd.Series([v for v, _ in picked], index=frame.index, dtype=object)
    frame["date_of_birth_raw"] = pd.Series([r for _, r in picked], index=frame.index, dtype=object)
    frame["phones"] = [[p.strip() for p in v.split(";") if p.strip()] if v else [] for v in frame["phones"]]
    return frame
