# SPDX-License-Identifier: GPL-3.0-or-later
"""The report's own reads: what the canned queries do not give, parameterised, read-only.

Every incident-level read takes the same `$district`, `$since` and `$until` (an incident's
day is its occurred_at, else reported_at, the same choice as its `year`), so every section
counts the same incidents.
"""

from __future__ import annotations

_INCIDENTS_IN_SCOPE = """
MATCH (i:Incident)
WHERE ($district IS NULL OR i.district = $district)
WITH i, substring(coalesce(i.occurred_at, i.reported_at, ''), 0, 10) AS day
WHERE ($since IS NULL OR day >= $since) AND ($until IS NULL OR (day <> '' AND day <= $until))
"""

AUDIT_BY_DISTRICT_YEAR = _INCIDENTS_IN_SCOPE + """
WITH coalesce(i.district, '(no district)') AS district, i.year AS year,
     coalesce(i.flagged_cse, false) AS flagged, coalesce(i.meets_cse_definition, false) AS meets,
     coalesce(i.suggested_flags, []) AS suggested
WITH district, year,
     count(CASE WHEN flagged THEN 1 END) AS flagged_cse,
     count(CASE WHEN flagged AND meets THEN 1 END) AS flagged_meeting_definition,
     count(CASE WHEN meets AND NOT flagged THEN 1 END) AS unflagged_meeting_definition,
     count(CASE WHEN meets THEN 1 END) AS audited_total,
     count(CASE WHEN flagged AND NOT meets THEN 1 END) AS over_flagged,
     count(CASE WHEN flagged AND 'CSA' IN suggested THEN 1 END) AS suggest_csa,
     count(CASE WHEN flagged AND 'CCE' IN suggested THEN 1 END) AS suggest_cce
WHERE flagged_cse > 0 OR audited_total > 0
RETURN district, year, flagged_cse, flagged_meeting_definition, unflagged_meeting_definition, audited_total,
       over_flagged, suggest_csa, suggest_cce
ORDER BY district, year
"""

AUDIT_EXAMPLES = _INCIDENTS_IN_SCOPE + """
WITH i WHERE i.cse_verdict = $verdict
  AND ($suggested IS NULL OR $suggested IN coalesce(i.suggested_flags, []))
RETURN i.incident_id AS incident_id, i.district AS district, i.year AS year, i.offence_code AS offence_code,
       i.cse_verdict AS verdict, coalesce(i.suggested_flags, []) AS suggested_flags, i.audit_reasons AS reasons
ORDER BY incident_id
LIMIT $limit
"""

AUDIT_UNDECIDED = _INCIDENTS_IN_SCOPE + """
WITH i, split(coalesce(i.audit_reasons, ''), ';') AS reasons
WITH i, reasons,
     any(r IN reasons WHERE r STARTS WITH 'AGE:UNKNOWN') AS age_unknown,
     any(r IN reasons WHERE r STARTS WITH 'SEXUAL') AS sexual,
     any(r IN reasons WHERE r STARTS WITH 'AGE<18') AS child,
     any(r IN reasons WHERE r = 'NO_EXCHANGE') AS no_exchange
RETURN count(i) AS incidents,
       count(CASE WHEN i.cse_verdict IS NULL THEN 1 END) AS not_audited,
       count(CASE WHEN coalesce(i.flagged_cse, false) AND age_unknown THEN 1 END) AS flagged_age_unknown,
       count(CASE WHEN sexual AND age_unknown THEN 1 END) AS sexual_age_unknown,
       count(CASE WHEN any(r IN reasons WHERE r CONTAINS 'AGE:CONFLICT') THEN 1 END) AS age_conflict,
       count(CASE WHEN sexual AND child AND no_exchange THEN 1 END) AS child_sexual_no_exchange
"""

PEOPLE = """
MATCH (r:PersonRecord) WITH count(r) AS records
OPTIONAL MATCH (p:Person)
RETURN records, count(p) AS persons, count(CASE WHEN p.record_count > 1 THEN 1 END) AS persons_with_several_records
"""

OCGS = "MATCH (o:OCG) RETURN count(o) AS ocgs, count(CASE WHEN o.primary_crime = 'CSE' THEN 1 END) AS cse_ocgs"

LOADS = """
MATCH (l:Load)
RETURN l.load_id AS load_id, l.source AS source, l.force AS force, l.extracted_at AS extracted_at,
       l.loaded_at AS loaded_at, l.bundle AS bundle, l.rows_read AS rows_read, l.rows_loaded AS rows_loaded,
       l.rows_rejected AS rows_rejected, l.rows_warned AS rows_warned, l.issue_summary AS issue_summary
ORDER BY loaded_at, load_id
"""

