# SPDX-License-Identifier: GPL-3.0-or-later
"""The CSE flag audit: every incident tested against the statutory definition, with reasons.

A child under 18 + sexual activity + an exchange (something the victim needs or wants,
and/or financial advantage or increased status of the perpetrator or facilitator). The
recorded flag is compared with that test, the way a force's manual review does it, so
prevalence can be counted on the definition rather than on how consistently officers
applied a flag.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from functools import partial

import pandas as pd

from csenet.audit.age import StatedAge, VictimAge, offence_dates, stated_ages, victim_age
from csenet.audit.classifier import ExchangeClassifier, default_classifier
from csenet.audit.lexicon import Lexicon, default_lexicon
from csenet.audit.offences import Offence, OffenceCodes, default_codes, under_age_in_title
from csenet.audit.reasons import _exchange_reason, _first_per_category, _quote, _sexual, _uncounted_reason, _verdict
from csenet.audit.semantic import SemanticReader, decide_cues, default_semantic_reader, transaction_cues
from csenet.audit.spelling import Speller, default_speller
from csenet.audit.text import OVERRULED, TO_OTHER, Finding, Reader, clauses, normalise, settle
from csenet.columns import isin

AUDIT_VERSION = "audit-3"


AUDIT_COLUMNS = [
    "incident_id", "recorded_flags", "flagged_cse", "meets_cse_definition", "verdict", "suggested_flags",
    "reasons", "victim_age", "victim_age_max", "age_basis", "child", "sexual", "exchange", "cce_indicators",
    "network_ids", "confidence", "audit_version",
]

def flag_list(value: object) -> list[str]:
    """Flags as recorded, from a list or a `;`-joined cell."""
    if value is None:
        return []
    if isinstance(value, str):
        return [f.strip() for f in value.split(";") if f.strip()]
    if isinstance(value, float) and value != value:
        return []
    try:
        return [str(f).strip() for f in value if f is not None and str(f).strip()]
    except TypeError:
        return [str(value).strip()] if str(value).strip() else []


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    s = str(value).strip()
    return s or None


@dataclass
class _Victim:
    dob: str | None
    candidates: tuple[str, ...]
    gender: str | None


@dataclass(frozen=True)
class Reading:
    """What the audit takes from an incident's own words, before its people are known: the
    summary as read (normalised, misspellings read as meant), the corrections, the ages it
    states, the readers' findings, and when the offence was (age.offence_dates)."""
    summary: str
    read_as: tuple[tuple[str, str], ...]
    stated: tuple[StatedAge, ...]
    found: tuple[Finding, ...]
    on: tuple | None


@dataclass
class _Age:
    side: str | None          # child | adult | None
    low: int | None
    high: int | None
    basis: str                # dob | summary | offence | unknown
    reason: str
    conflict: bool = False


READ_ROWS = 50_000
"""Incidents `Auditor.read` embeds at once."""


