# SPDX-License-Identifier: GPL-3.0-or-later
"""Was the victim a child at the time? Dates of birth, partial dates, and stated ages.

A partial date (`2008`, `2008-09`) is a range, so an age is a range too; the audit
decides child or adult only when the whole range falls on one side of 18, and says
"unknown" otherwise rather than guessing.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from csenet.audit.lexicon import Lexicon

ADULT = 18

_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?\s*$")


@lru_cache(maxsize=200_000)
def date_range(value: object) -> tuple[date, date] | None:
    """Earliest and latest day an ISO date (full or partial, or date-time) can mean; None if invalid."""
    if value is None or not isinstance(value, str):
        return None
    m = _DATE.match(value)
    if not m:
        return None
    year = int(m.group(1))
    if not 1800 <= year <= 2200:
        return None
    if m.group(2) is None:
        return date(year, 1, 1), date(year, 12, 31)
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year, month)[1]
    if m.group(3) is None:
        return date(year, month, 1), date(year, month, last)
    day = int(m.group(3))
    if not 1 <= day <= last:
        return None
    d = date(year, month, day)
    return d, d


def years_between(born: date, on: date) -> int:
    """Completed years: 18 on the 18th birthday, 17 the day before (29 Feb: 1 March in other years)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class AgeRange:
    low: int
    high: int

    @property
    def side(self) -> str | None:
        """'child', 'adult', or None when the range straddles 18."""
        if self.high < ADULT:
            return "child"
        if self.low >= ADULT:
            return "adult"
        return None

    def text(self) -> str:
        return "%dy" % self.low if self.low == self.high else "%d-%dy" % (self.low, self.high)


def offence_dates(occurred: object, reported: object) -> tuple[date, date] | None:
    """When the offence happened: `occurred_at` (a range if partial, and never after the
    report), else `reported_at`."""
    occ, rep = date_range(occurred), date_range(reported)
    if occ is None:
        return rep
    if rep is not None and rep[1] < occ[1] and rep[1] >= occ[0]:
        return occ[0], rep[1]
    return occ


@lru_cache(maxsize=400_000)
def age_at(dob: object, on: object) -> AgeRange | None:
    """Age range of someone born `dob` on the date `on` (ISO, possibly partial, or a
    (first, last) day range); None if unusable."""
    b = date_range(dob)
    d = on if isinstance(on, tuple) else date_range(on)
    if b is None or d is None or b[0] > d[1]:
        return None
    low = years_between(b[1], d[0]) if b[1] <= d[0] else 0
    high = years_between(b[0], d[1])
    return AgeRange(max(low, 0), high)


@dataclass(frozen=True)
class VictimAge:
    """One victim's age from their dates of birth: decided, undecided, or conflicting."""

    age: AgeRange | None
    side: str | None
    conflict: tuple[str, ...] = ()


def victim_age(dob: object, candidates: object, on: object) -> VictimAge:
    """Age from the resolved person's best DOB, checked against every DOB its records give.

    Records of one person may disagree (a mistyped year, a wrong merge); when the DOBs
    that decide disagree about childhood the age is left undecided and the conflict named.
    """
    best = age_at(dob, on) if isinstance(dob, str) else None
    others = []
    if candidates is not None and not isinstance(candidates, str):
        try:
            others = [c for c in candidates if isinstance(c, str) and c and c != dob]
        except TypeError:
            others = []
    elif isinstance(candidates, str) and candidates and candidates != dob:
        others = [c for c in candidates.split(";") if c and c != dob]
    ranges = [r for r in (age_at(c, on) for c in others) if r is not None]
    if best is not None:
        ranges.insert(0, best)
    if not ranges:
        return VictimAge(None, None)
    sides = {r.side for r in ranges if r.side is not None}
    if len(sides) > 1:
        return VictimAge(best, None, tuple(r.text() for r in ranges))
    chosen = best if best is not None and best.side is not None else next((r for r in ranges if r.side), ranges[0])
    return VictimAge(chosen, chosen.side)


# ---- ages stated in the summary -------------------------------------------------------

_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)}
for _i, _t in enumerate(_TENS):
    NUMBER_WORDS[_t] = 20 + 10 * _i
    for _j in range(1, 10):
        NUMBER_WORDS["%s-%s" % (_t, _UNITS[_j])] = 20 + 10 * _i + _j
        NUMBER_WORDS["%s %s" % (_t, _UNITS[_j])] = 20 + 10 * _i + _j
_NUM = r"(?P<n>\d{1,2}|%s)" % "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))

