"""Every write the loader sends: one idempotent `UNWIND $rows ... MERGE` statement each.

Provenance is appended only when new (`source_rows`, `load_ids`), so loading the same
bundle twice changes nothing. Relationship types that cannot be parameters come from
the fixed role table below, never from input.
"""

from __future__ import annotations

_PROVENANCE = """
SET {v}.source = row.source,
    {v}.source_rows = CASE WHEN row.source_row IN coalesce({v}.source_rows, []) THEN {v}.source_rows
                       ELSE coalesce({v}.source_rows, []) + row.source_row END,
    {v}.load_ids = CASE WHEN $load_id IN coalesce({v}.load_ids, []) THEN {v}.load_ids
                    ELSE coalesce({v}.load_ids, []) + $load_id END"""


def _prov(var: str) -> str:
    return _PROVENANCE.replace("{v}", var)


LOAD = """
UNWIND $rows AS row
MERGE (l:Load {load_id: row.load_id})
ON CREATE SET l.loaded_at = row.loaded_at
SET l.source = row.source, l.force = row.force, l.extracted_at = row.extracted_at, l.bundle = row.bundle,
    l.rows_read = row.rows_read, l.rows_loaded = row.rows_loaded, l.rows_rejected = row.rows_rejected,
    l.rows_warned = row.rows_warned, l.issue_summary = row.issue_summary, l.analysed_at = null
"""

LOCATIONS = """
UNWIND $rows AS row
MERGE (n:Location {location_id: row.key})
SET n += row.props""" + _prov("n")

INCIDENTS = """
UNWIND $rows AS row
MERGE (n:Incident {incident_id: row.key})
SET n += row.props""" + _prov("n")

PERSON_RECORDS = """
UNWIND $rows AS row
MERGE (n:PersonRecord {record_id: row.key})
SET n += row.props""" + _prov("n")

IDENTIFIERS = """
UNWIND $rows AS row
MERGE (n:Identifier {identifier_key: row.key})
SET n.kind = row.kind, n.value = row.value"""

OCGS = """
UNWIND $rows AS row
MERGE (n:OCG {ocg_id: row.key})
SET n += row.props""" + _prov("n")

MISSING_EPISODES = """
UNWIND $rows AS row
MERGE (n:MissingEpisode {episode_id: row.key})
SET n += row.props""" + _prov("n")

OCCURRED_AT = """
UNWIND $rows AS row
MATCH (i:Incident {incident_id: row.incident_id})
MATCH (l:Location {location_id: row.location_id})
MERGE (i)-[x:OCCURRED_AT]->(l)""" + _prov("x")

INVOLVED_IN = """
UNWIND $rows AS row
MATCH (r:PersonRecord {record_id: row.record_id})
MATCH (i:Incident {incident_id: row.incident_id})
MERGE (r)-[x:INVOLVED_IN {role: row.role}]->(i)""" + _prov("x")

RECORDED_ASSOCIATION = """
UNWIND $rows AS row
MATCH (a:PersonRecord {record_id: row.record_id_a})
MATCH (b:PersonRecord {record_id: row.record_id_b})
MERGE (a)-[x:RECORDED_ASSOCIATION {kind: row.kind, source_ref: row.source_ref}]->(b)
SET x += row.props""" + _prov("x")

HAS_IDENTIFIER = """
UNWIND $rows AS row
MATCH (r:PersonRecord {record_id: row.record_id})
MATCH (n:Identifier {identifier_key: row.identifier_key})
MERGE (r)-[x:HAS_IDENTIFIER]->(n)
SET x += row.props""" + _prov("x")

MEMBER_OF = """
UNWIND $rows AS row
MATCH (r:PersonRecord {record_id: row.record_id})
MATCH (o:OCG {ocg_id: row.ocg_id})
MERGE (r)-[x:MEMBER_OF]->(o)
SET x += row.props""" + _prov("x")

REPORTED_MISSING = """
UNWIND $rows AS row
MATCH (r:PersonRecord {record_id: row.record_id})
MATCH (m:MissingEpisode {episode_id: row.episode_id})
MERGE (r)-[x:REPORTED_MISSING]->(m)""" + _prov("x")

FOUND_AT = """
UNWIND $rows AS row
MATCH (m:MissingEpisode {episode_id: row.episode_id})
MATCH (l:Location {location_id: row.location_id})
MERGE (m)-[x:FOUND_AT]->(l)""" + _prov("x")

# -- the person layer ---------------------------------------------------------------

PERSONS_WITH_RECORDS = """
UNWIND $rows AS row
MERGE (p:Person {person_id: row.key})
SET p += row.props
WITH p, row
UNWIND row.records AS rec
MATCH (r:PersonRecord {record_id: rec.record_id})
MERGE (r)-[x:RESOLVED_TO]->(p)
SET x.match_probability = rec.match_probability, x.method = rec.method, x.model_version = rec.model_version
WITH r, p
MATCH (r)-[old:RESOLVED_TO]->(q:Person)
WHERE q.person_id <> p.person_id
DELETE old
WITH DISTINCT q
OPTIONAL MATCH (q)<-[k:RESOLVED_TO]-(:PersonRecord)
WITH q, count(k) AS remaining
WHERE remaining = 0
DETACH DELETE q"""
"""A person is written together with its records, and a record moves in the statement that
links it to its new person: no reader ever sees a Person without records, or a record
between two persons. A person left with no records is retired in that same statement."""

