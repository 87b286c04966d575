# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading an officer's summary for the indicators of the CSE definition.

Plain `re` over clauses, no NLP model: an indicator counts only when it is asserted
(not inside a negation's scope in its clause) and is about the victim or the
perpetrator's gain (not "the suspect bought himself a phone", not "her mother had given
her money for the bus"). Every finding keeps the words it rests on, so each verdict can
be checked against the record by a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from csenet.audit.lexicon import Category, Lexicon

COUNTED = "counted"
NEGATED = "negated"
OWN = "own"
THIRD_PARTY = "third_party"
BENIGN = "benign"
NOT_A_GIFT = "not_a_gift"
TO_OTHER = "to_other"      # the child (or someone else) gives it to the other person: "gave the defendant £50"
MUTUAL = "mutual"          # bought in turn or for each other: "they take turns paying for the cinema and food"
ROUTINE = "routine"        # provided as part of a plan: "a food voucher as part of his pathway plan"
OVERRULED = "overruled"    # found by a reader, outweighed by the classifier reading the whole summary
ATTRIBUTED = (THIRD_PARTY, BENIGN, TO_OTHER, MUTUAL, ROUTINE)
"""The lexicon's readings of a thing as another's gift, everyone's, or given to the other person: a
semantic match over the same words takes the reading ("i gave him my money" is not "the man gave her
money"). Not OWN ("yeah i gave her weed" may be the suspect's words) nor NOT_A_GIFT ("weed on tick"
is still a debt)."""

SUBSTANCES = frozenset({"alcohol", "drugs", "cigarettes"})  # handed to a whole group of children, still a lure
VERB_BEFORE_ITEM = 60  # characters from a transfer word to the item it governs
VERB_AFTER_ITEM = 35   # passive: "cider was supplied", "money changed hands"
OWN_AFTER_ITEM = 32    # "bought sweets with my pocket money"

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_WORDS = re.compile(r"\S+")
_QUOTE_MARK = re.compile(r"(?<![A-Za-z])'|'(?![A-Za-z])|\"")  # a quoted 'be nice' reads as be nice; don't stays
_OWN_AFTER = re.compile(r" own\b")
_TO_HIM = re.compile(r"[\w']+ (him|you|u)\b")  # a transfer word, then the one it goes to: "gave him"
_SENT = re.compile(r"(?:sent|send|sends|sending) ")
_CHILD_SUBJECT = re.compile(r"(?<![\w'])(i|(?:the )?(?:victim|complainant|complainer|child|ip|yp|vic)|v)"
                            r"(?: (?:had|has|then|also|later|once|just|would|often|always|keep|keeps|kept|kept on|used to))* $")
_CHILDS_OWN = re.compile(r" (?:him|you|u|them) (?:her|my)(?: [\w'-]+){0,2} $")
"""Between a transfer word and the thing: the thing is hers, handed to him -- "handing him her Greggs
money", "gave him my phone". What the man gives is "his" or "her" alone, never "him her"."""
_PASSIVE = re.compile(r"(?:was|were|been|being|is|are|get|gets|got|given)\b")


@dataclass(frozen=True)
class Finding:
    kind: str        # exchange | gain | sexual | cce
    category: str
    reason: str
    evidence: str
    status: str = COUNTED
    reader: str = "lexicon"      # lexicon | semantic | classifier: which reader decided
    exemplar: str = ""           # semantic: the exemplar matched; classifier: its heaviest exchange words
    score: float | None = None   # semantic: cosine to that exemplar; classifier: P(exchange) of the summary

    @property
    def counted(self) -> bool:
        return self.status == COUNTED


def normalise(text: object) -> str:
    """Lower-case, straight quotes, single spaces: the form lexicon patterns are written for."""
    if not isinstance(text, str) or not text:
        return ""
    return _SPACE.sub(" ", _QUOTE_MARK.sub("", text.translate(_QUOTES))).strip().lower()


_SENTENCE_END = re.compile(r"[.;!?\n](?!\d)")
_RAISED_AFTER = re.compile(r"[^.;!?\n]{0,30}?\b(?:suspected|alleged|believed|thought|rumou?red|reported|said|claimed|understood) (?:to|of)\b")


def raised_then_refuted(text: str, evidence: str, lexicon: Lexicon, denials: tuple[int, ...] = ()) -> bool:
    """The words were only raised (asked about, suggested, believed by another) in their
    sentence, and the summary refutes something outside them: a refutation cue, a later
    correction (`negation.corrected`), or a denial the readers found (`denials`: where
    negated exchange findings start). An
    exchange asked about and never confirmed is only raised too."""
    at = text.find(evidence)
    if at < 0:
        return False
    end = at + len(evidence)
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, at)]
    start = starts[-1] if starts else 0
    if lexicon.question is not None and lexicon.question.search(text, start, end) is not None:
        return not _answered_yes(text, end, lexicon)
    # raised before the words, or just after them ("payments from men suspected to be for access")
    if lexicon.raised is None or (lexicon.raised.search(text, start, end) is None
                                  and _RAISED_AFTER.match(text, end) is None):
        return False
    if any(d >= end for d in denials):
        return True
    if lexicon.corrected is not None and lexicon.corrected.search(text, end) is not None:
        return True
    return lexicon.refuted is not None and any(m.start() >= end or m.end() <= at
                                               for m in lexicon.refuted.finditer(text, start))


