"""How big each scale is. Planted structures scale with the incident count but never
fall below a floor, so even the small force has every kind of network."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scale:
    name: str
    incidents: int
    districts: int

    def count(self, per_incident: float, floor: int) -> int:
        return max(floor, int(round(self.incidents * per_incident)))

    @property
    def networks_per_kind(self) -> int:
        return self.count(0.0006, 3)

    @property
    def lone_offenders(self) -> int:
        return self.count(0.004, 8)

    @property
    def intrafamilial(self) -> int:
        return self.count(0.003, 6)

    @property
    def county_lines(self) -> int:
        return self.count(0.0008, 3)

    @property
    def csa_other(self) -> int:
        return self.count(0.002, 8)

    @property
    def adult_gifts(self) -> int:
        return self.count(0.002, 8)

    @property
    def bad_rows_per_kind(self) -> int:
        return max(1, self.incidents // 20_000)


SCALES = {
    "small": Scale("small", 1_000, 6),
    "batch": Scale("batch", 20_000, 8),  # bench/batch_size.py: a load long enough to time, short enough to repeat
    "medium": Scale("medium", 100_000, 12),
    "large": Scale("large", 1_000_000, 24),
}


def get(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}: choose one of {', '.join(SCALES)}") from None


# The period the force's records cover, as days since 1970-01-01.
def day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


START = day("2019-01-01")
END = day("2023-12-31")
REFERENCE = day("2021-07-01")
EXTRACTED_AT = "2024-01-31"
YEAR = 365.2425
