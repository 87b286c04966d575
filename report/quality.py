# SPDX-License-Identifier: GPL-3.0-or-later
"""Sections 5 and 6: how good the records are, and how the figures were made."""

from __future__ import annotations

from typing import Any

from csenet.graph.store import GraphStore
from csenet.report import queries
from csenet.report.options import ReportOptions

CSE_DEFINITION = (
    "Child sexual exploitation is a form of child sexual abuse. It occurs where an individual or group takes "
    "advantage of an imbalance of power to coerce, manipulate or deceive a child or young person under the age "
    "of 18 into sexual activity (a) in exchange for something the victim needs or wants, and/or (b) for the "
    "financial advantage or increased status of the perpetrator or facilitator. The victim may have been "
    "sexually exploited even if the sexual activity appears consensual. Child sexual exploitation does not "
    "always involve physical contact; it can also occur through the use of technology.")
CSE_DEFINITION_SOURCE = ("Department for Education, Child sexual exploitation: definition and guide for "
                         "practitioners (2017)")
NETWORK_DEFINITION = (
    "Two or more people, known to or associated with one another, who are involved in or facilitate the sexual "
    "exploitation of children.")
NETWORK_DEFINITION_SOURCE = ("Independent Inquiry into Child Sexual Abuse, Child sexual exploitation by organised "
                             "networks (2022): the working definition of a network")


def _issue(line: str) -> dict[str, Any]:
    """One `file|severity|column|count|reason` summary line written on the Load node."""
    parts = str(line).split("|", 4)
    if len(parts) < 5:
        return {"file": "", "severity": "", "column": "", "rows": 0, "reason": str(line)}
    file, severity, column, n, reason = parts
    return {"file": file, "severity": severity, "column": column, "rows": int(n) if n.isdigit() else 0,
            "reason": reason}


def loads(store: GraphStore) -> list[dict[str, Any]]:
    out = []
    for row in store.read(queries.LOADS):
        issues = [_issue(x) for x in row.get("issue_summary") or []]
        issues.sort(key=lambda i: (i["severity"] != "REJECT", -i["rows"], i["file"], i["column"]))
        out.append({**row, "issues": issues, "recorded": row.get("rows_read") is not None})
    return out


def gather(store: GraphStore, options: ReportOptions) -> dict[str, Any]:
    people = (store.read(queries.PEOPLE) or [{}])[0]
    undecided = (store.read(queries.AUDIT_UNDECIDED, options.scope()) or [{}])[0]
    load_rows = loads(store)
    return {
        "people": {k: int(v or 0) for k, v in people.items()},
        "undecided": {k: int(v or 0) for k, v in undecided.items()},
        "loads": load_rows,
        "rejected": sum(int(r.get("rows_rejected") or 0) for r in load_rows),
        "warned": sum(int(r.get("rows_warned") or 0) for r in load_rows),
        "read": sum(int(r.get("rows_read") or 0) for r in load_rows),
        "unrecorded_loads": [r["load_id"] for r in load_rows if not r["recorded"]],
    }


def method(store: GraphStore, options: ReportOptions, load_rows: list[dict[str, Any]]) -> dict[str, Any]:
    from csenet import __version__

    return {
        "cse_definition": CSE_DEFINITION, "cse_definition_source": CSE_DEFINITION_SOURCE,
        "network_definition": NETWORK_DEFINITION, "network_definition_source": NETWORK_DEFINITION_SOURCE,
        "audit_versions": store.read(queries.AUDIT_VERSIONS),
        "detection_versions": store.read(queries.DETECTION_VERSIONS),
        "load_ids": [r["load_id"] for r in load_rows],
        "generated_at": options.generated_at,
        "csenet_version": __version__,
        "scope": options.describe(),
        "store": store.dialect,
    }