AUDIT_VERSIONS = """
MATCH (i:Incident) WHERE i.audit_version IS NOT NULL
RETURN i.audit_version AS version, count(*) AS incidents ORDER BY version
"""

DETECTION_VERSIONS = """
MATCH (n:Network) WHERE n.detection_version IS NOT NULL
RETURN n.detection_version AS version, count(*) AS networks ORDER BY version
"""

NETWORK_VICTIMS = """
UNWIND $ids AS k
MATCH (v:Person)-[m:IN_NETWORK]->(:Network {network_id: k})
WHERE m.role = 'VICTIM'
RETURN k AS network_id, collect(DISTINCT v.person_id) AS victim_ids
"""

MISSING_IN_PERIOD = """
UNWIND $ids AS k
MATCH (:Person {person_id: k})-[:WENT_MISSING]->(m:MissingEpisode)
WITH k, substring(coalesce(m.started_at, ''), 0, 10) AS day
WHERE ($since IS NULL OR day >= $since) AND ($until IS NULL OR (day <> '' AND day <= $until))
RETURN k AS child_id, count(*) AS episodes
"""

INCIDENT_SUSPECTS = """
UNWIND $ids AS k
MATCH (i:Incident {incident_id: k})
WITH i, substring(coalesce(i.occurred_at, i.reported_at, ''), 0, 10) AS day
WHERE ($since IS NULL OR day >= $since) AND ($until IS NULL OR (day <> '' AND day <= $until))
RETURN i.incident_id AS incident_id, [(i)<-[:SUSPECT_IN|OFFENDER_IN]-(s:Person) | s.person_id] AS suspect_ids
"""

LOAD_AT = "MATCH (l:Load {load_id: $load_id}) RETURN l.load_id AS load_id, l.loaded_at AS loaded_at"

LOADS_UP_TO = """
MATCH (l:Load) WHERE l.loaded_at < $loaded_at OR l.load_id = $load_id
RETURN collect(l.load_id) AS load_ids
"""

KNOWN_BY_DISTRICT = _INCIDENTS_IN_SCOPE + """
WITH i WHERE any(x IN coalesce(i.load_ids, []) WHERE x IN $load_ids)
WITH coalesce(i.district, '(no district)') AS district,
     coalesce(i.flagged_cse, false) AS flagged, coalesce(i.meets_cse_definition, false) AS meets
RETURN district, count(*) AS incidents, count(CASE WHEN flagged THEN 1 END) AS flagged_cse,
       count(CASE WHEN meets THEN 1 END) AS audited_total
ORDER BY district
"""

ALL_BY_DISTRICT = _INCIDENTS_IN_SCOPE + """
WITH coalesce(i.district, '(no district)') AS district,
     coalesce(i.flagged_cse, false) AS flagged, coalesce(i.meets_cse_definition, false) AS meets
RETURN district, count(*) AS incidents, count(CASE WHEN flagged THEN 1 END) AS flagged_cse,
       count(CASE WHEN meets THEN 1 END) AS audited_total
ORDER BY district
"""

NETWORK_INCIDENTS_KNOWN = """
UNWIND $ids AS k
MATCH (n:Network {network_id: k})
UNWIND n.incident_ids AS iid
MATCH (i:Incident {incident_id: iid})
RETURN k AS network_id, count(i) AS incidents,
       count(CASE WHEN any(x IN coalesce(i.load_ids, []) WHERE x IN $load_ids) THEN 1 END) AS known_then
"""

PERSON_NAMES = """
UNWIND $ids AS k
MATCH (p:Person {person_id: k})
OPTIONAL MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p)
RETURN k AS person_id, p.given_names AS given_names, p.family_name AS family_name,
       collect(DISTINCT {given_names: r.given_names, family_name: r.family_name}) AS records
"""

NETWORK_DISTRICTS = "MATCH (n:Network) RETURN n.network_id AS network_id, n.districts AS districts"

# Anyone who is a victim in any incident is pseudonymised, whatever their role here (as exports do).
VICTIMS_AMONG = [
    "UNWIND $ids AS k MATCH (p:Person {person_id: k})-[:VICTIM_IN]->(:Incident) RETURN DISTINCT k AS id",
    "UNWIND $ids AS k MATCH (:Person {person_id: k})<-[:RESOLVED_TO]-(:PersonRecord)-[v:INVOLVED_IN]->(:Incident) "
    "WHERE v.role = 'VICTIM' RETURN DISTINCT k AS id",
]
