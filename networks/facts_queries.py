# SPDX-License-Identifier: GPL-3.0-or-later
"""The plain Cypher reads network detection's facts come from (networks/facts.py runs them).

Only MATCH/RETURN, so Neo4j and FalkorDB hand back the same rows; listings are paged on
their merge key ($after/$page) and look-ups take a chunk of ids ($ids).
"""

# Incidents that are CSE-relevant or were flagged CSE by the officer: where detection starts.
# A filtered scan of the incidents; everything else is read by id from here outwards. The
# page is cut after the scan, on a projected id: FalkorDB would otherwise walk the
# incident_id index from $after, four times slower than the scan.
Q_CSE_INCIDENTS = """
MATCH (i:Incident)
WHERE i.meets_cse_definition = true OR i.flagged_cse = true OR 'CSE' IN coalesce(i.flags, [])
WITH i, i.incident_id AS iid WHERE iid > $after
WITH i, iid ORDER BY iid LIMIT $page
OPTIONAL MATCH (i)-[:OCCURRED_AT]->(l:Location)
RETURN i.incident_id AS incident_id, i.occurred_at AS occurred_at, i.reported_at AS reported_at,
       i.district AS district, i.flagged_cse AS flagged_cse, i.flags AS flags,
       i.meets_cse_definition AS meets_cse_definition, i.offence_code AS offence_code,
       l.location_id AS location_id
ORDER BY incident_id
"""

# Detection around some people (networks/partial.py): the CSE incidents they have any role
# in, and the CSE incidents at those incidents' premises (same-premises evidence). The
# WITH before each filter on incidents keeps FalkorDB starting from the ids: without it,
# it plans a scan of every incident for each id.
_ANY_ROLE = "VICTIM_IN|SUSPECT_IN|OFFENDER_IN|WITNESS_IN|REPORTER_IN|OTHER_IN"
_CSE_WHERE = "i.meets_cse_definition = true OR i.flagged_cse = true OR 'CSE' IN coalesce(i.flags, [])"
_INCIDENT_COLUMNS = """i.incident_id AS incident_id, i.occurred_at AS occurred_at, i.reported_at AS reported_at,
       i.district AS district, i.flagged_cse AS flagged_cse, i.flags AS flags,
       i.meets_cse_definition AS meets_cse_definition, i.offence_code AS offence_code,
       l.location_id AS location_id"""
