"""Realistic UK names and the ways officers mis-record them.

Names are drawn by rank with Zipf-like weights so common names (Smith, Khan, Jones,
Mohammed) really are common and unrelated people share them. Variants (nicknames,
spellings, typos) are what person resolution has to see through.
"""

from __future__ import annotations

import random

import numpy as np

from .data import load

VOWELS = "aeiou"


def _zipf(n: int, offset: float) -> np.ndarray:
    w = 1.0 / (np.arange(n) + offset)
    return w / w.sum()


class NameBook:
    def __init__(self) -> None:
        d = load("names")
        self.origins = list(d["origins"])
        p = np.array([d["origins"][o] for o in self.origins], dtype=float)
        self.origin_p = p / p.sum()
        self._origin_cdf = np.cumsum(self.origin_p)
        self._origin_cdf[-1] = 1.0
        self.family_names: list[str] = []
        self._fam_index: dict[str, int] = {}
        self._fam_pool: list[np.ndarray] = []
        self._fam_cdf: list[np.ndarray] = []
        listed_all = {n for names in d["family"].values() for n in names}
        for o in self.origins:
            names = list(dict.fromkeys(d["family"][o]))
            offset = 3.0
            if o == "british":
                parts = d["family_parts"]
                tail = sorted({h + t for h in parts["head"] for t in parts["tail"]} - listed_all)
                random.Random(11).shuffle(tail)
                names += tail
                offset = 20.0
            self._fam_pool.append(np.array([self._fam(n) for n in names]))
            self._fam_cdf.append(np.cumsum(_zipf(len(names), offset)))

        self.given_names: list[str] = []
        self._given_index: dict[str, int] = {}
        self._given_pool: dict[tuple[int, int, int], np.ndarray] = {}
        self._given_cdf: dict[tuple[int, int, int], np.ndarray] = {}
        for oi, o in enumerate(self.origins):
            lists = d["given"][o]
            for g, gl in enumerate("MF"):
                for era in (0, 1):
                    key = f"{gl}_{'old' if era == 0 else 'young'}"
                    names = lists.get(key) or lists[gl]
                    names = list(dict.fromkeys(names))
                    self._given_pool[(oi, g, era)] = np.array([self._given(n) for n in names])
                    self._given_cdf[(oi, g, era)] = np.cumsum(_zipf(len(names), 6.0))
        self.nicknames = {self._given(k): v for k, v in d["nicknames"].items()}
        self.family_variants = {self._fam(k): v for k, v in d["family_variants"].items()}
        self.given_arr = np.array(self.given_names, dtype=object)
        self.family_arr = np.array(self.family_names, dtype=object)
        self.has_nickname = np.zeros(len(self.given_names), dtype=bool)
        self.has_nickname[list(self.nicknames)] = True
        self.has_variant = np.zeros(len(self.family_names), dtype=bool)
        self.has_variant[list(self.family_variants)] = True

    def _fam(self, name: str) -> int:
        if name not in self._fam_index:
            self._fam_index[name] = len(self.family_names)
            self.family_names.append(name)
        return self._fam_index[name]

    def _given(self, name: str) -> int:
        if name not in self._given_index:
            self._given_index[name] = len(self.given_names)
            self.given_names.append(name)
        return self._given_index[name]

    def origin(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self.origins), n, p=self.origin_p)

    def family(self, rng: np.random.Generator, origins: np.ndarray) -> np.ndarray:
        origins = np.asarray(origins)
        out = np.empty(len(origins), dtype=np.int64)
        u = rng.random(len(origins))
        for oi in np.unique(origins):
            m = origins == oi
            cdf = self._fam_cdf[oi]
            out[m] = self._fam_pool[oi][np.minimum(np.searchsorted(cdf, u[m] * cdf[-1]), len(cdf) - 1)]
        return out

    def origin_one(self, rng: np.random.Generator) -> int:
        return int(np.searchsorted(self._origin_cdf, rng.random()))

    def family_one(self, rng: np.random.Generator, origin: int) -> int:
        cdf = self._fam_cdf[origin]
        return int(self._fam_pool[origin][min(int(np.searchsorted(cdf, rng.random() * cdf[-1])), len(cdf) - 1)])

    def given_one(self, rng: np.random.Generator, origin: int, gender: int, year: int) -> int:
        t = (origin, gender, int(year >= 1995))
        cdf = self._given_cdf[t]
        return int(self._given_pool[t][min(int(np.searchsorted(cdf, rng.random() * cdf[-1])), len(cdf) - 1)])

    def given(self, rng: np.random.Generator, origins: np.ndarray, genders: np.ndarray, birth_years: np.ndarray) -> np.ndarray:
        origins = np.asarray(origins)
        era = (np.asarray(birth_years) >= 1995).astype(int)
        genders = np.asarray(genders)
        out = np.empty(len(origins), dtype=np.int64)
        u = rng.random(len(origins))
        key = origins * 4 + genders * 2 + era
        for k in np.unique(key):
            m = key == k
            t = (int(k) // 4, (int(k) // 2) % 2, int(k) % 2)
            cdf = self._given_cdf[t]
            out[m] = self._given_pool[t][np.minimum(np.searchsorted(cdf, u[m] * cdf[-1]), len(cdf) - 1)]
        return out


def typo(name: str, r: random.Random) -> str:
    """One slip of the keyboard: a dropped, doubled, swapped or wrong vowel letter."""
    if len(name) < 3:
        return name + name[-1]
    i = r.randrange(1, len(name) - 1)
    kind = r.randrange(4)
    if kind == 0:
        return name[:i] + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i] + name[i:]
    if kind == 2 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    vowels = [j for j in range(1, len(name)) if name[j] in VOWELS]
    if vowels:
        j = r.choice(vowels)
        return name[:j] + r.choice([v for v in VOWELS if v != name[j]]) + name[j + 1 :]
    return name[:i] + name[i] + name[i:]
