"""The contract's machine-readable files that read straight off the graph: entities.csv, audit.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from csenet import csvsafe
from csenet.settings import Settings
from csenet.graph.store import GraphStore, read_paged

ENTITIES = """
MATCH (r:PersonRecord) WHERE r.record_id > $after
WITH r ORDER BY r.record_id LIMIT $page
OPTIONAL MATCH (r)-[x:RESOLVED_TO]->(p:Person)
RETURN r.record_id AS record_id, p.person_id AS person_id, x.match_probability AS match_probability
ORDER BY record_id
"""

AUDIT = """
MATCH (i:Incident) WHERE i.incident_id > $after
WITH i ORDER BY i.incident_id LIMIT $page
RETURN i.incident_id AS incident_id, i.flags AS flags, i.meets_cse_definition AS meets_cse_definition,
       i.cse_verdict AS verdict, i.suggested_flags AS suggested_flags, i.audit_reasons AS reasons
ORDER BY incident_id
"""


def export_entities(store: GraphStore, path: Path) -> int:
    """entities.csv: record_id, person_id, match_probability — one row per person record."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csvsafe.writer(fh, lineterminator="\n")
        writer.writerow(["record_id", "person_id", "match_probability"])
        for row in read_paged(store, ENTITIES, "record_id"):
            p = row["match_probability"]
            writer.writerow([row["record_id"], row["person_id"] or "", "" if p is None else "%.6g" % p])
            n += 1
    return n


def export_audit(store: GraphStore, path: Path) -> int:
    """audit.csv from the verdicts the last load wrote onto each incident."""
    from csenet.audit.export import write_audit_csv

    rows = list(read_paged(store, AUDIT, "incident_id"))
    unaudited = [r["incident_id"] for r in rows if r["verdict"] is None]
    if unaudited:
        raise ValueError("%d incidents have no audit verdict (e.g. %s); load with analyses on first"
                         % (len(unaudited), unaudited[0]))
    frame = pd.DataFrame({
        "incident_id": [r["incident_id"] for r in rows],
        "recorded_flags": [";".join(r["flags"] or []) for r in rows],
        "meets_cse_definition": [bool(r["meets_cse_definition"]) for r in rows],
        "verdict": [r["verdict"] for r in rows],
        "suggested_flags": [";".join(r["suggested_flags"] or []) for r in rows],
        "reasons": [r["reasons"] or "" for r in rows],
    })
    return write_audit_csv(frame, path)


def explain_records(store: GraphStore, settings: Settings, record_a: str, record_b: str):
    """Splink's match-weight waterfall for two records, over the records the graph holds."""
    from csenet.loaders.load import existing_records
    from csenet.resolution.splink_resolver import explain

    records = existing_records(store, settings.result_limit)
    known = set(records["record_id"])
    for rid in (record_a, record_b):
        if rid not in known:
            raise ValueError("no person record %r in the graph" % rid)
    frame = records.drop(columns=["person_id"])
    stored = load_model_of(store, settings, [record_a, record_b])
    if stored is None:
        return explain(frame, record_a, record_b, threshold=settings.match_threshold)
    model, threshold = stored
    return explain(frame, record_a, record_b, threshold=threshold, model=model)


MODEL_OF_RECORDS = """
MATCH (r:PersonRecord)-[x:RESOLVED_TO]->(:Person) WHERE r.record_id IN $ids RETURN x.model_version AS v"""


def load_model_of(store: GraphStore, settings: Settings, record_ids: list[str]):
    """(settings, threshold) of the model that resolved these records at their load, if kept."""
    from csenet.resolution import model_store

    versions = sorted({r["v"] for r in store.read(MODEL_OF_RECORDS, {"ids": record_ids}) if r["v"]})
    for version in versions[::-1] or [None]:
        stored = model_store.load(settings.models_path(), version)
        if stored is not None:
            return stored
    return None
