# SPDX-License-Identifier: GPL-3.0-or-later
"""The facts network detection reasons from, pulled with plain Cypher into pandas.

Only plain MATCH/RETURN reads, so Neo4j and FalkorDB hand back the same rows; big
listings are paged on their merge key and look-ups go by chunks of ids, so no read
outgrows the store's result limit. Everything is sorted, so what follows is
deterministic for the same graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from graph.store import GraphStore, read_paged

PAGE = 20_000
CHUNK = 5_000
ROLE_TYPES = ("VICTIM_IN", "SUSPECT_IN", "OFFENDER_IN", "WITNESS_IN", "REPORTER_IN", "OTHER_IN")

Q_INCIDENTS = """
MATCH (i:Incident) WHERE i.incident_id > $after
WITH i ORDER BY i.incident_id LIMIT $page
OPTIONAL MATCH (i)-[:OCCURRED_AT]->(l:Location)
RETURN i.incident_id AS incident_id, i.occurred_at AS occurred_at, i.reported_at AS reported_at,
       i.district AS district, i.flagged_cse AS flagged_cse, i.flags AS flags,
       i.meets_cse_definition AS meets_cse_definition, i.offence_code AS offence_code,
       l.location_id AS location_id, l.kind AS location_kind
ORDER BY incident_id
"""

Q_ROLES = """
UNWIND $ids AS iid
MATCH (p:Person)-[r:VICTIM_IN|SUSPECT_IN|OFFENDER_IN|WITNESS_IN|REPORTER_IN|OTHER_IN]->(i:Incident {incident_id: iid})
RETURN p.person_id AS person_id, i.incident_id AS incident_id, type(r) AS rel, r.record_ids AS record_ids
"""

Q_PERSONS = """
MATCH (p:Person) WHERE p.person_id > $after
WITH p ORDER BY p.person_id LIMIT $page
RETURN p.person_id AS person_id, p.date_of_birth AS date_of_birth
ORDER BY person_id
"""

Q_RECORDS = """
MATCH (r:PersonRecord) WHERE r.record_id > $after
WITH r ORDER BY r.record_id LIMIT $page
OPTIONAL MATCH (r)-[:RESOLVED_TO]->(p:Person)
RETURN r.record_id AS record_id, p.person_id AS person_id, r.postcode AS postcode, r.address AS address,
       r.phones AS phones
ORDER BY record_id
"""

Q_LOCATIONS = """
MATCH (l:Location) WHERE l.location_id > $after
WITH l ORDER BY l.location_id LIMIT $page
RETURN l.location_id AS location_id, l.kind AS kind, l.postcode AS postcode, l.address AS address
ORDER BY location_id
"""

Q_RECORDED = """
UNWIND $ids AS rid
MATCH (ra:PersonRecord {record_id: rid})-[x:RECORDED_ASSOCIATION]->(rb:PersonRecord)
RETURN ra.record_id AS record_a, rb.record_id AS record_b, x.kind AS kind, x.grade AS grade,
       x.source_ref AS source_ref, x.recorded_at AS recorded_at
"""

Q_IDENTIFIERS = """
UNWIND $ids AS rid
MATCH (r:PersonRecord {record_id: rid})-[h:HAS_IDENTIFIER]->(x:Identifier)
RETURN r.record_id AS record_id, x.identifier_key AS identifier_key, h.recorded_at AS recorded_at
"""

Q_OCG = """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[:MAPPED_TO]->(o:OCG)
RETURN p.person_id AS person_id, o.ocg_id AS ocg_id, o.primary_crime AS primary_crime
"""

Q_MISSING = """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[:WENT_MISSING]->(m:MissingEpisode)
OPTIONAL MATCH (m)-[:FOUND_AT]->(l:Location)
RETURN p.person_id AS person_id, m.episode_id AS episode_id, m.started_at AS started_at,
       l.location_id AS found_location_id
"""


def read_chunked(store: GraphStore, query: str, ids: Sequence[str], chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """Rows of a query taking `$ids`, asked for a chunk of ids at a time."""
    for start in range(0, len(ids), chunk):
        yield from store.read(query, {"ids": list(ids[start:start + chunk])})


def day(value: Any) -> str | None:
    """The date part of an ISO date or date-time, as text (sorts like a date)."""
    if not value:
        return None
    text = str(value)
    return text[:10] if len(text) >= 10 else None


_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def norm_postcode(value: Any) -> str | None:
    text = _SPACE.sub("", str(value or "")).upper()
    return text or None


def norm_address(value: Any) -> str | None:
    text = _SPACE.sub(" ", _PUNCT.sub(" ", str(value or "").lower())).strip()
    return text or None


def address_key(postcode: Any, address: Any) -> str | None:
    """Postcode and street address together: a postcode alone covers a street, not a home."""
    pc, ad = norm_postcode(postcode), norm_address(address)
    return "%s|%s" % (pc, ad) if pc and ad else None


@dataclass
class Facts:
    incidents: pd.DataFrame   # incident_id, date, district, cse, basis, flagged, location_id, location_kind, ...
    roles: pd.DataFrame       # person_id, incident_id, role, record_ids
    persons: pd.DataFrame     # person_id, date_of_birth
    records: pd.DataFrame     # record_id, person_id, home (address key)
    locations: pd.DataFrame   # location_id, kind, home (address key)
    recorded: pd.DataFrame    # a, b, record_a, record_b, kind, grade, source_ref, recorded_at
    identifiers: pd.DataFrame  # person_id, record_id, identifier_key
    ocg: pd.DataFrame         # person_id, ocg_id, primary_crime
    missing: pd.DataFrame     # person_id, episode_id, started_at, found_location_id


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Object columns with None for unknown (pandas would turn None into NaN, which is truthy)."""
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    df = pd.DataFrame(rows, columns=columns).astype(object)
    return df.where(df.notna(), None)