class Auditor:
    """Holds the compiled lexicon, the code table and the text caches for one run."""

    def __init__(self, lexicon: Lexicon | None = None, codes: OffenceCodes | None = None,
                 network_is_exchange: bool = False, semantic: SemanticReader | bool = True,
                 spelling: Speller | bool = True, classifier: ExchangeClassifier | bool = True):
        self.lex = lexicon or default_lexicon()
        self.codes = codes or default_codes()
        self.reader = Reader(self.lex)
        if semantic is True:
            semantic = default_semantic_reader(self.lex)
        self.semantic: SemanticReader | None = semantic or None
        if spelling is True:
            spelling = default_speller(self.lex, self.semantic.raw if self.semantic is not None else None)
        self.speller: Speller | None = spelling or None
        self.network_is_exchange = network_is_exchange
        self.version = "%s+lexicon-%s" % (AUDIT_VERSION, self.lex.version)
        if self.semantic is not None:
            self.version += "+semantic-%s" % self.semantic.version
        if self.speller is not None:
            self.version += "+spelling-%s" % self.speller.version
        self._read_as: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}
        if classifier is True:
            prepared_by = "%s|%s" % (self.lex.version, self.speller.version if self.speller is not None else "-")
            # the clause splitter holds the lexicon, not this Auditor: the classifier outlives it
            classifier = default_classifier(lambda t: self.prepare(t)[0], prepared_by, partial(clauses, lexicon=self.lex))
        self.classifier: ExchangeClassifier | None = classifier or None
        self._transaction = transaction_cues(self.semantic.raw if self.semantic is not None else None)
        self._decide_cues = decide_cues(self.semantic.raw if self.semantic is not None else None)
        if self.classifier is not None:
            self.version += "+classifier-%s" % self.classifier.version
        self._ages: dict[str, tuple[StatedAge, ...]] = {}
        self._offences: dict[tuple[str | None, str | None], Offence | None] = {}
        self._victim_ages: dict[tuple, VictimAge] = {}

    # -- age ---------------------------------------------------------------------------

    def stated(self, t: str) -> tuple[StatedAge, ...]:
        """Ages stated in a normalised summary, cached by text."""
        if not t:
            return ()
        hit = self._ages.get(t)
        if hit is None:
            hit = stated_ages(t, self.lex)
            if len(self._ages) < 200_000:
                self._ages[t] = hit
        return hit

    def victim_age(self, v: _Victim, on: tuple) -> VictimAge:
        key = (v.dob, v.candidates, on)
        hit = self._victim_ages.get(key)
        if hit is None:
            hit = self._victim_ages[key] = victim_age(v.dob, v.candidates, on)
        return hit

    def victim_statements(self, stated: tuple[StatedAge, ...], victims: list[_Victim],
                          suspect_genders: frozenset[str] = frozenset()) -> list[StatedAge]:
        """Ages the (normalised) summary gives the victim.

        A victim noun ("girl aged 14", "Child (13)") names the victim. Failing that, a sexed
        noun ("Female (15)", "a 41-year-old man") is the victim's when the summary opens
        with it, or when the victim is of that sex and no suspect is.
        """
        named = [s for s in stated if s.subject == "victim"]
        if named:
            return named
        genders = {g for g in ((v.gender or "").upper()[:1] for v in victims) if g in ("F", "M")}
        for s in stated:
            sex = {"female": "F", "male": "M"}.get(s.subject)
            if sex is None or (genders and sex not in genders):
                continue
            if s.start <= 2 or (genders and sex not in suspect_genders):
                return [s]
        return []

    def age(self, victims: list[_Victim], on: tuple | None, reading: Reading, offence: Offence | None,
            offence_text: str | None, suspect_genders: frozenset[str] = frozenset()) -> _Age:
        """Child, adult or unknown, and on what evidence.

        Order: the victims' dates of birth; but for a lone victim an age the summary states
        outright wins over a date of birth that disagrees (record DOBs carry typos and
        wrong merges; the narrative was written about this victim on the day), and the
        conflict is reported. Then the stated age, how the officer names the victim ("the
        child"), and an offence defined by the victim's age.
        """
        ages: list[VictimAge] = [self.victim_age(v, on) for v in victims] if on else []
        child = [a for a in ages if a.side == "child"]
        all_adult = bool(ages) and all(a.side == "adult" for a in ages)
        conflicts = [a for a in ages if a.conflict]
        statements = self.victim_statements(reading.stated, victims, suspect_genders)
        sides = {"child" if s.age < 18 else "adult" for s in statements}
        stated = None
        if len(sides) == 1:
            stated = min(statements, key=lambda s: s.age)
        dob_side = "child" if child else "adult" if all_adult else None

        if stated is not None and (dob_side is None or (len(victims) <= 1 and dob_side != next(iter(sides)))):
            side = next(iter(sides))
            reason = "AGE%s:%dy(summary \"%s\")" % ("<18" if side == "child" else ">=18", stated.age, _quote(stated.evidence))
            clash = dob_side is not None or bool(conflicts)
            if dob_side is not None:
                dob = (min(child, key=lambda a: a.age.low) if child else min(ages, key=lambda a: a.age.low)).age
                reason += ";AGE:CONFLICT(dob %s)" % dob.text()
            return _Age(side, stated.age, stated.age, "summary", reason, conflict=clash)
        if child:
            youngest = min(child, key=lambda a: a.age.low)
            return _Age("child", youngest.age.low, youngest.age.high, "dob", "AGE<18:%s" % youngest.age.text())
        if all_adult:
            youngest = min(ages, key=lambda a: a.age.low)
            return _Age("adult", youngest.age.low, youngest.age.high, "dob", "AGE>=18:%s" % youngest.age.text())

        note = ";AGE:CONFLICT(dob records disagree %s)" % "/".join(conflicts[0].conflict) if conflicts else ""
        described = self.child_descriptor(reading.summary)
        if described is not None:
            return _Age("child", None, 17, "summary", 'AGE<18:described("%s")%s' % (_quote(described), note),
                        conflict=bool(conflicts))
        under = offence.victim_under if offence is not None and offence.child_specific else None
        if under is None and offence_text:
            under = under_age_in_title(offence_text.lower())
        if under is not None and under <= 18:
            code = offence.code if offence is not None else "title"
            return _Age("child", None, under - 1, "offence", "AGE<18:under%d(offence %s)%s" % (under, code, note),
                        conflict=bool(conflicts))
        if conflicts:
            return _Age(None, None, None, "unknown", "AGE:UNKNOWN(dob records disagree %s)" % "/".join(conflicts[0].conflict),
                        conflict=True)
        return _Age(None, None, None, "unknown", "AGE:UNKNOWN")

    def _offence(self, code: str | None, offence_text: str | None) -> Offence | None:
        key = (code, offence_text)
        if key not in self._offences:
            self._offences[key] = self.codes.lookup(code, offence_text)
        return self._offences[key]

    def child_descriptor(self, summary: str | None) -> str | None:
        pattern = self.lex.child_descriptors
        if pattern is None:
            return None
        m = pattern.search(summary or "")
        return m.group(0) if m else None

    # -- one incident ------------------------------------------------------------------

    def prepare(self, summary: object) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The summary as the readers see it (normalised, misspellings read as meant), and the corrections."""
        t = normalise(summary)
        if self.speller is None or not t:
            return t, ()
        hit = self._read_as.get(t)
        if hit is None:
            hit = self.speller.correct(t)
            if len(self._read_as) < 400_000:
                self._read_as[t] = hit
        return hit

    def sexual_offences(self, prepared: list[str], codes: list[str | None], offences: list[str | None]) -> list[str]:
        """The summaries of sexual offences, for the classifier to score in one batch (a
        summary whose sexual element is only in its words is scored when it is reached)."""
        return [t for t, code, offence in zip(prepared, codes, offences)
                if t and (o := self._offence(code, offence)) is not None and o.sexual]

    def findings(self, summary: str, offence_text: str | None) -> list[Finding]:
        """Lexicon findings; the semantic reader's only when the lexicon found no exchange or
        gain; then what the whole summary says of each (text.settle)."""
        found = list(self.reader.read_normalised(summary)) + [f for f in self.reader.read(offence_text)
                                                              if f.kind != "exchange"]
        if self.semantic is not None and not any(f.counted and f.kind in ("exchange", "gain") for f in found):
            found += self.semantic.read_normalised(summary)
        return settle(summary, found, self.lex)

    def weigh(self, summary: str, exchanges: list[Finding],
              given_away: tuple[str, ...] = ()) -> tuple[float, list[Finding], list[Finding]]:
        """The readers' exchanges as the classifier weighs the whole summary: (score, counted, overruled).

        Each is kept when the summary scores at least its reader's `confirm`, overruled
        below; where the readers found none, the classifier's own finding at `decide` or more,
        on a clause with a word of transaction, or at `decide_uncued` on one with a thing had or a condition set;
        never on a clause holding words the lexicon read as given to the other person (`given_away`:
        "i gave him my money", "buying cigarettes for an older man"), as a semantic match takes that reading."""
        clf = self.classifier
        assert clf is not None
        score = clf.score(summary)
        if exchanges:
            kept = [f for f in exchanges if score >= clf.confirm.get(f.reader, 0.0)]
            return score, kept, [replace(f, status=OVERRULED) for f in exchanges if f not in kept]
        if score < clf.decide:
            return score, [], []
        d = clf.explain(summary, self._transaction.search if self._transaction is not None else None)
        if d is None and score >= clf.decide_uncued and self._decide_cues is not None:
            d = clf.explain(summary, self._decide_cues.search)
        if d is None or any(w in d.clause or d.clause in w for w in given_away):
            return score, [], []
        return score, [Finding("exchange", "classifier", "classifier", d.clause, reader="classifier",
                               exemplar=", ".join(d.terms), score=d.score)], []

    def judge(self, incidents: pd.DataFrame, involvements: pd.DataFrame, persons: pd.DataFrame,
              network_context: pd.DataFrame | None, readings: list[Reading]) -> pd.DataFrame:
        """audit_incidents' verdicts, from the incidents' readings (`read`, row for row) and their people."""
        victims = _victims(involvements, persons)
        suspects = _suspect_genders(involvements, persons)
        networks = _networks(network_context)
        rows = []
        for inc, reading, flags, code, offence in zip(
                incidents["incident_id"].astype(str).tolist(), readings, _col(incidents, "flags").tolist(),
                _texts(incidents, "offence_code"), _texts(incidents, "offence")):
            rows.append(self.audit_one(inc, flag_list(flags), code, offence, reading,
                                       victims.get(inc, []), networks.get(inc, []), suspects.get(inc, frozenset())))
        return _judged(rows)

    def read(self, incidents: pd.DataFrame) -> list[Reading]:
        """Each incident's reading, row for row, which needs none of its people: what can be computed while
        they are still being resolved (audit.parallel.StagedAudit). A part of READ_ROWS at a time:
        the semantic reader embeds every clause of the part, and the classifier scores every
        summary of a sexual offence, in one batch; the part's clause vectors are then let go
        (a reader's half a million summaries kept theirs until their people came)."""
        out: list[Reading] = []
        for at in range(0, len(incidents), READ_ROWS):
            out += self._read(incidents.iloc[at:at + READ_ROWS])
            if self.semantic is not None:
                self.semantic.forget()
        return out

    def _read(self, incidents: pd.DataFrame) -> list[Reading]:
        summaries = [self.prepare(t) for t in _texts(incidents, "summary")]
        texts = [t for t, _ in summaries]
        offences = _texts(incidents, "offence")
        if self.semantic is not None:
            self.semantic.prime(texts)
        if self.classifier is not None:
            self.classifier.prime(self.sexual_offences(texts, _texts(incidents, "offence_code"), offences))
        dates: dict[tuple, tuple | None] = {}
        out = []
        for (t, read_as), offence, occ, rep in zip(summaries, offences, _texts(incidents, "occurred_at"),
                                                   _texts(incidents, "reported_at")):
            on = dates.get((occ, rep), False)
            if on is False:
                on = dates[(occ, rep)] = offence_dates(occ, rep)
            out.append(Reading(t, read_as, self.stated(t), tuple(self.findings(t, offence)), on))
        return out

    def audit_one(self, incident_id: str, flags: list[str], code: str | None, offence_text: str | None,
                  reading: Reading, victims: list[_Victim], networks: list[str],
                  suspect_genders: frozenset[str] = frozenset()) -> dict:
        offence = self._offence(code, offence_text)
        summary, read_as, found, on = reading.summary, reading.read_as, reading.found, reading.on
        age = self.age(victims, on, reading, offence, offence_text, suspect_genders)
        counted = [f for f in found if f.counted]

        reasons = [age.reason]
        sexual = _sexual(offence, counted, reasons)
        child = age.side == "child"
        exchanges = _first_per_category([f for f in counted if f.kind in ("exchange", "gain")])
        overruled: list[Finding] = []
        score: float | None = None
        implied = offence is not None and offence.implies_exchange
        if self.classifier is not None and child and sexual and not implied and summary:
            given_away = tuple(f.evidence for f in found if f.status == TO_OTHER and f.reader == "lexicon")
            score, exchanges, overruled = self.weigh(summary, exchanges, given_away)
        exchange = bool(exchanges)
        if implied:
            exchange = True
            reasons.append("EXCHANGE:offence(%s)" % offence.code)
        reasons += [_exchange_reason(f) for f in exchanges]
        if score is not None:
            reasons.append("CLASSIFIER:%.2f" % score)
        if networks and self.network_is_exchange and not exchange:
            exchange = True
            reasons.append("EXCHANGE:network_status")
        if not exchange:
            reasons.append("NO_EXCHANGE")

        cce_found = _first_per_category([f for f in counted if f.kind == "cce"])
        cce = bool(cce_found) or (offence is not None and offence.cce and not sexual)
        for f in cce_found[:2]:
            reasons.append('CCE:%s("%s")' % (f.reason, _quote(f.evidence)))
        reasons += [_uncounted_reason(f) for f in overruled]
        reasons += [_uncounted_reason(f) for f in found
                    if not f.counted and f.kind in ("exchange", "gain", "sexual")]
        if read_as:
            reasons.append("READ_AS(%s)" % ",".join("%s>%s" % pair for pair in read_as[:6]))
        reasons += network_reasons(networks)  # last: all a network changes but the exchange (with_networks)

        meets = child and sexual and exchange
        flagged = any(f.upper() == "CSE" for f in flags)
        verdict, suggested = _verdict(flags, flagged, meets, child, sexual, exchange, cce)
        if age.side is None or age.conflict:
            confidence = "low"
        elif age.basis != "dob" or (exchange and not exchanges and not (offence and offence.implies_exchange)):
            confidence = "medium"
        elif exchanges and all(f.reader in ("semantic", "classifier") for f in exchanges):
            confidence = "medium"
        else:
            confidence = "high"

        return {
            "incident_id": incident_id,
            "recorded_flags": ";".join(flags),
            "flagged_cse": flagged,
            "meets_cse_definition": meets,
            "verdict": verdict,
            "suggested_flags": ";".join(suggested),
            "reasons": ";".join(reasons),
            "victim_age": age.low,
            "victim_age_max": age.high,
            "age_basis": age.basis,
            "child": None if age.side is None else child,
            "sexual": sexual,
            "exchange": exchange,
            "cce_indicators": cce,
            "network_ids": ";".join(networks),
            "confidence": confidence,
            "audit_version": self.version,
        }


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series([None] * len(df), index=df.index, dtype=object)


def _suspect_genders(involvements: pd.DataFrame, persons: pd.DataFrame) -> dict[str, frozenset[str]]:
    """Sexes of each incident's suspects and offenders: whether "a 41-year-old man" can be the victim."""
    if involvements is None or involvements.empty or "gender" not in persons.columns:
        return {}
    roles = _col(involvements, "role").astype(str).str.upper().str.strip()
    inv = involvements[isin(roles, ["SUSPECT", "OFFENDER"])][["incident_id", "person_id"]]
    merged = inv.merge(persons[["person_id", "gender"]].drop_duplicates("person_id"), on="person_id", how="inner")
    out: dict[str, set[str]] = defaultdict(set)
    for inc, g in zip(merged["incident_id"].tolist(), merged["gender"].tolist()):
        g = _text(g)
        if g:
            out[str(inc)].add(g.upper()[:1])
    return {k: frozenset(v) for k, v in out.items()}


def _texts(df: pd.DataFrame, name: str) -> list[str | None]:
    """A column as stripped strings, None where missing or blank."""
    if name not in df.columns:
        return [None] * len(df)
    out = []
    for v in df[name].tolist():
        if isinstance(v, str):
            v = v.strip()
            out.append(v or None)
        else:
            out.append(_text(v))
    return out


def _victims(involvements: pd.DataFrame, persons: pd.DataFrame) -> dict[str, list[_Victim]]:
    if involvements is None or involvements.empty:
        return {}
    inv = involvements[_col(involvements, "role").astype(str).str.upper().str.strip() == "VICTIM"]
    inv = inv[["incident_id", "person_id"]].drop_duplicates()
    cols = [c for c in ("person_id", "date_of_birth", "dob_candidates", "gender") if c in persons.columns]
    per = persons[cols].drop_duplicates("person_id")
    merged = inv.merge(per, on="person_id", how="left")
    out: dict[str, list[_Victim]] = defaultdict(list)
    dobs = _col(merged, "date_of_birth").tolist()
    cands = _col(merged, "dob_candidates").tolist()
    genders = _col(merged, "gender").tolist()
    for inc, dob, cand, gender in zip(merged["incident_id"].tolist(), dobs, cands, genders):
        out[str(inc)].append(_Victim(_text(dob), _candidates(cand), _text(gender)))
    return out


def _candidates(value: object) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and value != value):
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(";") if v.strip())
    try:
        return tuple(str(v).strip() for v in value if _text(v))
    except TypeError:
        return ()


