// name: brokers
// title: People whose ties link separate groups
// purpose: People whose association ties connect networks or otherwise separate people (bridging score: share of shortest association paths that pass through them within their connected group), and the networks they link. A position in the web of ties, not a rank: it does not mean leader.
// inquiry: IICSA (2022); Cockbain (2018): CSE networks are mostly loose and without hierarchy, so links between groups matter more than presumed ringleaders.
// param: min_score float default=0 min=0 max=1 -- lowest bridging score
// param: network_id string max=40 -- only people in or bridging to this network
// param: limit int default=100 min=1 max=5000 -- most rows
// returns: person_id, family_name, given_names, bridging_score, network_ids, bridges_network_ids
MATCH (p:Person)
WHERE p.bridging_score IS NOT NULL AND p.bridging_score >= $min_score
WITH p, reduce(srt = [], el IN [(p)-[m:IN_NETWORK]->(n:Network) WHERE m.role <> 'VICTIM' | n.network_id] | [e2 IN srt WHERE e2 < el] + [el] + [e2 IN srt WHERE e2 >= el]) AS network_ids,
     coalesce(p.bridges_network_ids, []) AS bridges_network_ids
WHERE $network_id IS NULL OR $network_id IN network_ids OR $network_id IN bridges_network_ids
RETURN p.person_id AS person_id, p.family_name AS family_name, p.given_names AS given_names,
       p.bridging_score AS bridging_score, network_ids, bridges_network_ids
ORDER BY size(bridges_network_ids) DESC, bridging_score DESC, person_id
LIMIT $limit