def _answered_yes(text: str, end: int, lexicon: Lexicon) -> bool:
    """The first answer word after a question is a yes."""
    yes = lexicon.confirmed.search(text, end) if lexicon.confirmed is not None else None
    no = lexicon.answered_no.search(text, end) if lexicon.answered_no is not None else None
    return yes is not None and (no is None or yes.start() < no.start())


def general_denials(text: str, found: list[Finding], lexicon: Lexicon) -> list[int]:
    """Where the summary denies any exchange at all: a negated transfer with no thing named
    ("nothing was given", "never gave me nothin") or a `negation.denies_any` phrase."""
    at = [text.find(f.evidence) for f in found if f.category == "any" and f.status == NEGATED]
    if lexicon.denies_any is not None:
        at += [m.start() for m in lexicon.denies_any.finditer(text)]
    return sorted(a for a in at if a >= 0)


def settle(text: str, found: list[Finding], lexicon: Lexicon) -> list[Finding]:
    """What the summary as a whole says of each counted exchange or gain: denied when a denial
    of any exchange comes after it, when it was only raised and then refuted, or (a semantic
    match) when its words are ones the lexicon read as denied ("nothing to suggest she was
    given money … or somewhere to stay"). A let-off written with its own "not" ("never pays
    for anything") is not a denial."""
    spans = [(a, a + len(f.evidence)) if (a := text.find(f.evidence)) >= 0 else None for f in found]
    exchange = [f.kind in ("exchange", "gain") for f in found]
    denied = [(f, sp) for f, sp, ex in zip(found, spans, exchange) if ex and sp and f.status == NEGATED]
    lexicon_denied = [sp for f, sp in denied if f.reader == "lexicon"]
    attributed = [(f.status, sp) for f, sp, ex in zip(found, spans, exchange)
                  if ex and sp and f.reader == "lexicon" and f.status in ATTRIBUTED]
    starts = tuple(sorted(sp[0] for _, sp in denied))
    waived = [sp for f, sp in zip(found, spans) if sp and f.counted and lexicon.categories.get(f.category)
              and lexicon.categories[f.category].negation_inside]
    general = [d for d in general_denials(text, found, lexicon) if not any(a <= d < b for a, b in waived)]
    last = general[-1] if general else -1
    out = []
    for f, sp, ex in zip(found, spans, exchange):
        if f.counted and ex and sp and (
                sp[0] < last
                or (f.reader == "semantic" and any(a < sp[1] and sp[0] < b for a, b in lexicon_denied))
                or raised_then_refuted(text, f.evidence, lexicon, starts)):
            f = replace(f, status=NEGATED)
        elif f.counted and ex and sp and f.reader == "semantic":
            # the lexicon read these words as another's thing or gift ("i gave him my money")
            other = next((st for st, (a, b) in attributed if a < sp[1] and sp[0] < b), None)
            if other is not None:
                f = replace(f, status=other)
        out.append(f)
    return out