def _networks(network_context: pd.DataFrame | None) -> dict[str, list[str]]:
    if network_context is None or len(network_context) == 0:
        return {}
    out: dict[str, set[str]] = defaultdict(set)
    for inc, net in zip(network_context["incident_id"].tolist(), network_context["network_id"].tolist()):
        n = _text(net)
        if n is not None:
            out[str(inc)].add(n)
    return {k: sorted(v) for k, v in out.items()}


def network_reasons(networks: list[str]) -> list[str]:
    return ["NETWORK:%s" % "+".join(networks[:3])] if networks else []


def with_networks(verdicts: pd.DataFrame, network_context: pd.DataFrame) -> pd.DataFrame:
    """Verdicts audited without network context as audit_incidents gives them with it, no
    summary read again: unless a network is taken as the exchange (`network_is_exchange`),
    it changes only the reason that cites it, last, and `network_ids`."""
    networks = _networks(network_context)
    cited = [networks.get(i, []) for i in verdicts["incident_id"].astype(str).tolist()]
    out = verdicts.copy()
    out["reasons"] = [";".join([r, *network_reasons(n)] if r else network_reasons(n))
                      for r, n in zip(out["reasons"].tolist(), cited)]
    out["network_ids"] = [";".join(n) for n in cited]
    return out


