// name: networks
// title: Networks under the Inquiry's definition
// purpose: Every detected network (two or more perpetrators or facilitators associated with one another) with its size, victims, districts, period and whether the formal OCG map shows the group (an OCG holding two or more of its members) or only some member of it, so the networks OCG mapping missed stand out.
// inquiry: IICSA, Child sexual exploitation by organised networks (2022): forces mapped only formal OCGs and reported "no networks" while their records held loose, unmapped groups.
// param: not_ocg_mapped bool default=false -- only networks the OCG map does not show as a group (no OCG holds two or more of their members; one may be mapped for other crime)
// param: not_mapped_as_cse bool default=false -- only networks the OCG map does not show as a CSE group
// param: min_size int default=2 min=2 max=100000 -- fewest perpetrators and facilitators
// param: district string max=200 -- only networks with a CSE incident in this district
// param: since date -- only networks active on or after this date (last incident)
// param: until date -- only networks active on or before this date (first incident)
// param: skip int default=0 min=0 max=1000000 -- rows to skip (paging)
// param: limit int default=100 min=1 max=1000 -- most rows
// returns: network_id, size, perpetrator_count, facilitator_count, victim_count, ocg_mapped, ocg_mapped_as_cse, ocg_mapping_ids, member_on_ocg_map, ocg_ids, ocg_primary_crimes, districts, first_seen, last_seen, density, tie_kinds, bridges_to, cse_basis
MATCH (n:Network)
WHERE n.size >= $min_size
  AND (NOT $not_ocg_mapped OR NOT n.ocg_mapped)
  AND (NOT $not_mapped_as_cse OR NOT n.ocg_mapped_as_cse)
  AND ($district IS NULL OR $district IN n.districts)
  AND ($since IS NULL OR n.last_seen >= $since)
  AND ($until IS NULL OR n.first_seen <= $until)
OPTIONAL MATCH (n)-[:BRIDGES_TO]-(o:Network)
WITH n, o ORDER BY o.network_id
WITH n, collect(DISTINCT o.network_id) AS bridges_to
RETURN n.network_id AS network_id, n.size AS size, n.perpetrator_count AS perpetrator_count,
       n.facilitator_count AS facilitator_count, n.victim_count AS victim_count, n.ocg_mapped AS ocg_mapped,
       n.ocg_mapped_as_cse AS ocg_mapped_as_cse, n.ocg_mapping_ids AS ocg_mapping_ids,
       n.member_on_ocg_map AS member_on_ocg_map, n.ocg_ids AS ocg_ids, n.ocg_primary_crimes AS ocg_primary_crimes,
       n.districts AS districts, n.first_seen AS first_seen, n.last_seen AS last_seen, n.density AS density,
       n.tie_kinds AS tie_kinds, bridges_to,
       n.cse_basis AS cse_basis
ORDER BY victim_count DESC, size DESC, network_id
SKIP $skip LIMIT $limit
