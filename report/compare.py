# SPDX-License-Identifier: GPL-3.0-or-later
"""What changed since an earlier load: the records as they stood then, judged by today's analysis.

Every incident carries the loads that asserted it, so "as of load L" is every incident a
load up to and including L (by the time it was loaded) had recorded. Verdicts and networks
are today's, re-run over all records: the comparison shows what the new records changed,
not what an earlier audit version said.
"""

from __future__ import annotations

from typing import Any

from csenet.graph.store import GraphStore
from csenet.report import queries
from csenet.report.options import ReportInputError, ReportOptions

COUNTS = ("incidents", "flagged_cse", "audited_total")


def _known_loads(store: GraphStore, load_id: str) -> tuple[dict[str, Any], list[str]]:
    found = store.read(queries.LOAD_AT, {"load_id": load_id})
    if not found:
        loads = [r["load_id"] for r in store.read(queries.LOADS)]
        raise ReportInputError("no load %r in this graph; its loads are: %s" % (load_id, ", ".join(loads) or "none"))
    base = found[0]
    if not base.get("loaded_at"):
        raise ReportInputError("load %s has no loaded_at time, so what came after it is unknown" % load_id)
    return base, list(store.read(queries.LOADS_UP_TO, {"loaded_at": base["loaded_at"],
                                                                        "load_id": load_id})[0]["load_ids"] or [])


def _network_change(store: GraphStore, rows: list[dict[str, Any]], load_ids: list[str]) -> dict[str, Any]:
    ids = [r["network_id"] for r in rows]
    known: dict[str, tuple[int, int]] = {}
    for start in range(0, len(ids), 2000):
        for r in store.read(queries.NETWORK_INCIDENTS_KNOWN, {"ids": ids[start:start + 2000], "load_ids": load_ids}):
            known[r["network_id"]] = (int(r["incidents"]), int(r["known_then"]))
    new = [i for i in ids if known.get(i, (0, 0))[1] == 0]
    grown = [i for i in ids if 0 < known.get(i, (0, 0))[1] < known[i][0]]
    return {"new": new, "grown": grown, "unchanged": len(ids) - len(new) - len(grown)}


def gather(store: GraphStore, options: ReportOptions, network_rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not options.compare_with:
        return None
    base, load_ids = _known_loads(store, options.compare_with)
    scope = options.scope()
    then = {r["district"]: r for r in store.read(queries.KNOWN_BY_DISTRICT, {**scope, "load_ids": load_ids})}
    now = {r["district"]: r for r in store.read(queries.ALL_BY_DISTRICT, scope)}
    districts = []
    for d in sorted(set(then) | set(now)):
        row: dict[str, Any] = {"district": d}
        for c in COUNTS:
            a, b = int((then.get(d) or {}).get(c) or 0), int((now.get(d) or {}).get(c) or 0)
            row.update({c + "_then": a, c + "_now": b, c + "_change": b - a})
        districts.append(row)
    districts.sort(key=lambda r: (-abs(r["audited_total_change"]), -abs(r["incidents_change"]), r["district"]))
    totals = {k: sum(r[k] for r in districts) for c in COUNTS for k in (c + "_then", c + "_now", c + "_change")}
    later = [r for r in store.read(queries.LOADS) if r["load_id"] not in load_ids]
    return {"load_id": base["load_id"], "loaded_at": base["loaded_at"], "load_ids_then": load_ids,
            "later_loads": [r["load_id"] for r in later], "districts": districts, "totals": totals,
            "networks": _network_change(store, network_rows, load_ids)}
