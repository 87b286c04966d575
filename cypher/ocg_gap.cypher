// name: ocg_gap
// title: Networks found against OCGs mapped, per district
// purpose: For each district, how many networks the records show, how many have no member on the OCG map, and how many are not mapped as CSE groups: the gap between the formal map and the evidence.
// inquiry: IICSA (2022): forces relying on OCG mapping reported no CSE networks; the Inquiry's definition is wider than an organised crime group.
// param: district string max=200 -- only this district
// returns: district, networks, not_ocg_mapped, not_mapped_as_cse, perpetrators_and_facilitators, victims, ocg_ids_on_networks
MATCH (n:Network)
UNWIND (CASE WHEN size(n.districts) = 0 THEN ['(unknown)'] ELSE n.districts END) AS district
WITH district, n
WHERE $district IS NULL OR district = $district
UNWIND (CASE WHEN size(n.ocg_ids) = 0 THEN [null] ELSE n.ocg_ids END) AS ocg_id
WITH district, n, collect(ocg_id) AS ocgs
RETURN district, count(n) AS networks,
       count(CASE WHEN NOT n.ocg_mapped THEN 1 END) AS not_ocg_mapped,
       count(CASE WHEN NOT n.ocg_mapped_as_cse THEN 1 END) AS not_mapped_as_cse,
       sum(n.size) AS perpetrators_and_facilitators, sum(n.victim_count) AS victims,
       reduce(acc = [], o IN collect(ocgs) | acc + [x IN o WHERE NOT x IN acc]) AS ocg_ids_on_networks
ORDER BY district
