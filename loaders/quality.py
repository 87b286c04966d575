"""What a load rejected and warned about, summarised without the values, for the Load node.

The problem profile reports data quality from the graph alone; rejects.csv holds the rows.
Values are dropped (a rejected row can hold a child's name): only file, severity, column,
how many rows, and the reason with its quoted values blanked.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

_QUOTED = re.compile(r'"[^"]*"')
MAX_LINES = 50


def issue_summary(issues: pd.DataFrame) -> list[str]:
    """`file|severity|column|rows|reason` lines, most rows first."""
    if issues is None or issues.empty:
        return []
    frame = issues.assign(reason=issues["reason"].astype(str).str.replace(_QUOTED, '"…"', regex=True))
    counts = frame.groupby(["file", "severity", "column", "reason"], sort=False, dropna=False).size()
    counts = counts.sort_values(ascending=False, kind="stable").head(MAX_LINES)
    return ["%s|%s|%s|%d|%s" % (f, s, c, n, r) for (f, s, c, r), n in counts.items()]


def quality_props(counts: dict[str, Any], issues: pd.DataFrame) -> dict[str, Any]:
    return {"rows_read": sum(c.read for c in counts.values()), "rows_loaded": sum(c.loaded for c in counts.values()),
            "rows_rejected": sum(c.rejected for c in counts.values()),
            "rows_warned": sum(c.warnings for c in counts.values()), "issue_summary": issue_summary(issues)}
