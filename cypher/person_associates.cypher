// name: person_associates
// title: A person's associates within one to three steps, with the evidence of each step
// purpose: Everyone linked to a person by association evidence (co-offending, shared victim, intelligence, shared phone or vehicle, shared home, same premises, facilitation), the shortest chain of links and what proves each link.
// inquiry: IICSA (2022): the evidence of loose associate and friendship groups was in force records but was never joined up.
// param: person_id string required max=40 -- the person's id (PER-...)
// param: hops int default=1 min=1 max=3 -- how many links away
// param: limit int default=200 min=1 max=2000 -- most rows
// returns: person_id, family_name, given_names, hops, path_person_ids, evidence, network_ids
MATCH path = (p:Person {person_id: $person_id})-[:ASSOCIATED_WITH*1..3]-(q:Person)
WHERE length(path) <= $hops AND q <> p
WITH q, path
ORDER BY length(path), [x IN nodes(path) | x.person_id]
WITH q, collect(path)[0] AS path
RETURN q.person_id AS person_id, q.family_name AS family_name, q.given_names AS given_names,
       length(path) AS hops, [x IN nodes(path) | x.person_id] AS path_person_ids,
       [r IN relationships(path) | {kinds: r.kinds, weight: r.weight, incident_ids: r.incident_ids,
         record_ids: r.record_ids, intel_refs: r.intel_refs, intel_grades: r.intel_grades,
         identifier_keys: r.identifier_keys, location_ids: r.location_ids, victim_ids: r.victim_ids}] AS evidence,
       [(q)-[m:IN_NETWORK]->(n:Network) WHERE m.role <> 'VICTIM' | n.network_id] AS network_ids
ORDER BY hops, person_id
LIMIT $limit