def cse_relevance(row: dict[str, Any]) -> tuple[bool, str]:
    """The flag audit's verdict where it exists, else the officer's CSE flag."""
    if row.get("meets_cse_definition") is not None:
        return bool(row["meets_cse_definition"]), "audit"
    flagged = row.get("flagged_cse")
    if flagged is None:
        flagged = "CSE" in [str(f).upper() for f in (row.get("flags") or [])]
    return bool(flagged), "recorded_flag"


def load_facts(store: GraphStore) -> Facts:
    incidents = []
    for row in read_paged(store, Q_INCIDENTS, "incident_id"):
        cse, basis = cse_relevance(row)
        flagged = cse_relevance({**row, "meets_cse_definition": None})[0]
        incidents.append({
            "incident_id": row["incident_id"], "date": day(row.get("occurred_at")) or day(row.get("reported_at")),
            "district": row.get("district"), "cse": cse, "basis": basis, "flagged": flagged,
            "location_id": row.get("location_id"),
            "location_kind": (row.get("location_kind") or "").upper() or None, "offence_code": row.get("offence_code"),
        })
    inc = _frame(incidents, ["incident_id", "date", "district", "cse", "basis", "flagged", "location_id",
                             "location_kind", "offence_code"])
    inc["cse"] = inc["cse"].astype(bool)
    inc["flagged"] = inc["flagged"].astype(bool)

    roles = [{"person_id": r["person_id"], "incident_id": r["incident_id"], "role": r["rel"][:-3],
              "record_ids": sorted(r.get("record_ids") or [])}
             for r in read_chunked(store, Q_ROLES, list(inc["incident_id"]))]
    roles_df = _frame(roles, ["person_id", "incident_id", "role", "record_ids"])
    if len(roles_df):
        roles_df = roles_df.sort_values(["incident_id", "person_id", "role"], kind="stable").reset_index(drop=True)

    persons = _frame(list(read_paged(store, Q_PERSONS, "person_id")), ["person_id", "date_of_birth"])

    rec_rows, phone_rows = [], []
    for r in read_paged(store, Q_RECORDS, "record_id"):
        rec_rows.append({"record_id": r["record_id"], "person_id": r.get("person_id"),
                         "home": address_key(r.get("postcode"), r.get("address"))})
        for phone in r.get("phones") or []:
            if r.get("person_id") and phone:
                phone_rows.append({"person_id": r["person_id"], "record_id": r["record_id"],
                                   "identifier_key": "PHONE:%s" % phone})
    records = _frame(rec_rows, ["record_id", "person_id", "home"])
    owner = dict(zip(records["record_id"], records["person_id"]))

    locations = _frame([{"location_id": r["location_id"], "kind": (r.get("kind") or "").upper() or None,
                         "home": address_key(r.get("postcode"), r.get("address"))}
                        for r in read_paged(store, Q_LOCATIONS, "location_id")], ["location_id", "kind", "home"])

    record_ids = list(records["record_id"])
    recorded = []
    for r in read_chunked(store, Q_RECORDED, record_ids):
        a, b = owner.get(r["record_a"]), owner.get(r["record_b"])
        if a and b and a != b:
            recorded.append({"a": a, "b": b, **r})
    recorded_df = _frame(recorded, ["a", "b", "record_a", "record_b", "kind", "grade", "source_ref", "recorded_at"])

    ident = [{"person_id": owner.get(r["record_id"]), "record_id": r["record_id"],
              "identifier_key": r["identifier_key"]} for r in read_chunked(store, Q_IDENTIFIERS, record_ids)]
    ident_df = _frame([r for r in ident if r["person_id"]] + phone_rows, ["person_id", "record_id", "identifier_key"])
    ident_df = ident_df.drop_duplicates().sort_values(["identifier_key", "person_id", "record_id"]).reset_index(drop=True)

    person_ids = list(persons["person_id"])
    ocg = _frame(list(read_chunked(store, Q_OCG, person_ids)), ["person_id", "ocg_id", "primary_crime"])
    ocg = ocg.drop_duplicates().sort_values(["person_id", "ocg_id"]).reset_index(drop=True)
    missing = _frame(list(read_chunked(store, Q_MISSING, person_ids)),
                     ["person_id", "episode_id", "started_at", "found_location_id"])
    missing = missing.sort_values(["person_id", "episode_id"]).reset_index(drop=True)
    return Facts(inc, roles_df, persons, records, locations, recorded_df, ident_df, ocg, missing)
