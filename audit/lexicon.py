# SPDX-License-Identifier: GPL-3.0-or-later
"""The indicator lexicon: analysts' YAML compiled once into a few combined patterns.

Kept as data (audit/lexicon.yaml) so a force can add the words its officers use without
touching code; compiled into one alternation per role so a summary is scanned a handful
of times however many phrases the lexicon grows to.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from csenet.errors import InputError

DEFAULT_PATH = Path(__file__).with_name("lexicon.yaml")
KINDS = ("exchange", "gain", "sexual", "cce")
# a giver named as the one told or as a place is not the giver: "told staff that the lads
# get her drunk", "a man who waits outside the school gates gives her vapes"
TOLD_OR_PLACE = ("told", "informed", "to", "outside", "at", "near", "from", "with", "tells", "telling", "alerted",
                 "contacted", "by")


def not_told(*allowed: str) -> str:
    """Lookbehinds refusing a giver right after one of TOLD_OR_PLACE (bar `allowed`)."""
    return "".join("(?<!%s )" % w for w in TOLD_OR_PLACE if w not in allowed)


class LexiconError(InputError):
    """The lexicon file cannot be used; the message names the entry."""


@dataclass(frozen=True)
class Category:
    name: str
    kind: str
    reason: str
    items: tuple[str, ...]
    phrases: tuple[str, ...]
    negation_inside: bool = False  # its phrases hold their own "not" ("didn't have to pay")


def _words(patterns: list[str] | tuple[str, ...]) -> str:
    return "|".join("(?:%s)" % p for p in patterns)


def _compile(patterns, where: str, *, anchored: bool = True) -> re.Pattern[str] | None:
    for p in patterns or []:
        if isinstance(p, dict):
            raise LexiconError("%s: %r was read by YAML as a mapping (a ': ' inside it); put the pattern in quotes"
                               % (where, p))
    patterns = [str(p) for p in patterns or []]
    if not patterns:
        return None
    for p in patterns:
        try:
            compiled = re.compile(p)
        except re.error as exc:
            raise LexiconError("%s: pattern %r is not a valid regular expression: %s" % (where, p, exc)) from None
        if compiled.groups:
            raise LexiconError("%s: pattern %r has a capturing group; write (?:...)" % (where, p))
    body = _words(patterns)
    return re.compile(r"(?<![\w£])(?:%s)(?![\w])" % body if anchored else body)


def _grouped(entries: list[tuple[str, list[str]]], where: str) -> tuple[re.Pattern[str] | None, dict[str, str]]:
    """One alternation with a named group per category; returns the pattern and group -> category."""
    parts, names = [], {}
    for i, (name, patterns) in enumerate(entries):
        if not patterns:
            continue
        _compile(patterns, "%s.%s" % (where, name))
        group = "g%d" % i
        names[group] = name
        parts.append("(?P<%s>%s)" % (group, _words(patterns)))
    if not parts:
        return None, names
    return re.compile(r"(?<![\w£])(?:%s)(?![\w])" % "|".join(parts)), names


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Lists append, mappings merge, scalars replace: an extension file only adds words."""
    out = dict(base)
    for key, value in (extra or {}).items():
        if key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _merge(out[key], value)
        elif key in out and isinstance(out[key], list) and isinstance(value, list):
            out[key] = out[key] + [v for v in value if v not in out[key]]
        else:
            out[key] = value
    return out


