// A known-good query for tests/test_cypher_lint.py: written to csenet's graph model, it
// must lint with no diagnostic at all. Not a canned query (those live in cypher/).
MATCH (p:Person)-[:SUSPECT_IN]->(i:Incident)
WHERE i.district = $district AND i.occurred_at >= $since
OPTIONAL MATCH (p)<-[r:RESOLVED_TO]-(pr:PersonRecord)
WITH p, count(DISTINCT i) AS incidents, collect(DISTINCT pr.record_id) AS record_ids
RETURN p.person_id AS person_id, p.family_name AS family_name, incidents, record_ids
ORDER BY incidents DESC, person_id
LIMIT $limit
