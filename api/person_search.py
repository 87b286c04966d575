# SPDX-License-Identifier: GPL-3.0-or-later
"""Finding a person by name, date of birth or identifier, tolerant of recording errors.

Candidates come from parameterised queries on things that survive misspelling — the
first letters of any recorded family or given name, the birth year, an identifier — and
are ranked in Python with Jaro-Winkler similarity over every recorded form of the name
(records included, so Nowel finds Nowell) plus date-of-birth agreement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rapidfuzz.distance import JaroWinkler

from csenet.graph.store import GraphStore
from csenet.resolution.normalise import date_of_birth as norm_dob
from csenet.resolution.normalise import dob_compatible, name_forms, name_tokens, phone

CANDIDATE_CAP = 2000

_BY_FAMILY_PREFIX = (
    "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person) WHERE r.family_prefix = $prefix "
    "RETURN DISTINCT p.person_id AS person_id LIMIT $cap"
)
_BY_GIVEN_PREFIX = (
    "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person) WHERE r.given_prefix = $prefix "
    "RETURN DISTINCT p.person_id AS person_id LIMIT $cap"
)
_BY_BIRTH_YEAR = (
    "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person) WHERE r.date_of_birth STARTS WITH $year "
    "RETURN DISTINCT p.person_id AS person_id LIMIT $cap"
)
_BY_IDENTIFIER = (
    "MATCH (p:Person)-[:USES]->(i:Identifier) WHERE i.identifier_key IN $keys OR i.value IN $values "
    "RETURN DISTINCT p.person_id AS person_id LIMIT $cap"
)
_BY_NATIONAL_ID = (
    "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person) WHERE r.national_id IN $values "
    "RETURN DISTINCT p.person_id AS person_id LIMIT $cap"
)
_DETAILS = (
    "UNWIND $ids AS pid MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person {person_id: pid}) "
    "RETURN p.person_id AS person_id, p.family_name AS family_name, p.given_names AS given_names, "
    "p.date_of_birth AS date_of_birth, p.gender AS gender, p.record_count AS record_count, "
    "collect([r.record_id, r.family_name, r.given_names, r.date_of_birth]) AS records"
)


def split_name(name: str) -> tuple[list[str], str | None]:
    """(given tokens, family token) from 'Given Family' or 'Family, Given'."""
    if "," in name:
        family, _, given = name.partition(",")
        fam = name_tokens(family)
        return name_tokens(given), ("".join(fam) or None)
    tokens = name_tokens(name)
    if not tokens:
        return [], None
    return tokens[:-1], tokens[-1]


def _name_score(q_given: list[str], q_family: str | None, family: Any, given: Any) -> float:
    fam = "".join(name_tokens(family))
    giv = name_tokens(given)
    fam_score = JaroWinkler.similarity(q_family, fam) if q_family else 0.0
    if q_family and not q_given:
        # one word: it may be either name
        fam_score = max(fam_score, max((JaroWinkler.similarity(q_family, g) for g in giv), default=0.0))
        return fam_score
    giv_score = 0.0
    if q_given and giv:
        q_forms = set(name_forms(q_given[0]))
        forms = set(name_forms(giv[0]))
        giv_score = 1.0 if q_forms & forms else JaroWinkler.similarity(q_given[0], giv[0])
    return 0.6 * fam_score + 0.4 * giv_score


def identifier_forms(raw: str) -> tuple[list[str], list[str]]:
    """(identifier keys, plain values) the raw identifier could be stored as."""
    raw = raw.strip()
    compact = re.sub(r"\s+", "", raw)
    values = {raw, compact, compact.upper(), raw.lower()}
    keys = {"VEHICLE:" + compact.upper(), "EMAIL:" + raw.lower(), "SOCIAL:" + raw.lower()}
    tel = phone(raw)
    if tel:
        values.add(tel)
        keys.add("PHONE:" + tel)
    return sorted(keys), sorted(values)


def _candidates(store: GraphStore, q_given: list[str], q_family: str | None, dob: str | None,
                identifier: str | None, timeout_ms: int | None) -> tuple[set[str], set[str]]:
    """(every candidate person id, the ids an identifier matched)."""
    ids: set[str] = set()

    def collect(query: str, params: Mapping[str, Any]) -> None:
        for row in store.read(query, {**params, "cap": CANDIDATE_CAP}, timeout_ms=timeout_ms, limit=CANDIDATE_CAP):
            if row.get("person_id") is not None:
                ids.add(str(row["person_id"]))

    if q_family:
        collect(_BY_FAMILY_PREFIX, {"prefix": q_family[:2].lower()})
        if not q_given:
            collect(_BY_GIVEN_PREFIX, {"prefix": q_family[:2].lower()})
    if q_given:
        collect(_BY_GIVEN_PREFIX, {"prefix": q_given[0][:2].lower()})
    if dob and (q_family or q_given):
        collect(_BY_BIRTH_YEAR, {"year": dob[:4]})
    id_hits: set[str] = set()
    if identifier:
        keys, values = identifier_forms(identifier)
        before = set(ids)
        ids.clear()
        collect(_BY_IDENTIFIER, {"keys": keys, "values": values})
        collect(_BY_NATIONAL_ID, {"values": values})
        id_hits = set(ids)
        ids |= before
    return ids, id_hits


def _dob_score(dob: str, dobs: list[Any]) -> tuple[float, str | None]:
    if any(x == dob for x in dobs):
        return 0.2, "date of birth matches"
    if dobs and any(dob_compatible(dob, x) for x in dobs):
        return 0.1, "date of birth compatible"
    if dobs:
        return -0.3, "date of birth differs"
    return 0.0, None


def _hit(d: Mapping[str, Any], q_given: list[str], q_family: str | None, dob: str | None,
         id_hit: bool) -> dict[str, Any] | None:
    """One candidate scored, or None when it is not close enough to show."""
    records = d.get("records") or []
    forms = [(d.get("family_name"), d.get("given_names"))] + [(r[1], r[2]) for r in records]
    named = bool(q_family or q_given)
    score = max((_name_score(q_given, q_family, f, g) for f, g in forms), default=0.0) if named else 0.0
    reasons = []
    if dob:
        delta, reason = _dob_score(dob, [x for x in [d.get("date_of_birth")] + [r[3] for r in records] if x])
        score += delta
        reasons += [reason] if reason else []
    if id_hit:
        score += 1.0
        reasons.append("identifier matches")
    if not id_hit and (not named or score < 0.75):
        return None
    return {
        "person_id": d["person_id"], "family_name": d.get("family_name"), "given_names": d.get("given_names"),
        "date_of_birth": d.get("date_of_birth"), "gender": d.get("gender"),
        "record_count": d.get("record_count"), "score": round(score, 3), "reasons": reasons,
        "record_ids": sorted(r[0] for r in records if r[0]),
    }


def search(store: GraphStore, *, name: str | None, date_of_birth: str | None, identifier: str | None,
           limit: int, timeout_ms: int | None = None) -> list[dict[str, Any]]:
    q_given, q_family = split_name(name or "")
    dob = norm_dob(date_of_birth) if date_of_birth else None
    ids, id_hits = _candidates(store, q_given, q_family, dob, identifier, timeout_ms)
    if not ids:
        return []
    details = store.read(_DETAILS, {"ids": sorted(ids)}, timeout_ms=timeout_ms, limit=len(ids) + 1)
    results = [h for d in details if (h := _hit(d, q_given, q_family, dob, d["person_id"] in id_hits)) is not None]
    results.sort(key=lambda r: (-r["score"], r["person_id"]))
    return results[:limit]
