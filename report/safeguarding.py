# SPDX-License-Identifier: GPL-3.0-or-later
"""Sections 3 and 4: missing children in contact with networks, and the premises they use.

Both start from the canned queries (`children_at_risk`, `hotspot_locations`) and narrow
them to the report's period with two small reads; both are shown by district or by kind
of place, never child by child.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from csenet.graph.store import GraphStore
from csenet.report import queries
from csenet.report.canned import canned
from csenet.report.options import ReportOptions

CHILD_LIMIT = 5000
PREMISES_LIMIT = 5000


def _episodes_in_period(store: GraphStore, ids: list[str], options: ReportOptions) -> dict[str, int]:
    out: dict[str, int] = {}
    for start in range(0, len(ids), 2000):
        for r in store.read(queries.MISSING_IN_PERIOD, {"ids": ids[start:start + 2000], "since": options.since,
                                                        "until": options.until}):
            out[r["child_id"]] = int(r["episodes"])
    return out


def children(store: GraphStore, options: ReportOptions, network_districts: dict[str, list[str]]) -> dict[str, Any]:
    """By district of the networks a child is linked to: children, episodes, how they are linked."""
    rows = canned(store, "children_at_risk", {"since": options.since, "limit": CHILD_LIMIT})
    episodes = _episodes_in_period(store, [r["child_id"] for r in rows], options)
    per: dict[str, dict[str, Any]] = defaultdict(lambda: {"children": set(), "episodes": 0, "victims": set(),
                                                         "contacts": set(), "premises": set()})
    counted = 0
    for r in rows:
        n = episodes.get(r["child_id"], 0)
        if n == 0:
            continue
        counted += 1
        nets = {c["network_id"] for c in r.get("network_contacts") or []}
        nets |= set(r.get("found_at_network_premises") or []) | set(r.get("victim_in_networks") or [])
        districts = sorted({d for net in nets for d in network_districts.get(net, [])}) or ["(unknown)"]
        for d in districts:
            if options.district is not None and d != options.district:
                continue
            g = per[d]
            g["children"].add(r["child_id"])
            g["episodes"] += n
            for key, field in (("victims", "victim_in_networks"), ("contacts", "network_contacts"),
                               ("premises", "found_at_network_premises")):
                if r.get(field):
                    g[key].add(r["child_id"])
    table = [{"district": d, "children": len(g["children"]), "episodes": g["episodes"],
              "victims_in_networks": len(g["victims"]), "in_contact_with_members": len(g["contacts"]),
              "found_at_network_premises": len(g["premises"])} for d, g in per.items()]
    table.sort(key=lambda r: (-r["children"], r["district"]))
    all_children = set().union(*(g["children"] for g in per.values())) if per else set()
    return {"by_district": table, "children": len(all_children), "truncated": len(rows) >= CHILD_LIMIT,
            "child_ids": sorted(all_children), "considered": counted}


def premises(store: GraphStore, options: ReportOptions) -> dict[str, Any]:
    """Places with CSE incidents by different suspects, by kind; named only when asked to."""
    rows = canned(store, "hotspot_locations", {"district": options.district, "min_suspects": 2,
                                               "limit": PREMISES_LIMIT})
    if options.since or options.until:
        rows = _in_period(store, rows, options)
    kinds: dict[str, dict[str, Any]] = defaultdict(lambda: {"premises": 0, "incidents": 0, "suspects": set(),
                                                           "missing_found": 0})
    for r in rows:
        k = kinds[r.get("kind") or "(not recorded)"]
        k["premises"] += 1
        k["incidents"] += int(r["incident_count"])
        k["suspects"] |= set(r.get("suspect_ids") or [])
        k["missing_found"] += int(r.get("missing_found_here") or 0)
    by_kind = [{"kind": kind, "premises": v["premises"], "incidents": v["incidents"], "suspects": len(v["suspects"]),
                "missing_found": v["missing_found"]} for kind, v in kinds.items()]
    by_kind.sort(key=lambda r: (-r["premises"], -r["incidents"], r["kind"]))
    named = None
    if options.include_locations:
        named = [{k: r.get(k) for k in ("location_id", "kind", "name", "address", "postcode", "incident_count",
                                        "suspect_count", "missing_found_here")} for r in rows]
    return {"by_kind": by_kind, "premises": len(rows), "named": named, "truncated": len(rows) >= PREMISES_LIMIT}


def _in_period(store: GraphStore, rows: list[dict[str, Any]], options: ReportOptions) -> list[dict[str, Any]]:
    """The same places, counting only incidents in the period; a place left with one suspect drops out."""
    ids = sorted({i for r in rows for i in r.get("incident_ids") or []})
    suspects: dict[str, list[str]] = {}
    for start in range(0, len(ids), 2000):
        for s in store.read(queries.INCIDENT_SUSPECTS, {"ids": ids[start:start + 2000], "since": options.since,
                                                        "until": options.until}):
            suspects[s["incident_id"]] = s["suspect_ids"] or []
    kept = []
    for r in rows:
        incidents = [i for i in r.get("incident_ids") or [] if i in suspects]
        who = sorted({p for i in incidents for p in suspects[i]} & set(r.get("suspect_ids") or []))
        if len(who) >= 2:
            kept.append({**r, "incident_ids": incidents, "incident_count": len(incidents), "suspect_ids": who,
                         "suspect_count": len(who)})
    return kept
