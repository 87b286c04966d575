# SPDX-License-Identifier: GPL-3.0-or-later
"""The parameterised reads behind a person's profile, on the person layer with evidence from records."""

from __future__ import annotations

ROLE_TYPES = ["VICTIM_IN", "SUSPECT_IN", "OFFENDER_IN", "WITNESS_IN", "REPORTER_IN", "OTHER_IN"]

# A Person only counts with its records: mid-load (Person written, RESOLVED_TO not yet) it is not shown.
PERSON = ("MATCH (p:Person {person_id: $pid})<-[:RESOLVED_TO]-(:PersonRecord) "
          "WITH DISTINCT p RETURN properties(p) AS person")

RECORDS = (
    "MATCH (r:PersonRecord)-[x:RESOLVED_TO]->(:Person {person_id: $pid}) "
    "RETURN properties(r) AS record, x.match_probability AS match_probability, x.method AS method, "
    "x.model_version AS model_version ORDER BY r.record_id"
)

INCIDENTS = (
    "MATCH (:Person {person_id: $pid})-[x]->(i:Incident) WHERE type(x) IN $roles "
    "RETURN type(x) AS relationship, x.record_ids AS record_ids, properties(i) AS incident "
    "ORDER BY i.incident_id"
)

ASSOCIATES = (
    "MATCH (:Person {person_id: $pid})-[a:ASSOCIATE_OF|ASSOCIATED_WITH]-(q:Person) "
    "RETURN q.person_id AS person_id, q.family_name AS family_name, q.given_names AS given_names, "
    "q.date_of_birth AS date_of_birth, type(a) AS relationship, properties(a) AS evidence "
    "ORDER BY q.person_id, type(a), a.kind LIMIT $limit"
)

IDENTIFIERS = (
    "MATCH (:Person {person_id: $pid})-[u:USES]->(i:Identifier) "
    "RETURN i.identifier_key AS identifier_key, i.kind AS kind, i.value AS value, u.record_ids AS record_ids "
    "ORDER BY i.identifier_key"
)

OCGS = (
    "MATCH (:Person {person_id: $pid})-[m:MAPPED_TO]->(o:OCG) "
    "RETURN o.ocg_id AS ocg_id, o.name AS name, o.primary_crime AS primary_crime, m.record_ids AS record_ids "
    "ORDER BY o.ocg_id"
)

MISSING = (
    "MATCH (:Person {person_id: $pid})-[w:WENT_MISSING]->(m:MissingEpisode) "
    "RETURN m.episode_id AS episode_id, m.started_at AS started_at, m.ended_at AS ended_at, "
    "w.record_ids AS record_ids ORDER BY m.started_at"
)

NETWORKS = (
    "MATCH (:Person {person_id: $pid})-[x:IN_NETWORK]->(n:Network) "
    "RETURN n.network_id AS network_id, coalesce(x.role, x.member_role) AS member_role ORDER BY n.network_id"
)