@dataclass
class Lexicon:
    """Compiled indicator lexicon. Build with `Lexicon.load()`."""

    raw: dict[str, Any]
    categories: dict[str, Category] = field(init=False)

    def __post_init__(self) -> None:
        raw = self.raw
        self._categories(raw)
        self._clauses_and_negation(raw)
        self._attribution(raw)
        self._age(raw)
        cats = self.categories
        every = [p for c in cats.values() for p in c.items + c.phrases] + [str(p) for p in raw.get("transfer") or []]
        self.any_indicator = _compile(every, "categories")

    def _categories(self, raw: dict[str, Any]) -> None:
        """Indicator categories, their single-word items and one phrase alternation per kind."""
        cats: dict[str, Category] = {}
        for name, spec in (raw.get("categories") or {}).items():
            spec = spec or {}
            kind = spec.get("kind")
            if kind not in KINDS:
                raise LexiconError("categories.%s: kind must be one of %s, not %r" % (name, ", ".join(KINDS), kind))
            if kind in ("sexual", "cce") and spec.get("items"):
                raise LexiconError("categories.%s: a %s category has phrases only" % (name, kind))
            cats[name] = Category(name, kind, str(spec.get("reason") or name),
                                  tuple(str(p) for p in spec.get("items") or ()),
                                  tuple(str(p) for p in spec.get("phrases") or ()),
                                  bool(spec.get("negation_inside")))
        self.categories = cats
        self.items, self.item_groups = _grouped([(c.name, list(c.items)) for c in cats.values()], "items")
        # one alternation per kind, so a span ("to clear a debt") can be both an exchange and CCE
        self.phrase_sets: list[tuple[re.Pattern[str], dict[str, str]]] = []
        for kinds in (("exchange", "gain"), ("sexual",), ("cce",)):
            pattern, groups = _grouped([(c.name, list(c.phrases)) for c in cats.values() if c.kind in kinds],
                                       "phrases")
            if pattern is not None:
                self.phrase_sets.append((pattern, groups))

    def _clauses_and_negation(self, raw: dict[str, Any]) -> None:
        """Transfer verbs, negation cues and where a summary splits into clauses."""
        self.transfer = _compile(raw.get("transfer"), "transfer")
        self.transfer_to_subject = _compile(raw.get("transfer_to_subject"), "transfer_to_subject")
        neg = raw.get("negation") or {}
        self.negation_window = int(neg.get("window", 8))
        self.negation = _compile(neg.get("cues"), "negation.cues")
        self.pseudo_negation = _compile(neg.get("pseudo"), "negation.pseudo")
        self.raised = _compile(neg.get("raised"), "negation.raised")
        self.refuted = _compile(neg.get("refuted"), "negation.refuted")
        self.corrected = _compile(neg.get("corrected"), "negation.corrected")
        self.question = _compile(neg.get("question"), "negation.question")
        self.confirmed = _compile(neg.get("confirmed"), "negation.confirmed")
        self.answered_no = _compile(neg.get("answered_no"), "negation.answered_no")
        self.denies_any = _compile(neg.get("denies_any"), "negation.denies_any")
        breaks = [str(b) for b in raw.get("clause_breaks") or []]
        starters = [str(s) for s in raw.get("clause_starters") or []]
        _compile(breaks, "clause_breaks")
        _compile(starters, "clause_starters")
        splitters = [r"(?:\.(?!\d)|[;!?:\n])+", r"\s-\s", r"\((?!\s*(?:aged?\s*)?\d)", r"(?<!\d)\)"]
        if breaks:
            splitters.append(r"(?<!nothing)(?<!anything)(?<!\ball),?\s\b(?:%s)\b" % _words(breaks))
        if starters:
            splitters.append(r",(?=\s(?:%s)\b)" % _words(starters))
        self.clause_split = re.compile("|".join(splitters))

    def _attribution(self, raw: dict[str, Any]) -> None:
        """Who a phrase is about: the suspect's own purchases, other givers, benign gifts."""
        att = raw.get("attribution") or {}
        self.own = _compile(att.get("own"), "attribution.own")
        subj = att.get("own_subject") or []
        _compile(subj, "attribution.own_subject")
        aux_active = (r"(?: (?:had|has|then|also|later|once|went to|tried to|wanted to|to|would|often|usually|"
                      r"was going to|is going to|going to|had gone to|just))*")
        self.own_subject = re.compile(r"(?<!\w)(?:%s)%s $" % (_words(subj), aux_active)) if subj else None
        givers = att.get("non_perpetrator_givers") or []
        _compile(givers, "attribution.non_perpetrator_givers")
        aux = r"(?: (?:had|has|have|was|were|then|also|later|subsequently|would|usually|often|regularly|once|kindly|had been|have been|has been))*"
        # up to three words that name no other person and report nothing: "her mother
        # recently bought", "parents very supportive and bought"; not "her mother said he bought"
        between = (r"(?: (?!(?:he|she|they|i|we|you|him|his|her|hers|their|them|me|my|the|a|an|man|male|men|boy|"
                   r"lad|suspect|dp|sus|poi|subj|said|says|told|thinks|believes|stated|states|disclosed|reported|"
                   r"that|who)\b)[a-z,']+){0,3}")
        if givers:
            self.giver_before = re.compile(r"(?<!\w)%s(?:%s)(?!['’]s)%s%s $" % (not_told(), _words(givers), between, aux))
            parents = att.get("parent_givers") or []
            _compile(parents, "attribution.parent_givers")
            self.giver_after = re.compile(r"^[^,]{0,25}?\b(?:by (?:%s)|from (?:%s))(?!['’]s)\b"
                                          % (_words(givers), _words(parents or givers)))
            # ... or between the transfer word and the thing: "received a phone from her mother as a gift"
            self.giver_from = re.compile(r"\bfrom (?:%s)(?!['’]s)\b" % _words(parents)) if parents else None
        else:
            self.giver_before = self.giver_after = self.giver_from = None
        inst = att.get("institution_givers") or []
        _compile(inst, "attribution.institution_givers")
        # the service is the whole subject, opening the clause: "home provides his food"
        self.institution_before = re.compile(r"^[\s,]*(?:%s)%s $" % (_words(inst), aux)) if inst else None
        self.benign = _compile(att.get("benign"), "attribution.benign")
        # the thing goes to the other person: "gave the defendant £50", "buys cigarettes for an older man"
        to = att.get("other_recipients") or []
        _compile(to, "attribution.other_recipients")
        weak = att.get("other_recipients_for") or []
        _compile(weak, "attribution.other_recipients_for")

        def recipient(nouns: list) -> str:  # "the yard owner", "her older boyfriend, 20,", "her neighbour (32)"
            return (r"(?:the |a |an |his |her |their |my |your |this |that )?"
                    r"(?:(?!(?:and|or|her|him|them|me|you|us)\b)[\w-]+ ){0,2}?(?:%s)(?: \(\d+\)|,? \d+,?)?" % _words(nouns))
        # between the transfer word and the thing: the recipient, then at most four words
        # (earlier things: "gave the yard owner cigarettes and cash")
        self.to_other = re.compile(r"^ %s (?:[\w'-]+,? ){0,4}$" % recipient(to)) if to else None
        # after the thing: "to the defendant", "for an older man"
        self.for_other = re.compile(r"^(?: and [\w ]{1,25}?)? (?:to %s|for %s)\b"
                                    % (recipient(to), recipient(list(to) + list(weak)))) if to else None
        self.sale = _compile(att.get("sale"), "attribution.sale")
        self.mutual = _compile(att.get("mutual"), "attribution.mutual")
        self.routine = _compile(att.get("routine"), "attribution.routine")
        self.return_stated = _compile(att.get("return_stated"), "attribution.return_stated")
        shared = att.get("shared_recipients") or []
        _compile(shared, "attribution.shared_recipients")
        # the recipients named right after the transfer word, or as "to"/"for" after the thing
        self.shared = re.compile(r"^ (?:%s)\b(?!['’]s)" % _words(shared)) if shared else None
        self.shared_after = re.compile(r"^(?: [\w-]+){0,3}? (?:to|for) (?:%s)\b(?!['’]s)" % _words(shared)) if shared else None
        payers = att.get("paying_others") or []
        _compile(payers, "attribution.paying_others")
        self.paying_others = re.compile(r"(?<!\w)(?:%s)(?!\w)" % _words(payers)) if payers else None
        nag = att.get("not_a_gift_when_followed_by") or []
        _compile(nag, "attribution.not_a_gift_when_followed_by")
        self.not_a_gift = re.compile(r"^ (?:%s)\b" % _words(nag)) if nag else None

    def _age(self, raw: dict[str, Any]) -> None:
        """Nouns and descriptors the age reader looks for around a stated age."""
        age = raw.get("age") or {}
        for key in ("victim_nouns", "other_nouns", "female_nouns", "male_nouns", "child_descriptors"):
            _compile(age.get(key), "age.%s" % key)
        self.age_victim = _compile(age.get("victim_nouns"), "age.victim_nouns")
        self.age_other = _compile(age.get("other_nouns"), "age.other_nouns")
        self.age_female = _compile(age.get("female_nouns"), "age.female_nouns")
        self.age_male = _compile(age.get("male_nouns"), "age.male_nouns")
        self.child_descriptors = _compile(age.get("child_descriptors"), "age.child_descriptors")

    @property
    def version(self) -> str:
        """The file's `version` plus a digest of its content: which words a verdict was reached with."""
        digest = hashlib.sha256(json.dumps(self.raw, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:8]
        return "%s-%s" % (self.raw.get("version", "0"), digest)

    @classmethod
    def load(cls, path: str | Path | None = None, extra_paths: list[str | Path] | None = None) -> Lexicon:
        """The lexicon at `path` (default: the shipped one), with extension files merged over it."""
        raw = _read(Path(path) if path else DEFAULT_PATH)
        for extra in extra_paths or []:
            raw = _merge(raw, _read(Path(extra)))
        return cls(raw)

    def category(self, name: str) -> Category:
        return self.categories[name]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LexiconError("%s: not valid YAML: %s" % (path, exc)) from None
    if not isinstance(data, dict):
        raise LexiconError("%s: expected a mapping at the top" % path)
    return data


_DEFAULT: Lexicon | None = None


def default_lexicon() -> Lexicon:
    """The shipped lexicon, compiled once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Lexicon.load()
    return _DEFAULT
