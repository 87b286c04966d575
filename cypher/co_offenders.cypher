// name: co_offenders
// title: Incidents with several suspects
// purpose: Incidents where two or more people are recorded as suspects or offenders: several adults abusing one child together.
// inquiry: IICSA (2022): group offending against a child was recorded as separate crimes by separate people rather than as a network.
// param: cse_only bool default=true -- only CSE-relevant incidents (audit verdict, else the recorded flag)
// param: min_suspects int default=2 min=2 max=1000 -- fewest suspects in the incident
// param: district string max=200 -- only incidents in this district
// param: since date -- only incidents from this date (occurred, else reported)
// param: until date -- only incidents up to this date
// param: limit int default=200 min=1 max=5000 -- most rows
// returns: incident_id, occurred_at, district, offence, suspect_count, suspect_ids, victim_ids
MATCH (s:Person)-[:SUSPECT_IN|OFFENDER_IN]->(i:Incident)
WHERE (NOT $cse_only OR coalesce(i.meets_cse_definition, i.flagged_cse, false))
  AND ($district IS NULL OR i.district = $district)
  AND ($since IS NULL OR substring(coalesce(i.occurred_at, i.reported_at), 0, 10) >= $since)
  AND ($until IS NULL OR substring(coalesce(i.occurred_at, i.reported_at), 0, 10) <= $until)
WITH i, s ORDER BY s.person_id
WITH i, collect(DISTINCT s.person_id) AS suspect_ids
WHERE size(suspect_ids) >= $min_suspects
OPTIONAL MATCH (v:Person)-[:VICTIM_IN]->(i)
WITH i, suspect_ids, v ORDER BY v.person_id
WITH i, suspect_ids, collect(DISTINCT v.person_id) AS victim_ids
RETURN i.incident_id AS incident_id, coalesce(i.occurred_at, i.reported_at) AS occurred_at, i.district AS district,
       i.offence AS offence, size(suspect_ids) AS suspect_count, suspect_ids, victim_ids
ORDER BY suspect_count DESC, incident_id
LIMIT $limit