Q_CSE_INCIDENTS_OF = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:%s]->(i:Incident)
WITH DISTINCT i
WHERE %s
OPTIONAL MATCH (i)-[:OCCURRED_AT]->(l:Location)
RETURN %s
""" % (_ANY_ROLE, _CSE_WHERE, _INCIDENT_COLUMNS)
Q_CSE_INCIDENTS_AT = """
UNWIND $ids AS lid
MATCH (l:Location {location_id: lid}) WHERE coalesce(toUpper(l.kind), '') <> 'ONLINE'
MATCH (l)<-[:OCCURRED_AT]-(i:Incident)
WITH l, i
WHERE %s
RETURN %s
""" % (_CSE_WHERE, _INCIDENT_COLUMNS)
# Who of the given people is in the core of a whole detection: a role in a CSE incident.
Q_CSE_PEOPLE = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:%s]->(i:Incident)
WITH pid, i
WHERE %s
RETURN DISTINCT pid AS person_id
""" % (_ANY_ROLE, _CSE_WHERE)
# Who shares an incident with the given people (any role), and who the last detection tied to them.
Q_INCIDENT_SHARERS = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:%s]->(:Incident)<-[:%s]-(q:Person)
RETURN DISTINCT q.person_id AS person_id
""" % (_ANY_ROLE, _ANY_ROLE)
# The children of the incidents the given people are suspects or offenders in: whether
# those people offended against a child exploited in a CSE incident is read from them.
Q_THEIR_VICTIMS = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:SUSPECT_IN|OFFENDER_IN]->(:Incident)<-[:VICTIM_IN]-(v:Person)
RETURN DISTINCT v.person_id AS person_id
"""
Q_CO_SUSPECTS = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:SUSPECT_IN|OFFENDER_IN]->(:Incident)<-[:SUSPECT_IN|OFFENDER_IN]-(q:Person)
RETURN DISTINCT q.person_id AS person_id
"""
Q_LINKED = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:ASSOCIATED_WITH]-(q:Person)
RETURN DISTINCT q.person_id AS person_id
"""
# The last detection's components that hold any of the given people, and everyone in them
# (the children of its networks are not in its tie graph).
Q_COMPONENTS_OF = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[m:IN_NETWORK]->(n:Network) WHERE m.role <> 'VICTIM'
RETURN DISTINCT n.component_id AS component_id
"""
Q_COMPONENT_PEOPLE = """
MATCH (n:Network) WHERE n.component_id IN $ids
MATCH (p:Person)-[m:IN_NETWORK]->(n) WHERE m.role <> 'VICTIM'
RETURN DISTINCT p.person_id AS person_id
"""
# Networks that lost a member the last detection gave them (a person merged away).
Q_SHORT_NETWORKS = """
MATCH (n:Network)
OPTIONAL MATCH (p:Person)-[:IN_NETWORK]->(n)
WITH n, count(DISTINCT p) AS held
WHERE held < n.size + n.victim_count
RETURN n.component_id AS component_id
"""

Q_INCIDENTS_BY_ID = """
UNWIND $ids AS iid
MATCH (i:Incident {incident_id: iid})
OPTIONAL MATCH (i)-[:OCCURRED_AT]->(l:Location)
RETURN i.incident_id AS incident_id, i.occurred_at AS occurred_at, i.reported_at AS reported_at,
       i.district AS district, i.flagged_cse AS flagged_cse, i.flags AS flags,
       i.meets_cse_definition AS meets_cse_definition, i.offence_code AS offence_code,
       l.location_id AS location_id
"""

# Everyone involved in the given incidents, in any role.
Q_ROLES = """
UNWIND $ids AS iid
MATCH (p:Person)-[r:VICTIM_IN|SUSPECT_IN|OFFENDER_IN|WITNESS_IN|REPORTER_IN|OTHER_IN]->(i:Incident {incident_id: iid})
RETURN p.person_id AS person_id, iid AS incident_id, type(r) AS rel, r.record_ids AS record_ids
"""

# The incidents the given people are involved in as victim, suspect, offender or other party.
Q_PERSON_INCIDENTS = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:VICTIM_IN|SUSPECT_IN|OFFENDER_IN|OTHER_IN]->(i:Incident)
RETURN DISTINCT i.incident_id AS incident_id
"""

# Everyone involved in those other incidents, in the roles that make evidence.
Q_OTHER_ROLES = """
UNWIND $ids AS iid
MATCH (p:Person)-[r:VICTIM_IN|SUSPECT_IN|OFFENDER_IN|OTHER_IN]->(i:Incident {incident_id: iid})
RETURN p.person_id AS person_id, iid AS incident_id, type(r) AS rel, r.record_ids AS record_ids
"""

Q_PERSONS = """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})
RETURN pid AS person_id, p.date_of_birth AS date_of_birth
"""

# The given people's records (kept when they have a home address, the only use of a
# record here). Filtered in Python: a WHERE on r.postcode can lead FalkorDB to scan the
# postcode index instead of starting from the people.
Q_RECORDS = """
UNWIND $ids AS pid
MATCH (r:PersonRecord)-[:RESOLVED_TO]->(:Person {person_id: pid})
RETURN r.record_id AS record_id, pid AS person_id, r.postcode AS postcode, r.address AS address
"""

# Who else is recorded at a home: records and locations with the same postcode and (a
# loose form of) the same street address; Python then decides with address_key. $ids holds
# [postcode, [compact address, ...]], one per postcode (so its records are looked up and
# compacted once), compact as `compact_address` below computes it.
_COMPACT = ("replace(replace(replace(replace(replace(replace(toLower(%s), "
            "' ', ''), ',', ''), '.', ''), '-', ''), '/', ''), \"'\", '')")