def audit_incidents(incidents: pd.DataFrame, involvements: pd.DataFrame, persons: pd.DataFrame,
                    network_context: pd.DataFrame | None = None, lexicon: Lexicon | None = None, *,
                    codes: OffenceCodes | None = None, network_is_exchange: bool = False,
                    semantic: SemanticReader | bool = True, spelling: Speller | bool = True,
                    classifier: ExchangeClassifier | bool = True) -> pd.DataFrame:
    """One row per incident: the verdict on its CSE flag under the statutory definition, and why.

    `persons` has one row per resolved person: person_id, date_of_birth (most precise),
    gender and optionally dob_candidates (every DOB its records give). `network_context`
    (incident_id, network_id) names incidents attributed to a detected network; it is
    reported, and counts as the exchange element (the perpetrators' status within the
    group) only when `network_is_exchange` is set.
    """
    auditor = Auditor(lexicon, codes, network_is_exchange, semantic, spelling, classifier)
    return auditor.judge(incidents, involvements, persons, network_context, auditor.read(incidents))


def _judged(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    for col in ("victim_age", "victim_age_max"):
        out[col] = out[col].astype("Int64")
    out["child"] = out["child"].astype("boolean")
    return out


def current_version() -> str:
    """What a pipeline audit stamps on its verdicts now (code, lexicon, exemplars and the
    classifier's training): a verdict stamped otherwise is re-audited. Named without
    training the classifier: the audit itself runs in worker processes."""
    from csenet.audit.classifier import default_version

    return Auditor(classifier=False).version + "+classifier-" + default_version()


__all__ = ["AUDIT_COLUMNS", "AUDIT_VERSION", "Auditor", "Reading", "audit_incidents", "current_version", "flag_list",
           "with_networks"]
