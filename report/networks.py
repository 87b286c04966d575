# SPDX-License-Identifier: GPL-3.0-or-later
"""Section 2: networks under the Inquiry's definition against the OCG map, and who is in the largest.

The network list is the canned `networks` query itself; the per-district OCG gap is summed
from it the way the canned `ocg_gap` query sums it, so the period filter applies to both.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from csenet.graph.store import GraphStore
from csenet.report import queries
from csenet.report.canned import canned, canned_all
from csenet.report.options import ReportOptions
from csenet.report.privacy import Pseudonyms

UNKNOWN_DISTRICT = "(unknown)"
GAP_COUNTS = ("networks", "not_ocg_mapped", "no_member_on_ocg_map", "not_mapped_as_cse",
              "perpetrators_and_facilitators", "victims")


def network_rows(store: GraphStore, options: ReportOptions) -> list[dict[str, Any]]:
    return canned_all(store, "networks", {"district": options.district, "since": options.since,
                                          "until": options.until})


def _victims_by_network(store: GraphStore, ids: list[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for start in range(0, len(ids), 2000):
        for row in store.read(queries.NETWORK_VICTIMS, {"ids": ids[start:start + 2000]}):
            out[row["network_id"]] = set(row["victim_ids"] or [])
    return out


def ocg_gap(store: GraphStore, rows: list[dict[str, Any]], district: str | None) -> list[dict[str, Any]]:
    """Per district: networks found, how many the OCG map misses, their people (as canned `ocg_gap`)."""
    victims = _victims_by_network(store, [r["network_id"] for r in rows])
    per: dict[str, dict[str, Any]] = defaultdict(lambda: {**dict.fromkeys(GAP_COUNTS[:-1], 0), "victim_ids": set(),
                                                         "ocg_ids_on_networks": []})
    for row in rows:
        for d in row.get("districts") or [UNKNOWN_DISTRICT]:
            if district is not None and d != district:
                continue
            g = per[d]
            g["networks"] += 1
            g["not_ocg_mapped"] += 0 if row.get("ocg_mapped") else 1
            g["no_member_on_ocg_map"] += 0 if row.get("member_on_ocg_map") else 1
            g["not_mapped_as_cse"] += 0 if row.get("ocg_mapped_as_cse") else 1
            g["perpetrators_and_facilitators"] += int(row.get("size") or 0)
            g["victim_ids"] |= victims.get(row["network_id"], set())
            g["ocg_ids_on_networks"] += [o for o in row.get("ocg_ids") or [] if o not in g["ocg_ids_on_networks"]]
    out = []
    for d in sorted(per):
        g = per[d]
        out.append({"district": d, **{k: g[k] for k in GAP_COUNTS[:-1]}, "victims": len(g["victim_ids"]),
                    "ocg_ids_on_networks": g["ocg_ids_on_networks"]})
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    sizes = Counter(int(r.get("size") or 0) for r in rows)
    kinds = Counter(k for r in rows for k in (r.get("tie_kinds") or []))
    return {
        "networks": len(rows),
        "not_ocg_mapped": sum(1 for r in rows if not r.get("ocg_mapped")),
        "no_member_on_ocg_map": sum(1 for r in rows if not r.get("member_on_ocg_map")),
        "victims": sum(int(r.get("victim_count") or 0) for r in rows),
        "sizes": [{"size": s, "networks": n} for s, n in sorted(sizes.items())],
        "tie_kinds": [{"kind": k, "networks": n} for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))],
        "first_seen": min((r["first_seen"] for r in rows if r.get("first_seen")), default=None),
        "last_seen": max((r["last_seen"] for r in rows if r.get("last_seen")), default=None),
    }


def members(store: GraphStore, network_id: str, pseudonyms: Pseudonyms) -> dict[str, Any]:
    """Who is in one network and how they are tied, with victims as keyed pseudonyms and no names."""
    rows = canned(store, "network_detail", {"network_id": network_id, "limit": 5000})
    ids = [r["person_id"] for r in rows]
    victims = {r["id"] for q in queries.VICTIMS_AMONG for r in store.read(q, {"ids": ids})}
    shown: dict[str, str] = {}
    nodes = []
    for r in rows:
        victim = r["member_role"] == "VICTIM" or r["person_id"] in victims
        label = pseudonyms.child(r["person_id"], victim=True) if victim else str(r["person_id"])
        shown[r["person_id"]] = label
        nodes.append({"id": label, "role": r["member_role"]})
    ties: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        for t in r.get("ties") or []:
            a, b = sorted((shown[r["person_id"]], shown.get(t["person_id"], "")))
            if b and a != b:
                ties[(a, b)] = {"source": a, "target": b, "kinds": sorted(t.get("kinds") or []), "abuse": False}
        for ab in r.get("abused_by") or []:
            if ab["person_id"] in shown:
                a, b = shown[r["person_id"]], shown[ab["person_id"]]
                ties.setdefault((a, b), {"source": a, "target": b, "kinds": [], "abuse": True})
    return {"network_id": network_id, "nodes": nodes, "edges": list(ties.values())}


def gather(store: GraphStore, options: ReportOptions, pseudonyms: Pseudonyms,
           ocgs: dict[str, int]) -> dict[str, Any]:
    rows = network_rows(store, options)
    drawn = [members(store, r["network_id"], pseudonyms) for r in rows[:options.top_networks]]
    by_id = {r["network_id"]: r for r in rows}
    for d in drawn:
        d["row"] = by_id[d["network_id"]]
    return {"rows": rows, "gap": ocg_gap(store, rows, options.district), "summary": summary(rows),
            "drawn": drawn, "ocgs": ocgs}
