# SPDX-License-Identifier: GPL-3.0-or-later
"""A source fact statement's parameter rows, built from its frame: by the MERGE path a
batch at a time (FrameRows), by the bulk paths as the frame's columns (loaders/bulk.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd


def frame_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python dicts, NaN/NA as None (what the parameter encoder accepts).

    Column-wise `tolist()` gives native Python values far faster than `to_dict`.
    """
    names = list(frame.columns)
    columns = []
    for name in names:
        col = frame[name]
        values = col.tolist()
        if col.hasnans:
            missing = col.isna().tolist()
            values = [None if m else v for v, m in zip(values, missing)]
        columns.append(values)
    return [dict(zip(names, row)) for row in zip(*columns)]


def referenced(associations: pd.DataFrame) -> pd.DataFrame:
    """Recorded associations with their merge key whole: an association merges on its
    source reference, and one without a reference on the empty text (a key cannot be null)."""
    return associations.assign(source_ref=associations["source_ref"].where(associations["source_ref"].notna(), ""))


NOT_PROPERTIES = ("_line", "source_row", "source")
"""Columns of a node's frame that are not its properties (its key is not either)."""


def empty_value(column: str, value: Any) -> bool:
    """A value a node does not keep: unknown, or an empty list (an empty `flags` says no flag)."""
    return value is None or (isinstance(value, list) and not value and column != "flags")


def node_rows(frame: pd.DataFrame, key: str, clear: Iterable[str] = ()) -> list[dict]:
    """`{key, source, source_row, props}` per row; unknown values left out of props, except
    in `clear`, where they are null, so a re-sent row removes what it no longer says."""
    clear = set(clear)
    props_cols = [c for c in frame.columns if c != key and c not in NOT_PROPERTIES]
    keys, sources, rows_ = frame[key].tolist(), frame["source"].tolist(), frame["source_row"].tolist()
    out = []
    for k, src, sr, rec in zip(keys, sources, rows_, frame_records(frame[props_cols])):
        props = {}
        for c, v in rec.items():
            if not empty_value(c, v):
                props[c] = v
            elif c in clear:
                props[c] = None
        out.append({"key": k, "source": src, "source_row": sr, "props": props})
    return out


def rel_rows(frame: pd.DataFrame, keys: list[str], props: Iterable[str] = ()) -> list[dict]:
    props = [p for p in props if p in frame.columns]
    base = frame_records(frame[keys + ["source", "source_row"]])
    if not props:
        for row in base:
            row["props"] = {}
        return base
    for row, extra in zip(base, frame_records(frame[props])):
        row["props"] = {k: v for k, v in extra.items() if v is not None}
    return base


class FrameRows(Sequence):
    """A step's statement rows, built a batch at a time from its frame: a large bundle never
    holds a step's millions of parameter dicts at once (write_batches slices its rows)."""

    def __init__(self, frame: pd.DataFrame, build: Callable[[pd.DataFrame], list[dict]],
                 fold: Sequence[str] = ()):
        self.frame, self.build, self.fold = frame, build, list(fold)

    def rounds(self) -> list[FrameRows]:
        """The rows in rounds, a key's n-th row (`fold`: the columns a MERGE matches on) in
        round n, for rounds written one after another: FalkorDB applies one statement's rows
        of a repeated key out of file order, and batches in flight at once race, so a later
        row of a key (a correction) could lose to an earlier one."""
        if not self.fold or not self.frame.duplicated(self.fold).any():
            return [self]
        nth = self.frame.groupby(self.fold, sort=False, dropna=False).cumcount().to_numpy()
        return [FrameRows(self.frame[nth == n], self.build) for n in range(int(nth.max()) + 1)]

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, index):
        part = self.frame.iloc[index if isinstance(index, slice) else slice(index, index + 1)]
        rows = self.build(part)
        return rows if isinstance(index, slice) else rows[0]


class NodeRows(FrameRows):
    """node_rows of a frame; its key and cleared columns kept for a bulk path that reads
    the frame's columns instead (loaders/bulk.py)."""

    def __init__(self, frame: pd.DataFrame, key: str, clear: Iterable[str] = ()):
        self.key, self.clear = key, tuple(clear)
        super().__init__(frame, lambda part: node_rows(part, key, clear=self.clear), fold=[key])


class RelRows(FrameRows):
    """rel_rows of a frame, its key columns and properties kept as NodeRows keeps them."""

    def __init__(self, frame: pd.DataFrame, keys: list[str], props: Iterable[str] = ()):
        self.keys, self.props = list(keys), [p for p in props if p in frame.columns]
        super().__init__(frame, lambda part: rel_rows(part, self.keys, self.props), fold=self.keys)
