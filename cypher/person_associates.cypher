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
OPTIONAL MATCH (p)-[r:ASSOCIATED_WITH]-(a:Person)
WITH p, collect(a) AS ring1, collect({node: a, via: [], rels: [r]}) AS found1
UNWIND CASE WHEN $hops >= 2 AND size(found1) > 0 THEN found1 ELSE [null] END AS s2
WITH p, ring1, found1, s2, s2.node AS a2
OPTIONAL MATCH (a2)-[r2:ASSOCIATED_WITH]-(b:Person)
WHERE b <> p AND NOT b IN ring1
WITH p, ring1, found1, b, min(a2.person_id) AS b_via,
     collect({via: [a2.person_id], rels: s2.rels + [r2]}) AS b_options
WITH p, ring1, found1,
     collect(CASE WHEN b IS NULL THEN null
             ELSE {node: b, via: [b_via], rels: [o IN b_options WHERE o.via[0] = b_via][0].rels} END) AS ring2
WITH p, ring1, found1, ring2, [x IN ring2 | x.node] AS ring2_nodes
UNWIND CASE WHEN $hops >= 3 AND size(ring2) > 0 THEN ring2 ELSE [null] END AS s3
WITH p, ring1, found1, ring2, ring2_nodes, s3, s3.node AS b3
OPTIONAL MATCH (b3)-[r3:ASSOCIATED_WITH]-(c:Person)
WHERE c <> p AND NOT c IN ring1 AND NOT c IN ring2_nodes
WITH p, found1, ring2, c, min(s3.via[0] + ' ' + b3.person_id) AS c_key,
     collect({key: s3.via[0] + ' ' + b3.person_id, via: s3.via + [b3.person_id], rels: s3.rels + [r3]}) AS c_options
WITH p, found1, ring2,
     collect(CASE WHEN c IS NULL THEN null
             ELSE {node: c, chosen: [o IN c_options WHERE o.key = c_key][0]} END) AS ring3
UNWIND found1 + ring2 + [x IN ring3 | {node: x.node, via: x.chosen.via, rels: x.chosen.rels}] AS found
WITH p, found WHERE found.node IS NOT NULL
WITH p, found.node AS q, found.via AS via, found.rels AS rels
WITH q, size(rels) AS hops, [p.person_id] + via + [q.person_id] AS ids, rels
ORDER BY hops, q.person_id
LIMIT $limit
RETURN q.person_id AS person_id, q.family_name AS family_name, q.given_names AS given_names,
       hops, ids AS path_person_ids,
       [r IN rels | {kinds: r.kinds, weight: r.weight, incident_ids: r.incident_ids,
         record_ids: r.record_ids, intel_refs: r.intel_refs, intel_grades: r.intel_grades,
         identifier_keys: r.identifier_keys, location_ids: r.location_ids, victim_ids: r.victim_ids}] AS evidence,
       reduce(srt = [], el IN [(q)-[m:IN_NETWORK]->(n:Network) WHERE m.role <> 'VICTIM' | n.network_id] | [e2 IN srt WHERE e2 < el] + [el] + [e2 IN srt WHERE e2 >= el]) AS network_ids
ORDER BY hops, person_id
LIMIT $limit
