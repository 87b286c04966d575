// name: shared_victim_links
// title: Suspects of different incidents against the same child
// purpose: Pairs of people each recorded as suspect or offender against the same child in different incidents: the link a crime-by-crime view misses.
// inquiry: IICSA (2022): children were abused by several offenders over time, but each crime was investigated alone, so the links between the offenders were not seen.
// param: cse_only bool default=true -- only CSE-relevant incidents (audit verdict, else the recorded flag)
// param: district string max=200 -- only incidents in this district
// param: limit int default=200 min=1 max=5000 -- most rows
// returns: child_id, person_a, person_b, incidents_a, incidents_b, same_network_ids
MATCH (a:Person)-[:SUSPECT_IN|OFFENDER_IN]->(i1:Incident)<-[:VICTIM_IN]-(v:Person)-[:VICTIM_IN]->(i2:Incident)<-[:SUSPECT_IN|OFFENDER_IN]-(b:Person)
WHERE i1 <> i2 AND a <> b AND a.person_id < b.person_id AND a <> v AND b <> v
  AND (NOT $cse_only OR (coalesce(i1.meets_cse_definition, i1.flagged_cse, false)
                         AND coalesce(i2.meets_cse_definition, i2.flagged_cse, false)))
  AND ($district IS NULL OR i1.district = $district OR i2.district = $district)
WITH v, a, b, i1, i2 ORDER BY i1.incident_id, i2.incident_id
WITH v, a, b, collect(DISTINCT i1.incident_id) AS incidents_a, collect(DISTINCT i2.incident_id) AS incidents_b
RETURN v.person_id AS child_id, a.person_id AS person_a, b.person_id AS person_b, incidents_a, incidents_b,
       reduce(srt = [], el IN [(a)-[ma:IN_NETWORK]->(n:Network)<-[mb:IN_NETWORK]-(b) WHERE ma.role <> 'VICTIM' AND mb.role <> 'VICTIM' | n.network_id] | [e2 IN srt WHERE e2 < el] + [el] + [e2 IN srt WHERE e2 >= el]) AS same_network_ids
ORDER BY child_id, person_a, person_b
LIMIT $limit
