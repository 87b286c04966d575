# SPDX-License-Identifier: GPL-3.0-or-later
"""Audit verdicts onto the Incident nodes: one parameterised statement, sent in batches."""

from __future__ import annotations

from typing import Any

import pandas as pd

from csenet.audit.engine import AUDIT_VERSION

SET_VERDICTS = (
    "UNWIND $rows AS row "
    "MATCH (i:Incident {incident_id: row.incident_id}) "
    "SET i.meets_cse_definition = row.meets_cse_definition, "
    "i.cse_verdict = row.cse_verdict, "
    "i.suggested_flags = row.suggested_flags, "
    "i.audit_reasons = row.audit_reasons, "
    "i.audit_version = row.audit_version"
)


def verdict_rows(verdicts: pd.DataFrame) -> list[dict[str, Any]]:
    """Plain-Python rows (no numpy or pandas scalars) for the store's parameter encoder."""
    version = verdicts["audit_version"].tolist() if "audit_version" in verdicts.columns else [AUDIT_VERSION] * len(verdicts)
    rows = []
    for inc, meets, verdict, suggested, reasons, ver in zip(
            verdicts["incident_id"].tolist(), verdicts["meets_cse_definition"].tolist(), verdicts["verdict"].tolist(),
            verdicts["suggested_flags"].tolist(), verdicts["reasons"].tolist(), version):
        rows.append({
            "incident_id": str(inc),
            "meets_cse_definition": bool(meets),
            "cse_verdict": str(verdict),
            "suggested_flags": [s for s in str(suggested or "").split(";") if s],
            "audit_reasons": str(reasons or ""),
            "audit_version": str(ver),
        })
    return rows


def write_verdicts(store: Any, verdicts_df: pd.DataFrame, batch_size: int = 5000) -> int:
    """Set the audit properties on every audited Incident; returns rows sent.

    Uses the store protocol's `write_batches(query, rows, batch_size)`; a store with only
    `write(query, params)` gets the batches one statement at a time.
    """
    rows = verdict_rows(verdicts_df)
    if not rows:
        return 0
    method = getattr(store, "write_batches", None)
    if callable(method):
        sent = int(method(SET_VERDICTS, rows, batch_size=batch_size))
        sync = getattr(store, "sync", None)
        if callable(sync):
            sync()
        return sent
    for start in range(0, len(rows), batch_size):
        store.write(SET_VERDICTS, {"rows": rows[start:start + batch_size]})
    return len(rows)


__all__ = ["SET_VERDICTS", "verdict_rows", "write_verdicts"]
