# SPDX-License-Identifier: GPL-3.0-or-later
"""Section 1: CSE as recorded against CSE as audited, per year and per district, with examples."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from csenet.graph.store import GraphStore
from csenet.report import queries
from csenet.report.options import ReportOptions
from csenet.report.privacy import reason_codes

COUNTS = ("flagged_cse", "flagged_meeting_definition", "unflagged_meeting_definition", "audited_total",
          "over_flagged", "suggest_csa", "suggest_cce")
# (verdict, suggested flag, what a reader is shown)
EXAMPLE_KINDS = (
    ("UNDER_FLAGGED", None, "Meet the definition but carry no CSE flag"),
    ("OVER_FLAGGED", "CSA", "Flagged CSE; abuse with no exchange stated (CSA suggested)"),
    ("OVER_FLAGGED", "CCE", "Flagged CSE; criminal, not sexual, exploitation (CCE suggested)"),
    ("OVER_FLAGGED", None, "Flagged CSE but do not meet the definition (any reason)"),
)
EXAMPLES_PER_KIND = 4


def _rollup(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    sums: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for row in rows:
        for c in COUNTS:
            sums[row.get(key)][c] += int(row.get(c) or 0)
    ordered = sorted(sums, key=lambda k: (k is None, str(k)))
    return [{key: k, **sums[k]} for k in ordered]


def gather(store: GraphStore, options: ReportOptions) -> dict[str, Any]:
    rows = store.read(queries.AUDIT_BY_DISTRICT_YEAR, options.scope())
    rows = [{**r, **{c: int(r.get(c) or 0) for c in COUNTS}} for r in rows]
    totals = dict.fromkeys(COUNTS, 0)
    for row in rows:
        for c in COUNTS:
            totals[c] += row[c]
    by_district = sorted(_rollup(rows, "district"), key=lambda r: (-r["audited_total"], -r["flagged_cse"],
                                                                    str(r["district"])))
    return {"rows": rows, "by_year": _rollup(rows, "year"), "by_district": by_district, "totals": totals,
            "examples": examples(store, options)}


def examples(store: GraphStore, options: ReportOptions) -> list[dict[str, Any]]:
    """A few incidents of each kind of disagreement, with the audit's reason codes (no quoted text)."""
    out = []
    for verdict, suggested, label in EXAMPLE_KINDS:
        rows = store.read(queries.AUDIT_EXAMPLES, {**options.scope(), "verdict": verdict, "suggested": suggested,
                                                   "limit": EXAMPLES_PER_KIND})
        out.append({"label": label, "verdict": verdict, "suggested": suggested, "incidents": [
            {"incident_id": r["incident_id"], "district": r.get("district"), "year": r.get("year"),
             "offence_code": r.get("offence_code"), "reasons": reason_codes(r.get("reasons"))} for r in rows]})
    return out