RETIRE_PERSONS = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row})
WHERE NOT (p)<-[:RESOLVED_TO]-(:PersonRecord)
DETACH DELETE p"""

ROLE_TYPES = {
    "VICTIM": "VICTIM_IN", "SUSPECT": "SUSPECT_IN", "OFFENDER": "OFFENDER_IN",
    "WITNESS": "WITNESS_IN", "REPORTER": "REPORTER_IN", "OTHER": "OTHER_IN",
}
DERIVED_TYPES = tuple(ROLE_TYPES.values()) + ("ASSOCIATE_OF", "USES", "MAPPED_TO", "WENT_MISSING")

STALE_PROJECTION = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row})-[x:%s]-()
WHERE coalesce(x.derived_load, '') <> $load_id
DELETE x"""
"""A projection is re-derived (MERGE, stamped with the load) before what it no longer
holds is deleted, so a person never shows fewer incidents or links than it has."""
STALE_PROJECTIONS = {rel: STALE_PROJECTION % rel for rel in DERIVED_TYPES}

_ROLE_PROJECTION = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row})<-[:RESOLVED_TO]-(r:PersonRecord)-[:INVOLVED_IN {role: $role}]->(i:Incident)
WITH p, i, r ORDER BY r.record_id
WITH p, i, collect(DISTINCT r.record_id) AS record_ids
MERGE (p)-[x:%s]->(i)
SET x.record_ids = record_ids, x.derived_by = $derived_by, x.derived_load = $load_id"""

ROLE_PROJECTIONS = {role: _ROLE_PROJECTION % rel for role, rel in ROLE_TYPES.items()}

ASSOCIATE_OF = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row})<-[:RESOLVED_TO]-(ra:PersonRecord)-[a:RECORDED_ASSOCIATION]-(rb:PersonRecord)-[:RESOLVED_TO]->(q:Person)
WHERE p.person_id <> q.person_id
WITH CASE WHEN p.person_id < q.person_id THEN p ELSE q END AS lo,
     CASE WHEN p.person_id < q.person_id THEN q ELSE p END AS hi,
     CASE WHEN p.person_id < q.person_id THEN ra ELSE rb END AS rlo,
     CASE WHEN p.person_id < q.person_id THEN rb ELSE ra END AS rhi, a
ORDER BY rlo.record_id, rhi.record_id, a.source_ref, a.grade
WITH lo, hi, a.kind AS kind, collect(DISTINCT a.grade) AS grades, collect(DISTINCT a.source_ref) AS source_refs,
     collect(DISTINCT rlo.record_id) + collect(DISTINCT rhi.record_id) AS record_ids
MERGE (lo)-[x:ASSOCIATE_OF {kind: kind}]->(hi)
SET x.grades = grades, x.source_refs = source_refs, x.record_ids = record_ids, x.derived_by = $derived_by,
    x.derived_load = $load_id"""

# Projections between two persons, which two batches may reach from either end.
BETWEEN_PERSONS = frozenset({"ASSOCIATE_OF"})

_LINK_PROJECTION = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row})<-[:RESOLVED_TO]-(r:PersonRecord)-[:%s]->(n:%s)
WITH p, n, r ORDER BY r.record_id
WITH p, n, collect(DISTINCT r.record_id) AS record_ids
MERGE (p)-[x:%s]->(n)
SET x.record_ids = record_ids, x.derived_by = $derived_by, x.derived_load = $load_id"""

# person-level relationship: (record-level relationship, the node it leads to)
LINK_TYPES = {
    "USES": ("HAS_IDENTIFIER", "Identifier"),
    "MAPPED_TO": ("MEMBER_OF", "OCG"),
    "WENT_MISSING": ("REPORTED_MISSING", "MissingEpisode"),
}
LINK_PROJECTIONS = {rel: _LINK_PROJECTION % (fact, label, rel) for rel, (fact, label) in LINK_TYPES.items()}

# -- reads --------------------------------------------------------------------------

INCIDENTS_OF_PERSONS = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:%s]->(i:Incident)
RETURN DISTINCT i.incident_id AS incident_id""" % "|".join(ROLE_TYPES.values())

PEOPLE_OF_OCGS = """
UNWIND $ids AS oid
MATCH (:OCG {ocg_id: oid})<-[:MAPPED_TO]-(p:Person)
RETURN DISTINCT p.person_id AS person_id"""
PEOPLE_AT_LOCATIONS = """
UNWIND $ids AS lid
MATCH (:Location {location_id: lid})<-[:OCCURRED_AT]-(:Incident)<-[:%s]-(p:Person)
RETURN DISTINCT p.person_id AS person_id""" % "|".join(ROLE_TYPES.values())

EXISTING_RECORDS = """
MATCH (r:PersonRecord)
WHERE r.record_id > $after
WITH r ORDER BY r.record_id LIMIT $page
OPTIONAL MATCH (r)-[:RESOLVED_TO]->(p:Person)
RETURN r.record_id AS record_id, r.source AS source, r.family_name AS family_name,
       r.given_names AS given_names, r.date_of_birth AS date_of_birth,
       r.date_of_birth_raw AS date_of_birth_raw, r.gender AS gender,
       r.postcode AS postcode, r.address AS address, r.phones AS phones, r.national_id AS national_id,
       p.person_id AS person_id
ORDER BY record_id"""

ANY_NODE = "MATCH (n) WITH n LIMIT 1 RETURN count(n) AS n"

KNOWN_IDS = {
    ("Incident", "incident_id"): "UNWIND $ids AS id MATCH (n:Incident {incident_id: id}) RETURN n.incident_id AS id",
    ("PersonRecord", "record_id"): "UNWIND $ids AS id MATCH (n:PersonRecord {record_id: id}) RETURN n.record_id AS id",
    ("Location", "location_id"): "UNWIND $ids AS id MATCH (n:Location {location_id: id}) RETURN n.location_id AS id",
    ("Person", "person_id"): "UNWIND $ids AS id MATCH (n:Person {person_id: id}) RETURN n.person_id AS id",
}
