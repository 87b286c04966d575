"""A minimal person_records.csv reader for benchmarks and tests (the loader does the real job)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .normalise import date_of_birth

COLUMNS = ["record_id", "source", "family_name", "given_names", "date_of_birth", "gender",
           "postcode", "address", "phones", "national_id"]


def read_person_records(path: Path) -> pd.DataFrame:
    """The records frame `resolve` expects: ISO/partial dates or None, phones as lists."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    frame.columns = [c.strip().lower() for c in frame.columns]
    frame = frame.rename(columns={"phone": "phones"})
    for col in COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame = frame[COLUMNS].astype(object).where(frame[COLUMNS].notna(), None)
    codes, uniques = pd.factorize(frame["date_of_birth"])
    dobs = pd.Series([date_of_birth(u) for u in uniques] + [None], dtype=object)
    frame["date_of_birth"] = dobs.iloc[[c if c >= 0 else len(uniques) for c in codes]].values
    frame["phones"] = [[p.strip() for p in v.split(";") if p.strip()] if v else [] for v in frame["phones"]]
    return frame
