"""The shared result type of every resolver, and stable person ids across re-resolution."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

RESOLUTION_COLUMNS = ["record_id", "person_id", "match_probability", "method", "model_version"]


@dataclass
class Resolution:
    """`entities`: one row per record, columns RESOLUTION_COLUMNS.

    `review`: pairs an analyst should look at (weak bridges that were not merged, etc.),
    columns record_id_a, record_id_b, match_probability, reason. May be empty.
    """

    entities: pd.DataFrame
    review: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["record_id_a", "record_id_b", "match_probability", "reason"])
    )


def new_person_id(record_ids: list[str]) -> str:
    """A fresh id from the cluster's smallest record id: deterministic for the same records."""
    digest = hashlib.sha256(min(record_ids).encode("utf-8")).hexdigest()[:12].upper()
    return f"PER-{digest}"


def stable_person_ids(clusters: dict[object, list[str]], previous: dict[str, str] | None) -> dict[object, str]:
    """Name each cluster, keeping the id an existing person had where the people did not change.

    A cluster keeps the previous person id held by most of its records (ties: smallest id),
    as long as no larger share of that person went to another cluster; otherwise it gets a
    fresh id. `previous` maps record_id -> person_id from the graph before this resolution.
    """
    previous = previous or {}
    votes: list[tuple[int, str, object]] = []
    for key, records in clusters.items():
        counts: dict[str, int] = {}
        for r in records:
            pid = previous.get(r)
            if pid is not None:
                counts[pid] = counts.get(pid, 0) + 1
        for pid, n in counts.items():
            votes.append((n, pid, key))
    names: dict[object, str] = {}
    taken: set[str] = set()
    for n, pid, key in sorted(votes, key=lambda v: (-v[0], v[1], str(v[2]))):
        if key in names or pid in taken:
            continue
        names[key] = pid
        taken.add(pid)
    for key, records in clusters.items():
        if key not in names:
            candidate = new_person_id(records)
            while candidate in taken:
                candidate = new_person_id([candidate + min(records)])
            names[key] = candidate
            taken.add(candidate)
    return names
