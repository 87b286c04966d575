"""The first-version resolver: exact rules an investigator can state in one sentence.

Two records are one person when they share a national id, or the same family name,
given names and full date of birth (after normalising case, accents and punctuation).
Kept as the baseline the probabilistic resolver is measured against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .clustering import components, entities, group_edges
from .normalise import date_of_birth, family_name, name_tokens, national_id
from .types import Resolution

MODEL_VERSION = "deterministic-1"


def _norm(series: pd.Series, fn) -> pd.Series:
    codes, uniques = pd.factorize(series)
    mapped = np.array([fn(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[np.where(codes < 0, len(uniques), codes)], dtype=object)  # all-None must still add


def resolve_deterministic(records: pd.DataFrame, previous: dict[str, str] | None = None) -> Resolution:
    """Union of same-national-id and same-name-and-full-date-of-birth groups."""
    n = len(records)
    nid = _norm(records["national_id"], national_id) if "national_id" in records else pd.Series([None] * n)
    fam = _norm(records["family_name"], family_name)
    given = _norm(records.get("given_names", pd.Series([None] * n)), lambda v: " ".join(name_tokens(v)) or None)
    dob = _norm(records.get("date_of_birth", pd.Series([None] * n)), date_of_birth)
    full = dob.where(dob.str.len() == 10)
    name_key = fam + "|" + given + "|" + full
    s1, d1 = group_edges(nid)
    s2, d2 = group_edges(name_key)
    labels = components(n, np.concatenate([s1, s2]), np.concatenate([d1, d2]))
    ent = entities(records["record_id"].reset_index(drop=True), labels, np.ones(n),
                   np.full(n, "deterministic", dtype=object), MODEL_VERSION, previous)
    return Resolution(entities=ent)


# Pairs on normalise.prepare's columns that include every pair this resolver links (its
# own keys normalise the same way), so a day re-resolves only the people they reach.
resolve_deterministic.neighbourhood_rules = [  # type: ignore[attr-defined]
    ("l.nid = r.nid", []),
    ("l.fam = r.fam AND l.given_all = r.given_all AND l.dob = r.dob AND length(l.dob) = 10", []),
]
