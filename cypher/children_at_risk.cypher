// name: children_at_risk
// title: Missing children in contact with network members
// purpose: Children reported missing who are associated with members of a detected network, were found missing at a network's premises, or are already victims in a network: safeguarding referrals to make now.
// inquiry: IICSA (2022): repeat missing episodes were warning signs of exploitation that were not connected to the people the children were with.
// param: min_episodes int default=1 min=1 max=1000 -- fewest missing episodes
// param: since date -- only missing episodes from this date
// param: include_unlinked bool default=false -- also list missing children with no link to a network
// param: limit int default=200 min=1 max=5000 -- most rows
// returns: child_id, family_name, given_names, date_of_birth, missing_episodes, last_missing, found_at, network_contacts, found_at_network_premises, victim_in_networks
MATCH (c:Person)-[:WENT_MISSING]->(m:MissingEpisode)
WHERE $since IS NULL OR m.started_at >= $since
OPTIONAL MATCH (m)-[:FOUND_AT]->(l:Location)
WITH c, m, l ORDER BY l.location_id
WITH c, count(DISTINCT m) AS missing_episodes, max(m.started_at) AS last_missing,
     collect(DISTINCT l.location_id) AS found_at
WHERE missing_episodes >= $min_episodes
OPTIONAL MATCH (c)-[t:ASSOCIATED_WITH]-(x:Person)-[xm:IN_NETWORK]->(xn:Network) WHERE xm.role <> 'VICTIM'
WITH c, missing_episodes, last_missing, found_at, t, x, xn ORDER BY x.person_id, xn.network_id
WITH c, missing_episodes, last_missing, found_at,
     collect(DISTINCT CASE WHEN x IS NULL THEN null
             ELSE {person_id: x.person_id, network_id: xn.network_id, kinds: t.kinds} END) AS network_contacts
OPTIONAL MATCH (c)-[:WENT_MISSING]->(:MissingEpisode)-[:FOUND_AT]->(:Location)<-[:OCCURRED_AT]-(i:Incident)<-[:SUSPECT_IN|OFFENDER_IN]-(:Person)-[sm:IN_NETWORK]->(sn:Network)
  WHERE sm.role <> 'VICTIM' AND i.incident_id IN sn.incident_ids
WITH c, missing_episodes, last_missing, found_at, network_contacts, sn ORDER BY sn.network_id
WITH c, missing_episodes, last_missing, found_at, network_contacts, collect(DISTINCT sn.network_id) AS premises_networks
OPTIONAL MATCH (c)-[vm:IN_NETWORK]->(vn:Network) WHERE vm.role = 'VICTIM'
WITH c, missing_episodes, last_missing, found_at, network_contacts, premises_networks, vn ORDER BY vn.network_id
WITH c, missing_episodes, last_missing, found_at, network_contacts, premises_networks,
     collect(DISTINCT vn.network_id) AS victim_in_networks
WHERE $include_unlinked OR size(network_contacts) > 0 OR size(premises_networks) > 0 OR size(victim_in_networks) > 0
RETURN c.person_id AS child_id, c.family_name AS family_name, c.given_names AS given_names,
       c.date_of_birth AS date_of_birth, missing_episodes, last_missing, found_at, network_contacts,
       premises_networks AS found_at_network_premises,
       victim_in_networks
ORDER BY size(victim_in_networks) + size(network_contacts) + size(premises_networks) DESC,
         missing_episodes DESC, child_id
LIMIT $limit
