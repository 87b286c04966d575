# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit's exchange element on hand-written, labelled incident summaries.

audit/labelled/*.csv are the development sets: the readers (lexicon words, exemplars,
thresholds) were tuned on them and the classifier is trained on them. Each is scored with
the classifier trained on the *other* sets (leave one writer out), so its figure is what a
writer the classifier never saw would get. tests/data/audit_eval/heldout*.csv are written
apart, by writers who never saw csenet, and only reported: nothing is trained or tuned on them. Columns: text, label
(exchange | no_exchange | negated), writer (the voice). Every summary is audited as a
sexual offence against a 14-year-old, so "meets the definition" is exactly the exchange
element the summary states.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from csenet.audit import audit_incidents
from csenet.audit.classifier import LABELLED, ExchangeClassifier, labelled_sets, read_labelled
from csenet.audit.engine import Auditor
from csenet.audit.text import clauses

HELDOUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "audit_eval"
# reported only: heldout* (writers never trained or tuned on; docs/flag-audit.md, Evaluation protocol)
READERS = {"lexicon_only": {"semantic": False, "classifier": False},
           "lexicon+semantic": {"classifier": False},
           "with_classifier": {}}


def sets() -> dict[str, Path]:
    """Every evaluation set by name: the development sets, then the held-out ones."""
    out = {p.stem: p for p in sorted(LABELLED.glob("*.csv"), key=lambda p: (len(p.stem), p.stem))}
    out.update({p.stem: p for p in sorted(HELDOUT.glob("*.csv"))})
    return out


def load(name: str) -> pd.DataFrame:
    return read_labelled(sets()[name])


def classifier_without(name: str) -> ExchangeClassifier:
    """The classifier trained on every development set but `name` (all of them for a held-out set)."""
    auditor = Auditor(classifier=False)
    others = {k: v for k, v in labelled_sets().items() if k != name}
    return ExchangeClassifier(lambda t: auditor.prepare(t)[0], others, clause_spans=partial(clauses, lexicon=auditor.lex))


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
    """Figures for one set; unless `classifier` is given, the classifier never trained on it."""
    if kwargs.get("classifier", True) is True:
        kwargs["classifier"] = classifier_without(name)
    scored = audit_set(load(name), **kwargs)
    return figures(scored), scored


def every_set() -> dict[str, dict]:
    """Each set with each reader: lexicon alone, lexicon + semantic, and with the classifier;
    then every held-out summary pooled ("heldout_all"), the figure the targets are read on."""
    out, held = {}, {reader: [] for reader in READERS}
    for name in sets():
        out[name] = {}
        for reader, options in READERS.items():
            out[name][reader], scored = evaluate(name, **options)
            if name.startswith("heldout"):
                held[reader].append(scored)
    if all(held.values()):
        out["heldout_all"] = {reader: figures(pd.concat(frames, ignore_index=True)) for reader, frames in held.items()}
    return out
