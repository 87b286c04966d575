# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's evaluation sets stay apart: held-out text is in no development set (what the
classifier trains on and the package ships), no exemplar."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from csenet.audit.classifier import LABELLED
from csenet.audit.semantic import load_exemplars

HELDOUT = Path(__file__).resolve().parent / "data" / "audit_eval"
DEV = {p.stem: p for p in sorted(LABELLED.glob("*.csv"))}
HELD = {p.stem: p for p in sorted(HELDOUT.glob("*.csv"))}
PATHS = DEV | HELD


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
    return {n: pd.read_csv(p, dtype=str, keep_default_na=False) for n, p in PATHS.items()}


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
    assert DEV and "heldout" in HELD and not DEV.keys() & HELD.keys()
    raw = load_exemplars()
    exemplars = sentences([t for f in raw["families"].values() for t in f["exemplars"]] + raw["none"])
    for held_name in HELD:
        held = set(frames[held_name]["text"].str.strip().str.lower())
        for name in DEV:
            assert not held & set(frames[name]["text"].str.strip().str.lower()), (held_name, name)
        assert not sentences(frames[held_name]["text"]) & exemplars, held_name
