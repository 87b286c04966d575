# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's evaluation sets stay apart: held-out text is in no development set, no exemplar."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from csenet.audit.semantic import load_exemplars

DATA = Path(__file__).resolve().parent / "data" / "audit_eval"
SETS = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "heldout")


def sentences(texts) -> set[str]:
    out = set()
    for t in texts:
        for s in re.split(r"[.!?\n]+", str(t).lower()):
            s = " ".join(re.findall(r"[a-z0-9£']+", s))
            if len(s.split()) >= 5:
                out.add(s)
    return out


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {n: pd.read_csv(DATA / ("%s.csv" % n), dtype=str, keep_default_na=False) for n in SETS}


def test_every_set_is_labelled_with_the_three_labels(frames):
    for name, df in frames.items():
        assert list(df.columns) == ["text", "label", "writer"], name
        assert set(df["label"]) == {"exchange", "no_exchange", "negated"}, name
        assert df["text"].is_unique and len(df) >= 160, name
    assert len(frames["heldout"]) >= 400


def test_held_out_summaries_are_in_no_development_set_and_hold_no_exemplar(frames):
    """Whole summaries never repeat across sets; an exemplar the reader matches against is
    never a held-out sentence. (Short stock sentences an officer writes anywhere, "she was
    13 at the time", may recur between independent writers: that is not leakage.)"""
    held = set(frames["heldout"]["text"].str.strip().str.lower())
    for name in SETS[:-1]:
        assert not held & set(frames[name]["text"].str.strip().str.lower()), name
    raw = load_exemplars()
    exemplars = sentences([t for f in raw["families"].values() for t in f["exemplars"]] + raw["none"])
    assert not sentences(frames["heldout"]["text"]) & exemplars
