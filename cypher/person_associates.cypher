// name: person_associates
// title: A person's associates within one to three steps, with the evidence of each step
// purpose: Everyone linked to a person by association evidence (co-offending, shared victim, intelligence, shared phone or vehicle, shared home, same premises, facilitation), the shortest chain of links and what proves each link.
// inquiry: IICSA (2022): the evidence of loose associate and friendship groups was in force records but was never joined up.
// param: person_id string required max=40 -- the person's id (PER-...)
// param: hops int default=1 min=1 max=3 -- how many links away
// param: limit int default=200 min=1 max=2000 -- most rows
// returns: person_id, family_name, given_names, hops, path_person_ids, evidence, network_ids
// Breadth first, one ring at a time, so each person is reached once (not once per path).
// The chain shown is the shortest; among equally short ones, the first by person ids.
MATCH (p:Person {person_id: $person_id})
OPTIONAL MATCH (p)-[:ASSOCIATED_WITH]-(a:Person)
WITH p, collect(DISTINCT a) AS ring1
UNWIND CASE WHEN $hops >= 2 AND size(ring1) > 0 THEN ring1 ELSE [null] END AS a2
OPTIONAL MATCH (a2)-[:ASSOCIATED_WITH]-(b:Person)
WHERE b <> p AND NOT b IN ring1
WITH p, ring1, b, min(a2.person_id) AS b_via
WITH p, ring1, collect(CASE WHEN b IS NULL THEN null ELSE {node: b, via: [b_via]} END) AS ring2
WITH p, ring1, ring2, [x IN ring2 | x.node] AS ring2_nodes
UNWIND CASE WHEN $hops >= 3 AND size(ring2) > 0 THEN ring2 ELSE [null] END AS s3
WITH p, ring1, ring2, ring2_nodes, s3, s3.node AS b3
OPTIONAL MATCH (b3)-[:ASSOCIATED_WITH]-(c:Person)
WHERE c <> p AND NOT c IN ring1 AND NOT c IN ring2_nodes
WITH p, ring1, ring2, c, min(s3.via[0] + ' ' + b3.person_id) AS c_via
WITH p, ring1, ring2, collect(CASE WHEN c IS NULL THEN null ELSE {node: c, via: split(c_via, ' ')} END) AS ring3
UNWIND [x IN ring1 | {node: x, via: []}] + ring2 + ring3 AS found
WITH p, found.node AS q, found.via AS via
WITH p, q, size(via) + 1 AS hops, [p.person_id] + via + [q.person_id] AS ids
ORDER BY hops, q.person_id
LIMIT $limit
MATCH (p)-[r1:ASSOCIATED_WITH]-(n1:Person {person_id: ids[1]})
OPTIONAL MATCH (n1)-[r2:ASSOCIATED_WITH]-(n2:Person {person_id: ids[2]})
OPTIONAL MATCH (n2)-[r3:ASSOCIATED_WITH]-(n3:Person {person_id: ids[3]})
RETURN q.person_id AS person_id, q.family_name AS family_name, q.given_names AS given_names,
       hops, ids AS path_person_ids,
       [r IN [r1, r2, r3] WHERE r IS NOT NULL | {kinds: r.kinds, weight: r.weight, incident_ids: r.incident_ids,
         record_ids: r.record_ids, intel_refs: r.intel_refs, intel_grades: r.intel_grades,
         identifier_keys: r.identifier_keys, location_ids: r.location_ids, victim_ids: r.victim_ids}] AS evidence,
       [(q)-[m:IN_NETWORK]->(n:Network) WHERE m.role <> 'VICTIM' | n.network_id] AS network_ids
ORDER BY hops, person_id
LIMIT $limit
