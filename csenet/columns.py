# SPDX-License-Identifier: GPL-3.0-or-later
"""Column operations where pandas' own are slow for csenet's sizes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def isin(column: pd.Series, values: Iterable[Any]) -> pd.Series:
    """`column.isin(values)`. Pandas 3.1 tests an Arrow-backed text column ("str") by
    making an Arrow scalar of every value one by one (5 s for a medium force's 250,000 record
    ids; minutes at large); Arrow's is_in takes the value set whole. Any other column, or
    values that are not all text, go to pandas as before."""
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        if isinstance(values, (set, frozenset, dict)):
            values = list(values)
        try:
            wanted = pa.array(values, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowException, TypeError, ValueError):
            return column.isin(values)
        found = pc.is_in(pa.array(column, type=pa.large_string(), from_pandas=True), value_set=wanted)
        return pd.Series(found.to_numpy(zero_copy_only=False), index=column.index, dtype=bool)
    return column.isin(values)


TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))
"""Pandas 3's default text dtype ("str"): Arrow-backed, missing as NaN."""


def compact_text(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with each object column that holds only text (no None, no list) as TEXT.

    A Python str costs about 50 bytes besides its characters; Arrow keeps the characters and
    an offset, so a large force's validated frames take a third of the memory. A column with
    an unknown (None) stays object: TEXT would read it back as NaN, not None."""
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object and len(col) and pd.api.types.infer_dtype(col, skipna=False) == "string":
            frame[name] = col.astype(TEXT)
    return frame


def none_for_unknown(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as the readers of a graph's rows expect it: an unknown is None. A TEXT column
    with no unknown stays Arrow-backed (compact_text); every other column becomes object."""
    frame = frame.astype({c: object for c in frame.columns if frame[c].dtype != TEXT or frame[c].hasnans})
    return frame.where(frame.notna(), None)
