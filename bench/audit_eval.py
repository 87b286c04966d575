# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's exchange element on hand-written, labelled incident summaries.

dev*.csv tune the readers (lexicon words, exemplars, thresholds); heldout.csv is written
apart, by a writer who never saw csenet, and only reported. Columns: text, label
(exchange | no_exchange | negated), writer (the voice: custody, referral, txt …).
Every summary is audited as a sexual offence against a 14-year-old, so "meets the
definition" is exactly the exchange element the summary states.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from csenet.audit import audit_incidents

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "audit_eval"
# tuned on: dev (written with the reader), dev2 (the first held-out set, read after its last
# scoring), dev3 and dev4 (independent writers 1 and 2, each scored once before being read);
# dev5 and dev6 (independent writers 4 and 5): scored once untouched, not yet tuned on;
# reported only: heldout (independent writer 3; docs/flag-audit.md, Evaluation protocol)
SETS = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "heldout")
LABELS = ("exchange", "no_exchange", "negated")


def load(name: str) -> pd.DataFrame:
    df = pd.read_csv(DATA / ("%s.csv" % name), dtype=str, keep_default_na=False)
    bad = df[~df["label"].isin(LABELS)]
    if len(bad):
        raise ValueError("%s.csv: unknown labels %s" % (name, sorted(set(bad["label"]))))
    return df


def audit_set(df: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """The audit's verdict on each summary, beside its label."""
    ids = ["E%d" % i for i in range(len(df))]
    incidents = pd.DataFrame({"incident_id": ids, "reported_at": "2023-03-01", "occurred_at": "2023-03-01",
                              "offence_code": "22B", "offence": "Sexual activity involving a child under 16",
                              "flags": [[] for _ in ids], "summary": df["text"].tolist()})
    involvements = pd.DataFrame({"incident_id": ids, "person_id": "V", "role": "VICTIM"})
    persons = pd.DataFrame([{"person_id": "V", "date_of_birth": "2008-06-01", "gender": "F",
                             "dob_candidates": ["2008-06-01"]}])
    out = audit_incidents(incidents, involvements, persons, **kwargs)
    return df.assign(predicted=out["meets_cse_definition"].astype(bool).tolist(), reasons=out["reasons"].tolist())


def figures(scored: pd.DataFrame) -> dict:
    truth = scored["label"].eq("exchange")
    pred = scored["predicted"]
    tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())
    negated = scored["label"].eq("negated")
    by_writer = {w: round(float((g["predicted"] == g["label"].eq("exchange")).mean()), 3)
                 for w, g in scored.groupby("writer")}
    return {"summaries": len(scored), "precision": round(tp / (tp + fp), 3) if tp + fp else 1.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 1.0, "tp": tp, "fp": fp, "fn": fn,
            "negated_kept_out": round(float((~pred[negated]).mean()), 3) if negated.any() else None,
            "accuracy_by_writer": by_writer}


def evaluate(name: str, **kwargs) -> tuple[dict, pd.DataFrame]:
    scored = audit_set(load(name), **kwargs)
    return figures(scored), scored
