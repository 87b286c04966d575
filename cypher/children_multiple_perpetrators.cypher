// name: children_multiple_perpetrators
// title: Children linked to two or more perpetrators
// purpose: Children recorded as victims of two or more different suspects or offenders, with the incidents and any network those people belong to.
// inquiry: IICSA (2022): a child abused by several people is the clearest sign of a network, yet was often recorded as unrelated crimes.
// param: cse_only bool default=true -- only CSE-relevant incidents (audit verdict, else the recorded flag)
// param: min_perpetrators int default=2 min=2 max=1000 -- fewest different perpetrators
// param: district string max=200 -- only incidents in this district
// param: limit int default=200 min=1 max=5000 -- most rows
// returns: child_id, date_of_birth, perpetrator_count, perpetrator_ids, incident_ids, network_ids
MATCH (v:Person)-[:VICTIM_IN]->(i:Incident)<-[:SUSPECT_IN|OFFENDER_IN]-(s:Person)
WHERE s <> v
  AND (NOT $cse_only OR coalesce(i.meets_cse_definition, i.flagged_cse, false))
  AND ($district IS NULL OR i.district = $district)
WITH v, s, i ORDER BY s.person_id, i.incident_id
WITH v, collect(DISTINCT s.person_id) AS perpetrator_ids, collect(DISTINCT i.incident_id) AS incident_ids
WHERE size(perpetrator_ids) >= $min_perpetrators
RETURN v.person_id AS child_id, v.date_of_birth AS date_of_birth, size(perpetrator_ids) AS perpetrator_count,
       perpetrator_ids, incident_ids,
       reduce(srt = [], el IN [(v)-[m:IN_NETWORK]->(n:Network) WHERE m.role = 'VICTIM' | n.network_id] | [e2 IN srt WHERE e2 < el] + [el] + [e2 IN srt WHERE e2 >= el]) AS network_ids
ORDER BY perpetrator_count DESC, child_id
LIMIT $limit
