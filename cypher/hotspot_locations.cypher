// name: hotspot_locations
// title: Premises linked to CSE incidents with different suspects
// purpose: Places (hotels, takeaways, flats, parks, vehicles) where CSE incidents with different suspects happened, with the children found there when missing.
// inquiry: IICSA (2022): the same premises were used again and again, but incidents were not linked through the place.
// param: min_suspects int default=2 min=1 max=1000 -- fewest different suspects at the place
// param: kind string max=40 -- only this kind of location (HOTEL, TAKEAWAY, RESIDENTIAL, ...)
// param: district string max=200 -- only incidents in this district
// param: limit int default=100 min=1 max=5000 -- most rows
// returns: location_id, kind, name, address, postcode, incident_count, incident_ids, suspect_count, suspect_ids, missing_found_here
MATCH (l:Location)<-[:OCCURRED_AT]-(i:Incident)<-[:SUSPECT_IN|OFFENDER_IN]-(s:Person)
WHERE coalesce(i.meets_cse_definition, i.flagged_cse, false)
  AND ($kind IS NULL OR l.kind = $kind)
  AND ($district IS NULL OR i.district = $district)
WITH l, i, s ORDER BY i.incident_id, s.person_id
WITH l, collect(DISTINCT i.incident_id) AS incident_ids, collect(DISTINCT s.person_id) AS suspect_ids
WHERE size(suspect_ids) >= $min_suspects
RETURN l.location_id AS location_id, l.kind AS kind, l.name AS name, l.address AS address, l.postcode AS postcode,
       size(incident_ids) AS incident_count, incident_ids, size(suspect_ids) AS suspect_count, suspect_ids,
       size([(l)<-[:FOUND_AT]-(m:MissingEpisode) | m]) AS missing_found_here
ORDER BY suspect_count DESC, incident_count DESC, location_id
LIMIT $limit
