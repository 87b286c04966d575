"""Column tables that generators fill either row by row (planted cases) or a block
at a time (background crime). Buffers grow by doubling, so appending stays cheap and
reading a column never copies it."""

from __future__ import annotations

import numpy as np

_DEFAULTS = {"i8": -1, "f8": np.nan, "?": False, "O": ""}


class Table:
    def __init__(self, **dtypes: str) -> None:
        self.dtypes = dtypes
        self.n = 0
        self._cap = 0
        self._buf: dict[str, np.ndarray] = {k: np.empty(0, dtype=dt) for k, dt in dtypes.items()}

    def _reserve(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = max(need, 2 * self._cap, 1024)
        for k, dt in self.dtypes.items():
            new = np.full(cap, _DEFAULTS[dt], dtype=dt)
            new[: self.n] = self._buf[k][: self.n]
            self._buf[k] = new
        self._cap = cap

    def append(self, **row) -> int:
        unknown = set(row) - set(self.dtypes)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}")
        self._reserve(self.n + 1)
        i = self.n
        for k, v in row.items():
            self._buf[k][i] = v
        self.n += 1
        return i

    def extend(self, **cols) -> np.ndarray:
        length = len(next(iter(cols.values())))
        self._reserve(self.n + length)
        for k, v in cols.items():
            self._buf[k][self.n : self.n + length] = np.asarray(v, dtype=self.dtypes[k])
        start = self.n
        self.n += length
        return np.arange(start, self.n)

    def columns(self) -> dict[str, np.ndarray]:
        return {k: b[: self.n] for k, b in self._buf.items()}

    def __getitem__(self, key: str) -> np.ndarray:
        return self._buf[key][: self.n]

    def set(self, key: str, values: np.ndarray) -> None:
        self._buf[key][: self.n] = values

    def __len__(self) -> int:
        return self.n