def _child_to_him(seg: str, v0: int) -> bool:
    """The child, named just before the transfer word at `v0`, gives to him: "i gave him my money",
    "i keep giving him money", "the victim gave you money". Not "she gave him" (a woman's gift to a
    boy), not "i bought you" (often the suspect's words), not "sent him" (pictures)."""
    to = _TO_HIM.match(seg, v0)
    if to is None or _SENT.match(to.group(0)):
        return False
    subject = _CHILD_SUBJECT.search(seg[:v0])
    return subject is not None and (subject.group(1) != "i" or to.group(1) == "him")


def sentence_of(text: str, at: int) -> str:
    """The sentence of `text` around position `at`."""
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, at)]
    end = _SENTENCE_END.search(text, at)
    return text[starts[-1] if starts else 0:end.start() if end else len(text)]


def no_reward(t: str, f: Finding, lex: Lexicon) -> Finding:
    """A counted exchange bought in turn ("they take turns paying for food", in its sentence);
    or, where the summary `t` states no return, one given as part of a plan ("a food voucher as
    part of his pathway plan", in its sentence). Both readers' findings pass through it."""
    if not f.counted or f.kind not in ("exchange", "gain"):
        return f
    at = t.find(f.evidence)
    if lex.mutual is not None and at >= 0 and lex.mutual.search(sentence_of(t, at)):
        return replace(f, status=MUTUAL)
    if lex.return_stated is not None and lex.return_stated.search(t):
        return f
    if lex.routine is not None and at >= 0 and lex.routine.search(sentence_of(t, at)):
        return replace(f, status=ROUTINE)
    return f


def clauses(text: str, lexicon: Lexicon) -> list[tuple[int, int]]:
    """Spans of the clauses negation scope is confined to."""
    spans, start = [], 0
    for m in lexicon.clause_split.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = max(start, m.end())
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _words_between(text: str, a: int, b: int) -> int:
    return len(_WORDS.findall(text[a:b])) if b > a else 0


