# SPDX-License-Identifier: GPL-3.0-or-later
"""A trained reader of the exchange element: the whole summary, weighed by a linear model.

The lexicon and the exemplars find an exchange where its words are; on a writer they were
not tuned on, they also find one in a summary that raises an exchange only to refute it,
and miss one stated in words nobody listed. A logistic regression over the summary's words
and word pairs, trained on labelled summaries written by several independent writers
(audit/labelled/), weighs the whole record. It never acts alone on a weak score:

- it *confirms* what a reader found or overrules it, below `confirm` for that reader: 0.35
  for the semantic reader's near matches, 0.15 for the lexicon's exact words, which are
  already scoped for negation and attribution and need the summary to say clearly that
  there was no exchange ("it was alleged he gave her vodka for sex … no drink ever
  changed hands");
- it *decides* an exchange the readers missed only at a high score: >= `decide` on a
  clause with a word of transaction in it (gave, paid, owed, promised …), and only at
  >= `decide_uncued` where no clause has one ("least i get 2 eat"): trained on a few
  thousand summaries, it also learns what merely travels with an exchange in them ("the
  men at the flat"), and that is never enough on its own.

It reads only incidents that already have a child and sexual activity: that is what the
labelled summaries describe, and the exchange element is all it is trained to answer.
Every decision quotes the clause that scores highest on its own, the words that weigh most
for an exchange in it, and the score. Trained when first used (a few seconds; scikit-learn,
no network); the training files, the settings and the library version make its version.
The fitted arrays are kept under the user's cache folder (`fitted_cache`, plain .npz, no
pickle), so the audit's worker processes and later loads read them instead of training.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

LABELLED = Path(__file__).with_name("labelled")
LABELS = ("exchange", "no_exchange", "negated")
# Chosen on the development writers scored leave-one-writer-out and on the generator's
# force (docs/flag-audit.md, "How the rule was chosen" and stop 33's section); never on a held-out set.
CONFIRM = {"semantic": 0.35, "lexicon": 0.175}
DECIDE = 0.7
DECIDE_UNCUED = 0.9
"""Deciding on a summary with no word of transaction in any clause ("least i get 2 eat", "if
I do what he wants I get to ride on the bikes"), on a clause with a thing had or a condition
set (semantic.yaml's `decide_cues`): these were refused at any score. At 0.9, on the
development writers scored leave one writer out, recall rose 0.959 -> 0.972 (dev-dev19)
and the generator's force gained recall with no false exchange; at 0.8 the generator's
"Strategy meeting: ..." summaries crossed it (docs/flag-audit.md, stop 33)."""
C = 16.0
TERMS = 3
TOKEN = r"(?u)\b[^\W\d_][\w']+\b"
"""Words only: an age or a reference number says nothing about an exchange, but a set whose
writer gave every exploited child's age would teach the model that it does."""
WHO = frozenset("""girl girls boy boys aged age year years yr yrs yo old female male child children victim
victims ip vic complainant young person teenager teen daughter son""".split())
"""Words that say who the victim is, not what happened: kept out for the same reason."""


@dataclass(frozen=True)
class Decision:
    """What the classifier says of one summary: the score, and the clause and words it rests on."""

    score: float
    clause: str
    terms: tuple[str, ...]


def read_labelled(path: Path) -> pd.DataFrame:
    """One labelled set (text, label, writer), checked."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(df.columns[:3]) != ["text", "label", "writer"]:
        raise ValueError("%s: columns must start text,label,writer" % path)
    bad = sorted(set(df["label"]) - set(LABELS))
    if bad:
        raise ValueError("%s: unknown labels %s" % (path, bad))
    return df


def labelled_sets(folder: Path = LABELLED) -> dict[str, pd.DataFrame]:
    """Every labelled set in `folder` by name."""
    return {path.stem: read_labelled(path) for path in sorted(folder.glob("*.csv"))}


VECTORIZER = {"ngram_range": (1, 2), "min_df": 2, "sublinear_tf": True, "token_pattern": TOKEN,
              "stop_words": sorted(WHO)}


def fitted_cache() -> Path:
    """Where fitted models are kept between processes: every audit worker and every load
    would otherwise train the same model again (seconds each)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "csenet" / "exchange-classifier"


def _keep_fitted(version: str, vectorizer: Any, model: Any) -> None:
    """The fitted arrays as plain .npz (read back without pickle: no code in the file)."""
    folder = fitted_cache()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = folder / (".%s.%d.npz" % (version, os.getpid()))
        np.savez(tmp, terms=np.asarray(vectorizer.get_feature_names_out(), dtype=str), idf=vectorizer.idf_,
                 coef=model.coef_, intercept=model.intercept_, classes=np.asarray(model.classes_, dtype=bool))
        os.replace(tmp, folder / (version + ".npz"))
    except OSError as exc:
        log.info("the fitted exchange classifier was not kept (%s): each process trains it", exc)


def _load_fitted(version: str) -> tuple[Any, Any] | None:
    """The model `version` as fitted by an earlier process, or None (then it is trained)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    path = fitted_cache() / (version + ".npz")
    try:
        with np.load(path, allow_pickle=False) as arrays:
            terms, idf = arrays["terms"].tolist(), arrays["idf"]
            model = LogisticRegression()
            model.coef_, model.intercept_, model.classes_ = arrays["coef"], arrays["intercept"], arrays["classes"]
        vectorizer = TfidfVectorizer(**VECTORIZER, vocabulary={t: i for i, t in enumerate(terms)})
        vectorizer.idf_ = idf
        return vectorizer, model
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def model_version(sets: dict[str, pd.DataFrame], confirm: dict[str, float], decide: float, c: float,
                  sklearn_version: str | None = None, decide_uncued: float = DECIDE_UNCUED) -> str:
    """What the model trained on `sets` with these settings is called, known without training it."""
    if sklearn_version is None:
        from importlib.metadata import version
        sklearn_version = version("scikit-learn")
    digest = hashlib.sha256()
    for name in sorted(sets):
        digest.update(name.encode())
        digest.update(pd.util.hash_pandas_object(sets[name][["text", "label"]], index=False).to_numpy().tobytes())
    digest.update(json.dumps([confirm, decide, c, TOKEN, sorted(WHO), sklearn_version, decide_uncued],
                             sort_keys=True).encode())
    return "exchange-lr-%d-%s" % (sum(len(df) for df in sets.values()), digest.hexdigest()[:8])


def default_version() -> str:
    """The version of the model `default_classifier` trains from the shipped sets."""
    return model_version(labelled_sets(), dict(CONFIRM), DECIDE, C)


class ExchangeClassifier:
    """Exchange / no exchange for a prepared (normalised, spelling-read) summary."""

    def __init__(self, prepare: Callable[[str], str], sets: dict[str, pd.DataFrame] | None = None,
                 confirm: dict[str, float] | None = None, decide: float = DECIDE, c: float = C,
                 decide_uncued: float = DECIDE_UNCUED,
                 clause_spans: Callable[[str], Iterable[tuple[int, int]]] | None = None,
                 cache_size: int = 400_000, prepared_by: str | None = None):
        from sklearn import __version__ as sklearn_version
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        sets = labelled_sets() if sets is None else sets
        if not sets:
            raise ValueError("the exchange classifier needs labelled summaries (%s is empty)" % LABELLED)
        self.confirm = dict(CONFIRM if confirm is None else confirm)
        self.decide = decide
        self.decide_uncued = decide_uncued
        self.clause_spans = clause_spans
        self.version = model_version(sets, self.confirm, decide, c, sklearn_version, decide_uncued)
        # what prepares the training texts is part of what was fitted: without its name, train
        kept = None if prepared_by is None else "%s-%s" % (self.version, hashlib.sha256(
            json.dumps([prepared_by, VECTORIZER], sort_keys=True).encode()).hexdigest()[:8])
        fitted = None if kept is None else _load_fitted(kept)
        if fitted is None:
            frame = pd.concat(sets.values(), ignore_index=True)
            texts = [prepare(t) for t in frame["text"]]
            self.vectorizer = TfidfVectorizer(**VECTORIZER)
            features = self.vectorizer.fit_transform(texts)
            self.model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
            self.model.fit(features, frame["label"].eq("exchange").to_numpy())
            if kept is not None:
                _keep_fitted(kept, self.vectorizer, self.model)
        else:
            self.vectorizer, self.model = fitted
        self._names = self.vectorizer.get_feature_names_out()
        self._weights = self.model.coef_[0]
        self.trained_on = {name: len(df) for name, df in sets.items()}
        self._scores: dict[str, float] = {}
        self._cache_size = cache_size

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """P(exchange) of each prepared text."""
        if not texts:
            return np.zeros(0)
        return self.model.predict_proba(self.vectorizer.transform(texts))[:, 1]

    def prime(self, texts: Iterable[str]) -> None:
        """Score every unseen text in one batch."""
        todo = sorted({t for t in texts if t and t not in self._scores})
        for t, p in zip(todo, self.scores(todo)):
            if len(self._scores) >= self._cache_size:
                break
            self._scores[t] = float(p)

    def score(self, text: str) -> float:
        hit = self._scores.get(text)
        if hit is None:
            hit = float(self.scores([text])[0])
            if len(self._scores) < self._cache_size:
                self._scores[text] = hit
        return hit

    def explain(self, text: str, eligible: Callable[[str], bool] | None = None) -> Decision | None:
        """The summary's score; of its `eligible` clauses, the one that scores highest alone, and
        its heaviest exchange words. None when no clause is eligible."""
        spans = list(self.clause_spans(text)) if self.clause_spans else [(0, len(text))]
        clauses = [c for c in (text[a:b].strip(" ,") for a, b in spans) if c] or [text]
        clauses = [c for c in clauses if eligible is None or eligible(c)]
        if not clauses:
            return None
        best = clauses[int(np.argmax(self.scores(clauses)))]
        row = self.vectorizer.transform([best])
        weight = row.multiply(self._weights).tocsr()
        order = np.argsort(-weight.data)
        terms = tuple(str(self._names[weight.indices[i]]) for i in order[:TERMS] if weight.data[i] > 0)
        return Decision(round(self.score(text), 3), best, terms)


_DEFAULT: dict[str, ExchangeClassifier] = {}


def default_classifier(prepare: Callable[[str], str], key: str,
                       clause_spans: Callable[[str], Iterable[tuple[int, int]]] | None = None) -> ExchangeClassifier:
    """The shipped labelled sets, trained once per process for each way of preparing text
    (`key`: the versions of what prepares it)."""
    hit = _DEFAULT.get(key)
    if hit is None:
        hit = _DEFAULT[key] = ExchangeClassifier(prepare, clause_spans=clause_spans, prepared_by=key)
    return hit
