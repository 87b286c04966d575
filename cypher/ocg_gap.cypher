// name: ocg_gap
// title: Networks found against OCGs mapped, per district
// purpose: For each district, how many networks the records show, how many the OCG map does not show as a group, how many have no member on it at all, and how many are not mapped as CSE groups: the gap between the formal map and the evidence.
// inquiry: IICSA (2022): forces relying on OCG mapping reported no CSE networks; the Inquiry's definition is wider than an organised crime group.
// param: district string max=200 -- only this district
// returns: district, networks, not_ocg_mapped, no_member_on_ocg_map, not_mapped_as_cse, perpetrators_and_facilitators, victims, ocg_ids_on_networks
MATCH (n:Network)
UNWIND (CASE WHEN size(n.districts) = 0 THEN ['(unknown)'] ELSE n.districts END) AS district
WITH district, n
WHERE $district IS NULL OR district = $district
OPTIONAL MATCH (v:Person)-[m:IN_NETWORK]->(n)
WHERE m.role = 'VICTIM'
WITH district, n, count(DISTINCT v) AS victims_here, collect(DISTINCT v.person_id) AS victim_ids
WITH district, collect(n) AS nets, collect(victim_ids) AS victim_lists
RETURN district, size(nets) AS networks,
       size([x IN nets WHERE NOT x.ocg_mapped]) AS not_ocg_mapped,
       size([x IN nets WHERE NOT x.member_on_ocg_map]) AS no_member_on_ocg_map,
       size([x IN nets WHERE NOT x.ocg_mapped_as_cse]) AS not_mapped_as_cse,
       reduce(s = 0, x IN nets | s + x.size) AS perpetrators_and_facilitators,
       size(reduce(acc = [], vs IN victim_lists | acc + [v IN vs WHERE NOT v IN acc])) AS victims,
       reduce(acc = [], x IN nets | acc + [o IN x.ocg_ids WHERE NOT o IN acc]) AS ocg_ids_on_networks
ORDER BY district
