// name: network_detail
// title: One network: members, roles, victims and the evidence of every tie
// purpose: Who is in a network and why: each perpetrator's and facilitator's ties to the other members with the incidents, intelligence, identifiers and places that prove them, and each child's incidents with the members.
// inquiry: IICSA (2022): networks are mostly loose, without hierarchy (Cockbain 2018); a network is explained by its ties, co-offending, shared victims and cohesion, not by a presumed ringleader.
// param: network_id string required max=40 -- the network's id (NET-...)
// param: limit int default=500 min=1 max=5000 -- most rows
// returns: network_id, person_id, family_name, given_names, member_role, incident_ids, facilitation, ocg_ids, ties, abused_by
MATCH (n:Network {network_id: $network_id})<-[m:IN_NETWORK]-(p:Person)
OPTIONAL MATCH (p)-[t:ASSOCIATED_WITH]-(q:Person)-[qm:IN_NETWORK]->(n) WHERE m.role <> 'VICTIM' AND qm.role <> 'VICTIM'
WITH n, m, p, t, q ORDER BY q.person_id
WITH n, m, p,
     collect(CASE WHEN q IS NULL THEN null
             ELSE {person_id: q.person_id, kinds: t.kinds, weight: t.weight, incident_ids: t.incident_ids,
                   record_ids: t.record_ids, intel_refs: t.intel_refs, intel_grades: t.intel_grades,
                   identifier_keys: t.identifier_keys, location_ids: t.location_ids, victim_ids: t.victim_ids}
             END) AS ties
OPTIONAL MATCH (p)-[:VICTIM_IN]->(i:Incident)<-[:SUSPECT_IN|OFFENDER_IN]-(s:Person)-[sm:IN_NETWORK]->(n)
  WHERE m.role = 'VICTIM' AND sm.role <> 'VICTIM' AND i.incident_id IN m.incident_ids
WITH n, m, p, ties, i, s ORDER BY i.incident_id, s.person_id
WITH n, m, p, ties,
     collect(CASE WHEN s IS NULL THEN null ELSE {incident_id: i.incident_id, person_id: s.person_id} END) AS abused_by,
     CASE WHEN m.role = 'PERPETRATOR' THEN 0 WHEN m.role = 'FACILITATOR' THEN 1 ELSE 2 END AS role_order
RETURN n.network_id AS network_id, p.person_id AS person_id, p.family_name AS family_name,
       p.given_names AS given_names, m.role AS member_role, m.incident_ids AS incident_ids,
       m.facilitation AS facilitation,
       reduce(srt = [], el IN [(p)-[:MAPPED_TO]->(o:OCG) | o.ocg_id] | [e2 IN srt WHERE e2 < el] + [el] + [e2 IN srt WHERE e2 >= el]) AS ocg_ids, ties, abused_by
ORDER BY role_order, person_id
LIMIT $limit