_PAREN = re.compile(r"\(\s*(?:aged?\s*)?%s\s*(?:y(?:ea)?rs?(?: old)?|yo|yoa)?\s*\)" % _NUM)
_AGED = re.compile(r"\bage[d:]?:? %s\b(?![ -]?(?:y(?:ea)?rs?[ -]?)?(?:months?|weeks?|days?|mins?|minutes?|hours?))" % _NUM)
_YEAR_OLD = re.compile(r"\b%s[ -]?(?:y(?:ea)?rs?|yr)[ -]?old\b|\b%s ?(?:yo|yoa)\b" % (_NUM, _NUM.replace("?P<n>", "?P<m>")))
_COMMA_AGE = re.compile(r"(?<=[a-z]), %s\b(?![.:,]?\d)(?! ?(?:%%|pounds|quid|years? ago|minutes|hours|days|weeks|months|am|pm))" % _NUM.replace("?P<n>", "?P<c>"))
_SENTENCE_END = re.compile(r"[.;!?]")
_NP_STOP = frozenset("and or but was were is are who which that had has have from with in at of to for by on "
                     "after before when while then said says told".split())
_WORD = re.compile(r"[a-z][a-z'’-]*")


@dataclass(frozen=True)
class StatedAge:
    age: int
    subject: str  # victim | other | female | male | unknown
    evidence: str
    start: int = 0  # where in the summary: 0 is the opening words, usually the victim


def _number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return NUMBER_WORDS.get(text)


def _noun(phrase: str, lexicon: Lexicon) -> str | None:
    for subject, pattern in (("victim", lexicon.age_victim), ("other", lexicon.age_other),
                             ("female", lexicon.age_female), ("male", lexicon.age_male)):
        if pattern is not None and pattern.fullmatch(phrase):
            return subject
    return None


def _classify(words: list[str], lexicon: Lexicon, nearest_last: bool) -> str:
    """Whose age: before the age, the nearest noun the lexicon knows ("girl aged 14",
    "her boyfriend (19)"); after it, the head of the noun phrase ("15-year-old girl",
    "19-year-old female friend" is the friend's)."""
    if nearest_last:
        for i in range(len(words) - 1, -1, -1):
            for j in (i - 2, i - 1, i):  # the longest noun phrase: "older boy (19)" is not "boy (19)"
                if j >= 0:
                    found = _noun(" ".join(words[j:i + 1]), lexicon)
                    if found:
                        return found
        return "unknown"
    head = "unknown"
    for i, word in enumerate(words):
        if word in _NP_STOP:
            break
        found = None
        for j in (i + 3, i + 2, i + 1):
            if j <= len(words):
                found = _noun(" ".join(words[i:j]), lexicon)
                if found:
                    head = found
                    break
        if found is None and head != "unknown":
            break
    return head


def _before(text: str, pos: int, n: int = 4) -> list[str]:
    start = max(0, pos - 60)
    chunk = text[start:pos]
    cut = max((m.end() for m in _SENTENCE_END.finditer(chunk)), default=0)
    return _WORD.findall(chunk[cut:])[-n:]


def _after(text: str, pos: int, n: int = 3) -> list[str]:
    chunk = text[pos:pos + 50]
    m = _SENTENCE_END.search(chunk)
    if m:
        chunk = chunk[:m.start()]
    chunk = re.split(r"[,(]", chunk, maxsplit=1)[0]
    return _WORD.findall(chunk)[:n]


def stated_ages(text: str, lexicon: Lexicon) -> tuple[StatedAge, ...]:
    """Every age the (lower-cased) summary states, with whom it is about."""
    found: list[StatedAge] = []
    taken: list[tuple[int, int]] = []
    for pattern, where in ((_PAREN, "before"), (_AGED, "before"), (_YEAR_OLD, "after"), (_COMMA_AGE, "before")):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            groups = m.groupdict()
            raw = next((groups[k] for k in ("n", "m", "c") if groups.get(k) is not None), None)
            age = _number(raw or "")
            if age is None or age > 110:
                continue
            if where == "after":
                subject = _classify(_after(text, m.end()), lexicon, nearest_last=False)
                if subject == "unknown":
                    subject = _classify(_before(text, m.start()), lexicon, nearest_last=True)
            else:
                subject = _classify(_before(text, m.start()), lexicon, nearest_last=True)
                if pattern is _COMMA_AGE and subject == "unknown":
                    continue
            if where == "before":
                words = _before(text, m.start(), 2)
                evidence = " ".join(words + [m.group(0).strip(", ")])
                begin = text.rfind(words[-1], 0, m.start()) if words else m.start()
            else:
                evidence = " ".join([m.group(0)] + _after(text, m.end(), 2))
                begin = m.start()
            found.append(StatedAge(age, subject, evidence, begin))
            taken.append((m.start(), m.end()))
    return tuple(found)
