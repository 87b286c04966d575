# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a misspelt summary as the officer meant it, before the readers look for indicators.

Records are typed fast: "suplying her with alchol", "she denyed reciving money". A phrase
list and a word-embedding table both miss such words. A word is corrected only when it is
not an English word (pyspellchecker's frequency list, shipped in its wheel) and lies one
keystroke (two for long words) from a word the readers look for — the lexicon's and the
exemplars' own vocabulary — so names and ordinary words are never rewritten, and a force's
lexicon additions widen what can be corrected. Every correction is reported with the
verdict (`READ_AS`), so a reader of the audit sees which words were read differently.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from typing import Iterable

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

MIN_LETTERS = 5  # a slip in a shorter word ("fone": done? phone? fine?) is anyone's guess
_TOKEN = re.compile(r"(?<![\w£'])[a-z]{%d,}(?![\w'])" % MIN_LETTERS)
_LITERAL = re.compile(r"(?<!\\)[a-z]{4,}")
_ESCAPE = re.compile(r"\\[a-zA-Z]")
DICTIONARY = "pyspellchecker-0.9.1"
MAX_WIDEN = 4  # letters a stem ("suppl") may grow by into a dictionary word ("supplying")


def _dictionary() -> frozenset[str]:
    from spellchecker import SpellChecker

    return frozenset(SpellChecker(distance=1).word_frequency.dictionary)


def vocabulary_from(patterns: Iterable[str], words: Iterable[str]) -> set[str]:
    """Dictionary words the readers' patterns are written with: each literal run of four or
    more letters, and the dictionary words it is the stem of ("suppl" → supply, supplied …)."""
    ordered = words if isinstance(words, list) else sorted(words)
    out: set[str] = set()
    for p in patterns:
        source = _ESCAPE.sub(" ", str(p).lower())
        for m in _LITERAL.finditer(source):
            run = m.group(0)
            out.add(run)
            if source[m.end():m.end() + 1] == "?":  # "scooters?": the last letter is optional
                out.add(run[:-1])
            i = bisect_left(ordered, run)
            while i < len(ordered) and ordered[i].startswith(run):
                if len(ordered[i]) <= len(run) + MAX_WIDEN:
                    out.add(ordered[i])
                i += 1
    return out


class Speller:
    """Corrects non-words to the readers' vocabulary; caches by word."""

    def __init__(self, patterns: Iterable[str], words: frozenset[str] | None = None):
        words = _dictionary() if words is None else words
        ordered = sorted(words)
        vocab = vocabulary_from(patterns, ordered)
        self.known = words | vocab
        self.targets = sorted(w for w in vocab if w in words)
        self.target_set = frozenset(self.targets)
        self._by_letter: dict[str, list[str]] = {}
        for w in ordered:
            if len(w) >= MIN_LETTERS - 1:
                self._by_letter.setdefault(w[0], []).append(w)
        self._cache: dict[str, str | None] = {}

    @property
    def version(self) -> str:
        """The dictionary and a digest of the vocabulary corrections aim at."""
        digest = hashlib.sha256("\n".join(self.targets).encode("utf-8")).hexdigest()[:8]
        return "%s-%s" % (DICTIONARY, digest)

    def word(self, token: str) -> str | None:
        """The vocabulary word a non-word was meant as, or None."""
        if token in self.known or len(token) < MIN_LETTERS:
            return None
        if token in self._cache:
            return self._cache[token]
        limit = 1 if len(token) <= 8 else 2  # "snapchat" is two from "snapshot": brand names are short
        # among the English words nearest the slip, exactly one must be a word the readers look
        # for: "threatning" is one from "threatening" before it is two from "treating"
        pool = self._by_letter.get(token[0], ())
        hits = process.extract(token, pool, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=12)
        best = None
        if hits:
            nearest = min(h[1] for h in hits)
            meant = [h[0] for h in hits if h[1] == nearest and h[0] in self.target_set]
            if len(meant) > 1:
                meant = [w for w in meant if w[-1] == token[-1]]
            if len(meant) == 1:  # two of the readers' words equally near: ambiguous, leave it
                best = meant[0]
        if len(self._cache) < 200_000:
            self._cache[token] = best
        return best

    def correct(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The normalised text with non-words read as meant, and each (written, read as)."""
        changes: list[tuple[str, str]] = []

        def swap(m: re.Match[str]) -> str:
            fixed = self.word(m.group(0))
            if fixed is None:
                return m.group(0)
            if (m.group(0), fixed) not in changes:
                changes.append((m.group(0), fixed))
            return fixed

        out = _TOKEN.sub(swap, text)
        return out, tuple(changes)


def reader_patterns(lexicon_raw: dict, semantic_raw: dict | None) -> list[str]:
    """Every pattern and exemplar the readers match with: what a misspelling is corrected towards."""
    out: list[str] = []
    for spec in (lexicon_raw.get("categories") or {}).values():
        out += [str(p) for p in (spec or {}).get("items") or []] + [str(p) for p in (spec or {}).get("phrases") or []]
    out += [str(p) for p in lexicon_raw.get("transfer") or []]
    out += [str(p) for p in lexicon_raw.get("transfer_to_subject") or []]
    out += [str(p) for p in (lexicon_raw.get("negation") or {}).get("cues") or []]
    if semantic_raw:
        out += [str(c) for c in semantic_raw.get("cues") or []]
        for spec in (semantic_raw.get("families") or {}).values():
            out += [str(t) for t in spec.get("exemplars") or []]
    return out


_DEFAULT: tuple[object, Speller] | None = None


def default_speller(lexicon, semantic_raw: dict | None) -> Speller:
    """Built once per process and lexicon: the dictionary load is 0.3 s."""
    global _DEFAULT
    if _DEFAULT is None or _DEFAULT[0] is not lexicon:
        _DEFAULT = (lexicon, Speller(reader_patterns(lexicon.raw, semantic_raw)))
    return _DEFAULT[1]