_COMPACT_CHARS = " ,.-/'"
Q_RECORDS_AT = """
UNWIND $ids AS home
MATCH (r:PersonRecord {postcode: home[0]})
WHERE r.address IS NOT NULL AND %s IN home[1]
MATCH (r)-[:RESOLVED_TO]->(p:Person)
RETURN r.record_id AS record_id, p.person_id AS person_id, r.postcode AS postcode, r.address AS address
""" % (_COMPACT % "r.address")
# Without an index on PersonRecord.postcode, every record once, by pages (linear in the
# records: a filtered scan per chunk of homes would be records x homes).
Q_ALL_HOMES = """
MATCH (r:PersonRecord) WHERE r.record_id > $after
WITH r ORDER BY r.record_id LIMIT $page
OPTIONAL MATCH (r)-[:RESOLVED_TO]->(p:Person)
RETURN r.record_id AS record_id, p.person_id AS person_id, r.postcode AS postcode, r.address AS address
ORDER BY record_id
"""
Q_LOCATIONS_AT = """
UNWIND $ids AS home
MATCH (l:Location {postcode: home[0]})
WHERE l.address IS NOT NULL AND %s IN home[1]
RETURN l.location_id AS location_id, l.kind AS kind, l.postcode AS postcode, l.address AS address
""" % (_COMPACT % "l.address")

Q_LOCATIONS = """
UNWIND $ids AS lid
MATCH (l:Location {location_id: lid})
RETURN l.location_id AS location_id, l.kind AS kind, l.postcode AS postcode, l.address AS address
"""

# Recorded associations touching the given people's records, in either direction.
Q_RECORDED_OUT = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})<-[:RESOLVED_TO]-(ra:PersonRecord)-[x:RECORDED_ASSOCIATION]->(rb:PersonRecord)
      -[:RESOLVED_TO]->(q:Person)
RETURN pid AS a, q.person_id AS b, ra.record_id AS record_a, rb.record_id AS record_b, x.kind AS kind,
       x.grade AS grade, x.source_ref AS source_ref, x.recorded_at AS recorded_at
"""

Q_RECORDED_IN = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})<-[:RESOLVED_TO]-(rb:PersonRecord)<-[x:RECORDED_ASSOCIATION]-(ra:PersonRecord)
      -[:RESOLVED_TO]->(q:Person)
RETURN q.person_id AS a, pid AS b, ra.record_id AS record_a, rb.record_id AS record_b, x.kind AS kind,
       x.grade AS grade, x.source_ref AS source_ref, x.recorded_at AS recorded_at
"""

Q_USES = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[:USES]->(x:Identifier)
RETURN DISTINCT x.identifier_key AS identifier_key
"""

# Everyone using the given identifiers, for those used by few enough people to mean something.
Q_IDENTIFIER_USERS = """
UNWIND $ids AS key
MATCH (x:Identifier {identifier_key: key})<-[:HAS_IDENTIFIER]-(r:PersonRecord)-[:RESOLVED_TO]->(q:Person)
WITH key, collect(DISTINCT q.person_id) AS people, collect([q.person_id, r.record_id]) AS uses
WHERE size(people) <= $most
RETURN key AS identifier_key, uses
"""

# The OCG map is small: all of it, one row per OCG.
Q_OCG = """
MATCH (o:OCG) WHERE o.ocg_id > $after
WITH o ORDER BY o.ocg_id LIMIT $page
MATCH (p:Person)-[:MAPPED_TO]->(o)
RETURN o.ocg_id AS ocg_id, o.primary_crime AS primary_crime, collect(p.person_id) AS people
ORDER BY ocg_id
"""

Q_MISSING = """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[:WENT_MISSING]->(m:MissingEpisode)
OPTIONAL MATCH (m)-[:FOUND_AT]->(l:Location)
RETURN pid AS person_id, m.episode_id AS episode_id, m.started_at AS started_at,
       l.location_id AS found_location_id
"""
