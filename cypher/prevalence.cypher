// name: prevalence
// title: CSE prevalence as recorded and as audited
// purpose: Per district and year: flagged CSE, of which meet the definition, unflagged meeting it, audited total.
// inquiry: Flags are wrong, so prevalence is wrong (IICSA 2022)
// param: district string optional  -- a district name; all districts when absent
// param: year int optional min=1990 max=2100 -- one year (of occurred_at, else reported_at); all years when absent
// returns: district, year, flagged_cse, flagged_meeting_definition, unflagged_meeting_definition, audited_total
MATCH (i:Incident)
WHERE ($district IS NULL OR i.district = $district)
  AND ($year IS NULL OR i.year = $year)
WITH coalesce(i.district, '(no district)') AS district, i.year AS year,
     coalesce(i.flagged_cse, false) AS flagged,
     coalesce(i.meets_cse_definition, false) AS meets
WITH district, year,
     count(CASE WHEN flagged THEN 1 END) AS flagged_cse,
     count(CASE WHEN flagged AND meets THEN 1 END) AS flagged_meeting_definition,
     count(CASE WHEN meets AND NOT flagged THEN 1 END) AS unflagged_meeting_definition,
     count(CASE WHEN meets THEN 1 END) AS audited_total
WHERE flagged_cse > 0 OR audited_total > 0
RETURN district, year, flagged_cse, flagged_meeting_definition, unflagged_meeting_definition, audited_total
ORDER BY district, year