class Reader:
    """Finds the lexicon's indicators in text; one per lexicon, caching by text."""

    def __init__(self, lexicon: Lexicon, cache_size: int = 200_000):
        self.lex = lexicon
        self._cache: dict[str, tuple[Finding, ...]] = {}
        self._cache_size = cache_size

    def read(self, text: object) -> tuple[Finding, ...]:
        return self.read_normalised(normalise(text))

    def read_normalised(self, t: str) -> tuple[Finding, ...]:
        """`read` for text already through `normalise`."""
        if not t:
            return ()
        hit = self._cache.get(t)
        if hit is not None:
            return hit
        out = self._read(t)
        if len(self._cache) < self._cache_size:
            self._cache[t] = out
        return out

    # -- internals -------------------------------------------------------------------

    def _read(self, t: str) -> tuple[Finding, ...]:
        lex = self.lex
        if lex.any_indicator is None or not lex.any_indicator.search(t):
            return ()
        findings: list[Finding] = []
        for s, e in clauses(t, lex):
            seg = t[s:e]
            if not lex.any_indicator.search(seg):
                continue
            negs = self._negations(seg)
            for pattern, groups in lex.phrase_sets:
                for m in pattern.finditer(seg):
                    cat = lex.categories[groups[m.lastgroup]]
                    findings.append(Finding(cat.kind, cat.name, cat.reason, m.group(0), self._phrase_status(seg, m, cat, negs)))
            before = len(findings)
            if lex.items is not None:
                findings.extend(self._items(seg, negs))
            if len(findings) == before and negs:
                denied = self._denied_exchange(seg, negs)
                if denied is not None:
                    findings.append(denied)
        return _dedupe([no_reward(t, f, self.lex) for f in findings])

    def _phrase_status(self, seg: str, m: re.Match[str], cat: Category, negs: list[tuple[int, int]]) -> str:
        """How a self-contained phrase of `cat` matched at `m` is read: own, another's, the child's
        giving, a sale, benign, negated or counted."""
        lex = self.lex
        if _OWN_AFTER.match(seg, m.end()):  # "paid her own way"
            status = OWN
        elif lex.benign is not None and any(b.start() <= m.start() and m.end() <= b.end()
                                             for b in lex.benign.finditer(seg)):
            status = BENIGN  # "struggling for money": a benign phrase holds it
        elif cat.kind == "exchange" and self._giver_opens(seg, m.start()):
            status = THIRD_PARTY  # "the complainant's mother paid him"
        elif cat.reason == "money" and _child_to_him(seg, m.start()):
            status = TO_OTHER  # "i gave him my money", "i keep giving him money"
        elif cat.reason == "money" and lex.own_subject is not None and lex.own_subject.search(seg[:m.start()]):
            status = OWN  # "she paid him rent from her wages"
        elif cat.reason == "money" and lex.sale is not None and lex.sale.search(seg, 0, m.start()):
            status = NOT_A_GIFT  # "sold him her old phone for £80": the price of a sale
        elif self._negated(seg, [c for c in negs if not cat.negation_inside or c[1] <= m.start()],
                           m.start(), m.end()):
            status = NEGATED
        else:
            status = COUNTED
        return status

    def _denied_exchange(self, seg: str, negs: list[tuple[int, int]]) -> Finding | None:
        """'Nothing was offered or given': an exchange denied without naming a thing, kept as evidence."""
        for v0, v1, _ in self._transfers(seg):
            for c0, c1 in negs:
                if c0 < v0 and _words_between(seg, c1, v0) <= self.lex.negation_window:
                    return Finding("exchange", "any", "any", seg[c0:v1], NEGATED)
        return None

    def _negations(self, seg: str) -> list[tuple[int, int]]:
        lex = self.lex
        if lex.negation is None:
            return []
        cues = [(m.start(), m.end()) for m in lex.negation.finditer(seg)]
        if cues and lex.pseudo_negation is not None:
            pseudo = [(m.start(), m.end()) for m in lex.pseudo_negation.finditer(seg)]
            cues = [c for c in cues if not any(p0 <= c[0] < p1 for p0, p1 in pseudo)]
        return cues

    def _negated(self, seg: str, negs: list[tuple[int, int]], start: int, end: int) -> bool:
        for c0, c1 in negs:
            if c0 >= end:
                continue
            if c0 >= start or _words_between(seg, c1, start) <= self.lex.negation_window:
                return True
        return False

    def _transfers(self, seg: str) -> list[tuple[int, int, bool]]:
        lex = self.lex
        out = []
        if lex.transfer is not None:
            out += [(m.start(), m.end(), False) for m in lex.transfer.finditer(seg)]
        if lex.transfer_to_subject is not None:
            out += [(m.start(), m.end(), True) for m in lex.transfer_to_subject.finditer(seg)]
        return out

    def _items(self, seg: str, negs: list[tuple[int, int]]) -> list[Finding]:
        lex = self.lex
        items = [(m, lex.categories[lex.item_groups[m.lastgroup]]) for m in lex.items.finditer(seg)]
        items = [(m, c) for m, c in items if c.kind in ("exchange", "gain")]
        if not items:
            return []
        transfers = self._transfers(seg)
        if not transfers:
            return []
        benign = [(b.start(), b.end()) for b in lex.benign.finditer(seg)] if lex.benign is not None else []
        out = []
        for m, cat in items:
            i0, i1 = m.start(), m.end()
            verb = _nearest(transfers, i0, i1)
            if verb is None:
                continue
            v0, v1, to_subject = verb
            s0, s1 = min(v0, i0), max(v1, i1)
            evidence = seg[s0:s1]
            if any(b0 < i1 and i0 < b1 for b0, b1 in benign):
                status = BENIGN
            elif cat.reason == "money" and lex.sale is not None and lex.sale.search(seg, 0, i0):
                status = NOT_A_GIFT
            elif (lex.shared is not None and v0 < i0 and cat.reason not in SUBSTANCES
                  and (lex.shared.match(seg[v1:i0]) or lex.shared_after.match(seg[i1:]))):
                status = BENIGN  # "gives all the grandchildren a fiver": everyone's, not the child's reward
            elif lex.not_a_gift is not None and lex.not_a_gift.match(seg[i1:]):
                status = NOT_A_GIFT
            elif self._to_other(seg, v0, v1, i0, i1, to_subject):
                status = TO_OTHER
            elif v0 < i0 and not to_subject and _child_to_him(seg, v0):
                status = TO_OTHER  # "i bought him cigs", "the victim gave you money"
            elif v0 < i0 and not to_subject and _CHILDS_OWN.match(seg[v1:i0]):
                status = TO_OTHER  # "handing him her greggs money": hers, given to him
            elif self._own(seg, v0, v1, i0, i1, to_subject):
                status = OWN
            elif self._third_party(seg, v0, v1, i1, to_subject):
                status = THIRD_PARTY
            elif self._negated(seg, negs, s0, s1):
                status = NEGATED
            else:
                status = COUNTED
            out.append(Finding(cat.kind, cat.name, cat.reason, evidence, status))
        return out

    def _own(self, seg: str, v0: int, v1: int, i0: int, i1: int, to_subject: bool) -> bool:
        lex = self.lex
        lo, hi = (v0, i1) if v0 < i0 else (i0, v1)
        if lex.own is not None and lex.own.search(seg, lo, min(len(seg), hi + OWN_AFTER_ITEM)):
            return True
        if to_subject or lex.own_subject is None:
            return False
        if v0 < i0 and not _PASSIVE.match(seg, v0):
            return lex.own_subject.search(seg[:v0]) is not None
        # "the alcohol she had bought": the buyer named between the thing and the verb
        return v0 >= i1 and len(seg[i1:v0].split()) <= 3 and lex.own_subject.search(seg[i1:v0]) is not None

    def _to_other(self, seg: str, v0: int, v1: int, i0: int, i1: int, to_subject: bool) -> bool:
        """The thing goes to the other person ("gave the defendant £50", "buys cigarettes for an
        older man"), given by someone who is not paying for the child ("men paid the suspect":
        the perpetrator's gain, which counts)."""
        lex = self.lex
        if to_subject or lex.to_other is None or v0 > i0 or _PASSIVE.match(seg, v0):
            return False
        if not (lex.to_other.match(seg[v1:i0]) or lex.for_other.match(seg[i1:])):
            return False
        return lex.paying_others is None or lex.paying_others.search(seg[:v0]) is None

    def _giver_opens(self, seg: str, v0: int, active: bool = True) -> bool:
        """A giver who is not a perpetrator just before the transfer word at `v0` ("her mother had
        given her money"), or, before the thing, a service as the whole subject of the clause ("home
        provides his food"; not "accommodation provided by ...", where the service is the thing)."""
        lex = self.lex
        if lex.giver_before is not None and lex.giver_before.search(seg[:v0]):
            return True
        return active and lex.institution_before is not None and lex.institution_before.match(seg[:v0]) is not None

    def _third_party(self, seg: str, v0: int, v1: int, i1: int, to_subject: bool) -> bool:
        lex = self.lex
        if lex.giver_before is None:
            return False
        if not to_subject and self._giver_opens(seg, v0, active=v0 < i1):
            return True
        # after the thing, by or from the giver: "received a new phone from her mother"
        if lex.giver_from is not None and v1 < i1 and lex.giver_from.search(seg, v1, i1):
            return True
        return lex.giver_after.match(seg[max(v0, i1):]) is not None


def _nearest(transfers: list[tuple[int, int, bool]], i0: int, i1: int) -> tuple[int, int, bool] | None:
    """The transfer word governing the item: before it (active) or just after it (passive)."""
    best, dist = None, None
    for v0, v1, to_subject in transfers:
        if v1 <= i0:
            d = i0 - v1
            if d > VERB_BEFORE_ITEM:
                continue
        elif v0 >= i1:
            d = v0 - i1
            if d > VERB_AFTER_ITEM:
                continue
            d += 10  # prefer the active reading when both are near
        else:
            d = 0
        if dist is None or d < dist:
            best, dist = (v0, v1, to_subject), d
    return best


_RANK = {COUNTED: 0, NEGATED: 1, OWN: 2, THIRD_PARTY: 3, NOT_A_GIFT: 4, BENIGN: 5, TO_OTHER: 6,
         MUTUAL: 7, ROUTINE: 8}


def _dedupe(findings: list[Finding]) -> tuple[Finding, ...]:
    """One finding per (category, status), the counted one first: enough to explain, no repetition."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in sorted(findings, key=lambda f: _RANK[f.status]):
        key = (f.category, f.status)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    return tuple(out)
