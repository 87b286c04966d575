# SPDX-License-Identifier: GPL-3.0-or-later
"""The parameterised reads behind a person's profile, on the person layer with evidence from records."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from csenet.loaders.statements import ROLE_TYPES

Read = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]

# A profile is read from one set of records: the person and its records come in one statement,
# and every section after it is evidence of exactly those records. A load that moves a record
# between persons mid-answer cannot leave the answer citing a record it does not show, or
# showing a record without its incidents (the person-level projections lag a moved record by
# a few statements; the profile does not depend on them).
PERSON = (
    "MATCH (p:Person {person_id: $pid})<-[:RESOLVED_TO]-(:PersonRecord) WITH DISTINCT p RETURN properties(p) AS person"
)

PERSON_RECORDS = (
    "MATCH (p:Person {person_id: $pid})<-[x:RESOLVED_TO]-(r:PersonRecord) "
    "RETURN properties(p) AS person, properties(r) AS record, x.match_probability AS match_probability, "
    "x.method AS method, x.model_version AS model_version ORDER BY r.record_id"
)

INCIDENTS = (
    "UNWIND $record_ids AS rid "
    "MATCH (r:PersonRecord {record_id: rid})-[v:INVOLVED_IN]->(i:Incident) "
    "WITH i, v.role AS role, r ORDER BY r.record_id "
    "WITH i, role, collect(DISTINCT r.record_id) AS record_ids "
    "RETURN role, record_ids, properties(i) AS incident ORDER BY i.incident_id, role"
)

_LINKED = (
    "UNWIND $record_ids AS rid "
    "MATCH (r:PersonRecord {record_id: rid})-[:%s]->(n:%s) "
    "WITH n, r ORDER BY r.record_id "
    "WITH n, collect(DISTINCT r.record_id) AS record_ids "
)

ASSOCIATES = (
    "MATCH (:Person {person_id: $pid})-[a:ASSOCIATE_OF|ASSOCIATED_WITH]-(q:Person) "
    "RETURN q.person_id AS person_id, q.family_name AS family_name, q.given_names AS given_names, "
    "q.date_of_birth AS date_of_birth, type(a) AS relationship, properties(a) AS evidence "
    "ORDER BY q.person_id, type(a), a.kind LIMIT $limit"
)

IDENTIFIERS = (
    _LINKED % ("HAS_IDENTIFIER", "Identifier")
    + "RETURN n.identifier_key AS identifier_key, n.kind AS kind, n.value AS value, record_ids "
    "ORDER BY n.identifier_key"
)

OCGS = (
    _LINKED % ("MEMBER_OF", "OCG")
    + "RETURN n.ocg_id AS ocg_id, n.name AS name, n.primary_crime AS primary_crime, record_ids ORDER BY n.ocg_id"
)

MISSING = (
    _LINKED % ("REPORTED_MISSING", "MissingEpisode")
    + "RETURN n.episode_id AS episode_id, n.started_at AS started_at, n.ended_at AS ended_at, record_ids "
    "ORDER BY n.started_at, n.episode_id"
)

NETWORKS = (
    "MATCH (:Person {person_id: $pid})-[x:IN_NETWORK]->(n:Network) "
    "RETURN n.network_id AS network_id, coalesce(x.role, x.member_role) AS member_role ORDER BY n.network_id"
)


def profile(read: Read, pid: str, associates_limit: int) -> dict[str, Any] | None:
    """A person's profile, or None when no person with records has that id."""
    rows = read(PERSON_RECORDS, {"pid": pid})
    if not rows:
        return None
    records = [{k: v for k, v in row.items() if k != "person"} for row in rows]
    by_records = {"record_ids": [r["record"]["record_id"] for r in records]}
    p = {"pid": pid}
    return {
        "person": rows[0]["person"],
        "records": records,
        "incidents": [{"relationship": ROLE_TYPES[row.pop("role")], **row}
                      for row in read(INCIDENTS, by_records)],
        "associates": read(ASSOCIATES, {**p, "limit": associates_limit}),
        "identifiers": read(IDENTIFIERS, by_records),
        "ocgs": read(OCGS, by_records),
        "missing_episodes": read(MISSING, by_records),
        "networks": read(NETWORKS, p),
    }
