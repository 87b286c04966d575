"""Column tables that generators fill either row by row (planted cases) or a block
at a time (background crime), and that are concatenated once at the end."""

from __future__ import annotations

import numpy as np

_DEFAULTS = {"i8": -1, "f8": np.nan, "b": False, "O": ""}


class Table:
    def __init__(self, **dtypes: str) -> None:
        self.dtypes = dtypes
        self._chunks: list[dict[str, np.ndarray]] = []
        self._rows: dict[str, list] = {k: [] for k in dtypes}
        self.n = 0

    def append(self, **row) -> int:
        for k in self.dtypes:
            self._rows[k].append(row.get(k, _DEFAULTS[self.dtypes[k]]))
        unknown = set(row) - set(self.dtypes)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}")
        self.n += 1
        return self.n - 1

    def extend(self, **cols) -> np.ndarray:
        self._flush()
        length = len(next(iter(cols.values())))
        chunk = {}
        for k, dt in self.dtypes.items():
            if k in cols:
                chunk[k] = np.asarray(cols[k], dtype=dt)
            else:
                chunk[k] = np.full(length, _DEFAULTS[dt], dtype=dt)
        self._chunks.append(chunk)
        start = self.n
        self.n += length
        return np.arange(start, self.n)

    def _flush(self) -> None:
        if self._rows[next(iter(self.dtypes))]:
            self._chunks.append({k: np.asarray(v, dtype=self.dtypes[k]) for k, v in self._rows.items()})
            self._rows = {k: [] for k in self.dtypes}

    def columns(self) -> dict[str, np.ndarray]:
        """All rows so far, as one array per column (cheap to call repeatedly)."""
        self._flush()
        if len(self._chunks) != 1:
            if not self._chunks:
                return {k: np.empty(0, dtype=dt) for k, dt in self.dtypes.items()}
            self._chunks = [{k: np.concatenate([c[k] for c in self._chunks]) for k in self.dtypes}]
        return self._chunks[0]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.columns()[key]

    def set(self, key: str, values: np.ndarray) -> None:
        self.columns()[key] = np.asarray(values, dtype=self.dtypes[key])

    def __len__(self) -> int:
        return self.n
