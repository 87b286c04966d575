"""The analyses re-run after every load: the CSE flag audit, then network detection.

The audit goes first so that networks are built on audited CSE involvement, not on the
raw flag. Incidents the detected networks account for are then audited once more with
that network context, which the verdict's reasons cite.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from csenet.settings import Settings
from csenet.graph.store import GraphStore, read_paged
from csenet.loaders.progress import NullReporter, Reporter

INCIDENTS = """
MATCH (i:Incident) WHERE i.incident_id > $after
WITH i ORDER BY i.incident_id LIMIT $page
RETURN i.incident_id AS incident_id, i.reported_at AS reported_at, i.occurred_at AS occurred_at,
       i.offence_code AS offence_code, i.offence AS offence, i.flags AS flags, i.district AS district,
       i.summary AS summary
ORDER BY incident_id
"""

INVOLVEMENTS = """
MATCH (i:Incident) WHERE i.incident_id > $after
WITH i ORDER BY i.incident_id LIMIT $page
OPTIONAL MATCH (p:Person)-[r:VICTIM_IN|SUSPECT_IN|OFFENDER_IN|WITNESS_IN|REPORTER_IN|OTHER_IN]->(i)
RETURN i.incident_id AS incident_id, collect([p.person_id, type(r)]) AS people
ORDER BY incident_id
"""

PERSONS = """
MATCH (p:Person) WHERE p.person_id > $after
WITH p ORDER BY p.person_id LIMIT $page
OPTIONAL MATCH (p)<-[:RESOLVED_TO]-(r:PersonRecord)
RETURN p.person_id AS person_id, p.date_of_birth AS date_of_birth, p.gender AS gender,
       collect(r.date_of_birth) AS dob_candidates
ORDER BY person_id
"""

NETWORK_INCIDENTS = """
MATCH (n:Network) WHERE n.network_id > $after
WITH n ORDER BY n.network_id LIMIT $page
RETURN n.network_id AS network_id, n.incident_ids AS incident_ids
ORDER BY network_id
"""


def audit_inputs(store: GraphStore) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    incidents = pd.DataFrame(list(read_paged(store, INCIDENTS, "incident_id")),
                             columns=["incident_id", "reported_at", "occurred_at", "offence_code", "offence", "flags",
                                      "district", "summary"])
    rows = []
    for row in read_paged(store, INVOLVEMENTS, "incident_id"):
        for person_id, rel in row["people"]:
            if person_id is not None and rel:
                rows.append((row["incident_id"], person_id, rel[:-3]))
    involvements = pd.DataFrame(rows, columns=["incident_id", "person_id", "role"])
    persons = pd.DataFrame(list(read_paged(store, PERSONS, "person_id")),
                           columns=["person_id", "date_of_birth", "gender", "dob_candidates"])
    return incidents, involvements, persons


def network_context(store: GraphStore) -> pd.DataFrame:
    rows = [(inc, r["network_id"]) for r in read_paged(store, NETWORK_INCIDENTS, "network_id")
            for inc in (r["incident_ids"] or [])]
    return pd.DataFrame(rows, columns=["incident_id", "network_id"])


def run_analyses(store: GraphStore, settings: Settings, reporter: Reporter | None = None) -> dict[str, Any]:
    from csenet.audit import audit_incidents
    from csenet.audit.graph import write_verdicts
    from csenet.networks.projection import detect_networks

    reporter = reporter or NullReporter()
    result: dict[str, Any] = {}
    start = time.perf_counter()
    incidents, involvements, persons = audit_inputs(store)
    verdicts = audit_incidents(incidents, involvements, persons)
    write_verdicts(store, verdicts, settings.batch_size)
    store.sync()
    result["flag audit"] = verdict_counts(verdicts) + " (%.1f s)" % (time.perf_counter() - start)

    start = time.perf_counter()
    summary = detect_networks(store, settings)
    store.sync()
    context = network_context(store)
    if len(context):
        in_networks = incidents[incidents["incident_id"].isin(context["incident_id"])]
        again = audit_incidents(in_networks, involvements[involvements["incident_id"].isin(in_networks["incident_id"])],
                                persons, context)
        write_verdicts(store, again, settings.batch_size)
        store.sync()
    store.compact()
    result["networks"] = ("%d networks (%d not on the OCG map as a group), %d perpetrators, %d facilitators, "
                          "%d children; %d association links; CSE involvement from %s (%.1f s)"
                          % (summary.networks, summary.not_ocg_mapped, summary.perpetrators, summary.facilitators,
                             summary.victims, summary.associations,
                             ", ".join(sorted(summary.cse_basis)) or "no CSE incidents",
                             time.perf_counter() - start))
    return result


def verdict_counts(verdicts: pd.DataFrame) -> str:
    counts = verdicts["verdict"].value_counts()
    return ", ".join("%s %d" % (v, int(counts.get(v, 0)))
                     for v in ("CONFIRMED", "OVER_FLAGGED", "UNDER_FLAGGED", "NOT_CSE"))
