# SPDX-License-Identifier: GPL-3.0-or-later
"""Networks under the Inquiry's definition: detect them in the graph, write them, export them.

`detect_networks` reads the facts with plain Cypher, finds association evidence,
facilitators and networks in memory (graph/network_detection.py), then replaces the
previous derived projection (ASSOCIATED_WITH, Network, IN_NETWORK, BRIDGES_TO, bridging
scores) with the new one, so the graph always shows what the current records support.
The loader runs it after every load.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from csenet.settings import Settings
from graph.facts import gc_paused, load_facts, read_chunked
from graph.network_detection import (DETECTION_VERSION, FACILITATOR, PERPETRATOR, ROLE_ORDER, VICTIM, Detection,
                                     DetectionParams, detect)
from graph.store import GraphStore, Progress, read_paged

__all__ = ["NetworkSummary", "DetectionParams", "detect_networks", "export_networks_csv", "clear_networks",
           "DETECTION_VERSION", "PERPETRATOR", "FACILITATOR", "VICTIM"]

CLEAR_BATCH = 500_000
CSV_COLUMNS = ["network_id", "person_id", "member_role", "record_ids", "ocg_ids"]

Q_CLEAR_ASSOCIATIONS = "UNWIND $rows AS row MATCH ()-[r:ASSOCIATED_WITH]->() WITH r LIMIT $batch DELETE r"
Q_CLEAR_NETWORKS = "UNWIND $rows AS row MATCH (n:Network) WITH n LIMIT $batch DETACH DELETE n"
Q_CLEAR_SCORES = """
UNWIND $rows AS row
MATCH (p:Person) WHERE p.bridging_score IS NOT NULL OR p.bridges_network_ids IS NOT NULL
WITH p LIMIT $batch
SET p.bridging_score = null, p.bridges_network_ids = null
"""
Q_COUNT_ASSOCIATIONS = "MATCH ()-[r:ASSOCIATED_WITH]->() RETURN count(r) AS n"
Q_COUNT_NETWORKS = "MATCH (n:Network) RETURN count(n) AS n"
Q_COUNT_SCORES = """
MATCH (p:Person) WHERE p.bridging_score IS NOT NULL OR p.bridges_network_ids IS NOT NULL
RETURN count(p) AS n
"""
Q_WRITE_ASSOCIATIONS = """
UNWIND $rows AS row
MATCH (a:Person {person_id: row.a}), (b:Person {person_id: row.b})
MERGE (a)-[r:ASSOCIATED_WITH]->(b)
SET r += row.props
"""
Q_WRITE_NETWORKS = """
UNWIND $rows AS row
MERGE (n:Network {network_id: row.network_id})
SET n += row.props
"""
Q_WRITE_MEMBERS = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id}), (n:Network {network_id: row.network_id})
MERGE (p)-[m:IN_NETWORK {role: row.role}]->(n)
SET m += row.props
"""
Q_WRITE_BRIDGES = """
UNWIND $rows AS row
MATCH (a:Network {network_id: row.a}), (b:Network {network_id: row.b})
MERGE (a)-[r:BRIDGES_TO]->(b)
SET r += row.props
"""
Q_WRITE_SCORES = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
SET p.bridging_score = row.score, p.bridges_network_ids = row.nets
"""
Q_EXPORT_MEMBERS = """
MATCH (n:Network) WHERE n.network_id > $after
WITH n ORDER BY n.network_id LIMIT $page
MATCH (p:Person)-[m:IN_NETWORK]->(n)
RETURN n.network_id AS network_id, collect([p.person_id, m.role]) AS members
ORDER BY network_id
"""
Q_EXPORT_RECORDS = """
UNWIND $ids AS pid
MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person {person_id: pid})
RETURN p.person_id AS person_id, r.record_id AS record_id
"""
Q_EXPORT_OCGS = """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid})-[:MAPPED_TO]->(o:OCG)
RETURN p.person_id AS person_id, o.ocg_id AS ocg_id
"""


@dataclass
class NetworkSummary:
    """What one detection run found and wrote."""

    associations: int = 0
    networks: int = 0
    perpetrators: int = 0
    facilitators: int = 0
    victims: int = 0
    not_ocg_mapped: int = 0
    not_mapped_as_cse: int = 0
    split_components: int = 0
    bridges: int = 0
    largest: int = 0
    cse_incidents: int = 0
    cse_basis: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect_networks(store: GraphStore, settings: Settings | None = None, *, window_days: int = 90,
                    progress: Progress | None = None, params: DetectionParams | None = None) -> NetworkSummary:
    """Find networks in the graph and replace the previous ones; `progress` gets rows written."""
    started = time.perf_counter()
    params = params or DetectionParams.from_settings(settings, window_days=window_days)
    with gc_paused():
        facts = load_facts(store)
        read = time.perf_counter()
        result = detect(facts, params)
        found = time.perf_counter()
        write_detection(store, result, progress)
        summary = summarise(result)
        done = time.perf_counter()
    summary.seconds = round(done - started, 3)
    summary.timings = {"read": round(read - started, 3), "detect": round(found - read, 3),
                       "write": round(done - found, 3)}
    return summary


def summarise(result: Detection) -> NetworkSummary:
    nets = result.networks
    cse = result.facts.incidents[result.facts.incidents["cse"]]
    return NetworkSummary(
        associations=len(result.links.pairs),
        networks=len(nets),
        perpetrators=len({p for n in nets for p in n.members if n.roles[p] == PERPETRATOR}),
        facilitators=len({p for n in nets for p in n.members if n.roles[p] == FACILITATOR}),
        victims=len({v for n in nets for v in n.victims}),
        not_ocg_mapped=sum(1 for n in nets if not n.props["ocg_mapped"]),
        not_mapped_as_cse=sum(1 for n in nets if not n.props["ocg_mapped_as_cse"]),
        split_components=result.split_components,
        bridges=len(result.bridges),
        largest=max((len(n.members) for n in nets), default=0),
        cse_incidents=len(cse),
        cse_basis=dict(sorted(Counter(cse["basis"]).items())),
    )


def clear_networks(store: GraphStore) -> None:
    """Remove the derived projection: associations, networks, bridges and bridging scores.

    Through write_batches, which returns once applied: durability is waited for once, at the end.
    """
    for count, clear in ((Q_COUNT_ASSOCIATIONS, Q_CLEAR_ASSOCIATIONS), (Q_COUNT_NETWORKS, Q_CLEAR_NETWORKS),
                         (Q_COUNT_SCORES, Q_CLEAR_SCORES)):
        while store.read(count)[0]["n"]:
            store.write_batches(clear, [{}], extra={"batch": CLEAR_BATCH})


def write_detection(store: GraphStore, result: Detection, progress: Progress | None = None) -> None:
    clear_networks(store)
    links = [{"a": r.pop("a"), "b": r.pop("b"), "props": r} for r in result.links.rows()]
    store.write_batches(Q_WRITE_ASSOCIATIONS, links, progress=progress)
    nets = [{"network_id": n.network_id, "props": n.props} for n in result.networks]
    store.write_batches(Q_WRITE_NETWORKS, nets, progress=progress)
    store.write_batches(Q_WRITE_MEMBERS, member_rows(result), progress=progress)
    bridges = [{"a": b["a"], "b": b["b"], "props": {k: v for k, v in b.items() if k not in ("a", "b")}}
               for b in result.bridges]
    store.write_batches(Q_WRITE_BRIDGES, bridges, progress=progress)
    store.write_batches(Q_WRITE_SCORES, result.scores, progress=progress)
    store.sync()


def member_rows(result: Detection) -> list[dict[str, Any]]:
    reasons = result.facilitation.reasons
    rows = []
    for n in result.networks:
        for p in n.members:
            props = {"incident_ids": n.member_incidents.get(p, []), "involvement": n.involvement.get(p, []),
                     "derived_by": DETECTION_VERSION}
            if p in reasons:
                props["facilitation"] = sorted(reasons[p])
            rows.append({"person_id": p, "network_id": n.network_id, "role": n.roles[p], "props": props})
        for v, incidents in n.victims.items():
            rows.append({"person_id": v, "network_id": n.network_id, "role": VICTIM,
                         "props": {"incident_ids": incidents, "derived_by": DETECTION_VERSION}})
    return rows


def export_networks_csv(store: GraphStore, path: Path | str) -> int:
    """networks.csv per the output contract, one row per (network, person); returns the rows written."""
    members = []
    for row in read_paged(store, Q_EXPORT_MEMBERS, "network_id"):
        for person_id, role in row["members"]:
            members.append((row["network_id"], person_id, role))
    members.sort(key=lambda m: (m[0], ROLE_ORDER.get(m[2], 9), m[1]))
    people = sorted({m[1] for m in members})
    records: dict[str, set[str]] = {}
    for r in read_chunked(store, Q_EXPORT_RECORDS, people):
        records.setdefault(r["person_id"], set()).add(r["record_id"])
    ocgs: dict[str, set[str]] = {}
    for r in read_chunked(store, Q_EXPORT_OCGS, people):
        ocgs.setdefault(r["person_id"], set()).add(r["ocg_id"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(CSV_COLUMNS)
        for network_id, person_id, role in members:
            out.writerow([network_id, person_id, role, ";".join(sorted(records.get(person_id, ()))),
                          ";".join(sorted(ocgs.get(person_id, ())))])
    return len(members)
