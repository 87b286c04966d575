# SPDX-License-Identifier: GPL-3.0-or-later
"""How an audit verdict is worded: the verdict on the recorded flag and the reason codes,
each quoting the words (and, for the semantic reader, the exemplar and score) it rests on."""

from __future__ import annotations

from csenet.audit.offences import Offence
from csenet.audit.text import Finding

CONFIRMED, OVER_FLAGGED, UNDER_FLAGGED, NOT_CSE = "CONFIRMED", "OVER_FLAGGED", "UNDER_FLAGGED", "NOT_CSE"

_EVIDENCE_MAX = 60


def _quote(text: str) -> str:
    text = " ".join(text.replace('"', "'").replace(";", ",").split())
    return text if len(text) <= _EVIDENCE_MAX else text[:_EVIDENCE_MAX - 1].rstrip() + "…"



def _verdict(flags: list[str], flagged: bool, meets: bool, child: bool, sexual: bool, exchange: bool,
             cce: bool) -> tuple[str, list[str]]:
    """The force-review verdict on the recorded flag, and the flag to suggest instead."""
    if flagged:
        verdict = CONFIRMED if meets else OVER_FLAGGED
    else:
        verdict = UNDER_FLAGGED if meets else NOT_CSE
    recorded = {f.upper() for f in flags}
    suggested: list[str] = []
    if verdict == UNDER_FLAGGED:
        suggested.append("CSE")
    elif verdict == OVER_FLAGGED and child:
        if sexual and not exchange:
            suggested.append("CSA")
        elif cce and not sexual:
            suggested.append("CCE")
    return verdict, [s for s in suggested if s not in recorded or s == "CSE"]


def _sexual(offence: Offence | None, counted: list[Finding], reasons: list[str]) -> bool:
    """Sexual activity from the offence code, else from the text; the reason is appended."""
    sexual_text = next((f for f in counted if f.kind == "sexual"), None)
    if offence is not None and offence.sexual:
        reasons.append("SEXUAL:%s" % offence.code)
        return True
    if sexual_text is not None:
        reasons.append('SEXUAL:text("%s")' % _quote(sexual_text.evidence))
        return True
    reasons.append("NOT_SEXUAL:%s" % offence.code if offence is not None else "NOT_SEXUAL")
    return False


def _semantic_detail(f: Finding) -> str:
    return '%s,%.2f,"%s"~"%s"' % (f.reason, f.score or 0.0, _quote(f.evidence), _quote(f.exemplar))


def _exchange_reason(f: Finding) -> str:
    """EXCHANGE:<reason>("evidence") from the lexicon; EXCHANGE:semantic(<family>,<score>,"clause"~"exemplar")."""
    if f.reader == "semantic":
        return "EXCHANGE:semantic(%s)" % _semantic_detail(f)
    if f.reader == "classifier":
        return 'EXCHANGE:classifier(%.2f,"%s"~"%s")' % (f.score or 0.0, _quote(f.evidence), _quote(f.exemplar))
    return 'EXCHANGE:%s("%s")' % (f.reason, _quote(f.evidence))


def _uncounted_reason(f: Finding) -> str:
    tag = {"negated": "NEGATED", "overruled": "OVERRULED"}.get(f.status, "IGNORED")
    extra = "" if tag != "IGNORED" else ",%s" % f.status
    if f.reader == "semantic":
        return "%s:semantic(%s%s)" % (tag, _semantic_detail(f), extra)
    return '%s:%s("%s"%s)' % (tag, f.reason if f.kind != "sexual" else "sexual", _quote(f.evidence), extra)


def _first_per_category(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        if f.category not in seen:
            seen.add(f.category)
            out.append(f)
    return out
