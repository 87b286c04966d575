# SPDX-License-Identifier: GPL-3.0-or-later
"""audit.csv exactly as the output contract names it (docs: cli-and-outputs.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from csenet import csvsafe

AUDIT_CSV_COLUMNS = ["incident_id", "recorded_flags", "meets_cse_definition", "verdict", "suggested_flags", "reasons"]


def _bool(value: object) -> str:
    return "true" if bool(value) and value is not pd.NA else "false"


def write_audit_csv(df: pd.DataFrame, path: str | Path) -> int:
    """Write the contract's six columns (booleans as true/false); returns rows written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csvsafe.writer(fh, lineterminator="\n")
        writer.writerow(AUDIT_CSV_COLUMNS)
        cols = [df[c].tolist() for c in AUDIT_CSV_COLUMNS]
        for inc, flags, meets, verdict, suggested, reasons in zip(*cols):
            writer.writerow([inc, flags or "", _bool(meets), verdict, suggested or "", reasons or ""])
            rows += 1
    return rows
