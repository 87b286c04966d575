# SPDX-License-Identifier: GPL-3.0-or-later
"""Networks under the Inquiry's definition: detect them in the graph, write them, export them.

`detect_networks` reads the facts with plain Cypher, finds association evidence,
facilitators and networks in memory (networks/detection.py), then replaces the
previous derived projection (ASSOCIATED_WITH, Network, IN_NETWORK, BRIDGES_TO, bridging
scores) with the new one, so the graph always shows what the current records support.
Only what changed is written (`write_detection`). The loader runs it after every load.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Iterable

from csenet import csvsafe
from csenet.settings import Settings
from csenet.networks.facts import gc_paused, load_facts, read_chunked
from csenet.networks.partial import detect_part
from csenet.networks.detection import (DETECTION_VERSION, FACILITATOR, PERPETRATOR, ROLE_ORDER, VICTIM, Detection,
                                     DetectionParams, detect)
from csenet.graph.store import GraphStore, Progress, ResultTooLarge, read_paged

__all__ = ["NetworkSummary", "DetectionParams", "detect_networks", "export_networks_csv", "clear_networks",
           "DETECTION_VERSION", "PERPETRATOR", "FACILITATOR", "VICTIM"]

CLEAR_BATCH = 500_000
DIGEST = "digest"
ALL_ROWS = 2**31 - 1
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
# What the previous run wrote: each element by its key, with the digest of its properties.
# Pages of links and scores are cut after the scan, on projected ids: FalkorDB would
# otherwise walk the person_id index from $after, slower than scanning.
Q_OLD_ASSOCIATIONS = """
MATCH (x:Person)-[r:ASSOCIATED_WITH]->(y:Person)
WITH x.person_id AS a, y.person_id AS b, r.digest AS d ORDER BY a, b, d
WITH a, collect([b, d]) AS links
WHERE a > $after
RETURN a, links ORDER BY a LIMIT $page
"""
_NETWORK_ROWS = """RETURN n.network_id AS network_id, n.digest AS digest,
       [(p:Person)-[m:IN_NETWORK]->(n) | [p.person_id, m.role, m.digest]] AS members,
       [(n)-[x:BRIDGES_TO]->(o:Network) | [o.network_id, x.digest]] AS bridges
"""
Q_OLD_NETWORKS = """
MATCH (n:Network) WHERE n.network_id > $after
WITH n ORDER BY n.network_id LIMIT $page
""" + _NETWORK_ROWS + "ORDER BY network_id\n"
Q_OLD_SCORES = """
MATCH (p:Person) WHERE p.bridging_score IS NOT NULL OR p.bridges_network_ids IS NOT NULL
WITH p.person_id AS person_id, p.bridging_score AS score, p.bridges_network_ids AS nets
WHERE person_id > $after
RETURN person_id, score, nets ORDER BY person_id LIMIT $page
"""
Q_DROP_ASSOCIATIONS = """
UNWIND $rows AS row
MATCH (:Person {person_id: row.a})-[r:ASSOCIATED_WITH]->(:Person {person_id: row.b})
DELETE r
"""
Q_DROP_NETWORKS = "UNWIND $rows AS row MATCH (n:Network {network_id: row.key}) DETACH DELETE n"
Q_DROP_MEMBERS = """
UNWIND $rows AS row
MATCH (:Person {person_id: row.person_id})-[m:IN_NETWORK {role: row.role}]->(:Network {network_id: row.network_id})
DELETE m
"""
Q_DROP_BRIDGES = """
UNWIND $rows AS row
MATCH (:Network {network_id: row.a})-[r:BRIDGES_TO]->(:Network {network_id: row.b})
DELETE r
"""
Q_DROP_SCORES = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row.key})
SET p.bridging_score = null, p.bridges_network_ids = null
"""
# New and changed elements: SET = replaces every property, so none of the previous run's is left.
Q_WRITE_ASSOCIATIONS = """
UNWIND $rows AS row
MATCH (a:Person {person_id: row.a}), (b:Person {person_id: row.b})
MERGE (a)-[r:ASSOCIATED_WITH]->(b)
SET r = row.props
"""
Q_WRITE_NETWORKS = """
UNWIND $rows AS row
MERGE (n:Network {network_id: row.network_id})
SET n = row.props
"""
Q_WRITE_MEMBERS = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id}), (n:Network {network_id: row.network_id})
MERGE (p)-[m:IN_NETWORK {role: row.role}]->(n)
SET m = row.props
"""
Q_WRITE_BRIDGES = """
UNWIND $rows AS row
MATCH (a:Network {network_id: row.a}), (b:Network {network_id: row.b})
MERGE (a)-[r:BRIDGES_TO]->(b)
SET r = row.props
"""
Q_WRITE_SCORES = """
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id})
SET p.bridging_score = row.score, p.bridges_network_ids = row.nets
"""
# The same, for the networks and links of some people only (a part: networks/partial.py).
Q_OLD_LINKS_OUT = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[r:ASSOCIATED_WITH]->(y:Person)
RETURN pid AS a, y.person_id AS b, r.digest AS d
"""
Q_OLD_LINKS_IN = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})<-[r:ASSOCIATED_WITH]-(x:Person)
RETURN x.person_id AS a, pid AS b, r.digest AS d
"""
Q_NETWORKS_OF = """
UNWIND $ids AS pid
MATCH (:Person {person_id: pid})-[m:IN_NETWORK]->(n:Network) WHERE m.role <> 'VICTIM'
RETURN DISTINCT n.network_id AS network_id
"""
Q_OLD_NETWORKS_BY_ID = """
UNWIND $ids AS nid
MATCH (n:Network {network_id: nid})
""" + _NETWORK_ROWS
Q_OLD_SCORES_OF = """
UNWIND $ids AS pid
MATCH (p:Person {person_id: pid}) WHERE p.bridging_score IS NOT NULL OR p.bridges_network_ids IS NOT NULL
RETURN pid AS person_id, p.bridging_score AS score, p.bridges_network_ids AS nets
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
    changed: dict[str, int] = field(default_factory=dict)  # derived elements deleted and written
    lineage: list[dict[str, Any]] = field(default_factory=list)  # network ids that changed: old → new
    scope: str = "the whole graph"  # or the part around a load that was detected again

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def detect_networks(store: GraphStore, settings: Settings | None = None, *, window_days: int = 90,
                    progress: Progress | None = None, params: DetectionParams | None = None,
                    around: Collection[str] | None = None, components: Collection[str] = (),
                    max_people: int = 0, after_read: Callable[[], None] | None = None) -> NetworkSummary:
    """Find networks in the graph and replace the previous ones; `progress` gets rows written.

    With `around` (people a load touched) only the part of the graph they are in is
    detected again (networks/partial.py), unless that part would read more than
    `max_people` people; `components` adds the people of those previous components.
    `after_read` is called once the graph is read: writes that detection does not read
    can start then without slowing its read."""
    started = time.perf_counter()
    params = params or DetectionParams.from_settings(settings, window_days=window_days)
    timings: dict[str, float] = {}
    with gc_paused():
        found_part = None if around is None else detect_part(store, around, params, max_people=max_people,
                                                             components=components)
        if around is not None:
            timings["part"] = time.perf_counter() - started
        if found_part is None:
            began = time.perf_counter()
            facts = load_facts(store)
            timings["read"] = time.perf_counter() - began
            if after_read is not None:
                after_read()
            result, part = detect(facts, params), None
            timings["detect"] = time.perf_counter() - began - timings["read"]
        else:
            result, part = found_part
            if after_read is not None:
                after_read()
        found = time.perf_counter()
        lineage: list[dict[str, Any]] = []
        changed = write_detection(store, result, progress, lineage, None if part is None else part.people)
        summary = summarise(result) if part is None else graph_summary(store, result)
        summary.scope = "the whole graph" if part is None else (
            "%d people around the load (%d read, %d rounds)" % (len(part.people), len(part.read), part.rounds))
        summary.changed = changed
        summary.lineage = lineage
        done = time.perf_counter()
    summary.seconds = round(done - started, 3)
    summary.timings = {k: round(v, 3) for k, v in timings.items()}
    summary.timings["write"] = round(done - found, 3)
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


Q_SUMMARY_NETWORKS = """
MATCH (n:Network)
RETURN count(n) AS networks, sum(CASE WHEN n.ocg_mapped THEN 0 ELSE 1 END) AS not_ocg_mapped,
       sum(CASE WHEN n.ocg_mapped_as_cse THEN 0 ELSE 1 END) AS not_mapped_as_cse, max(n.size) AS largest
"""
Q_SUMMARY_MEMBERS = "MATCH (p:Person)-[m:IN_NETWORK]->(:Network) RETURN m.role AS role, count(DISTINCT p) AS n"
Q_SUMMARY_BRIDGES = "MATCH (:Network)-[b:BRIDGES_TO]->(:Network) RETURN count(b) AS n"
Q_SUMMARY_CSE = """
MATCH (i:Incident)
WHERE i.meets_cse_definition = true
   OR (i.meets_cse_definition IS NULL
       AND (i.flagged_cse = true OR (i.flagged_cse IS NULL AND 'CSE' IN coalesce(i.flags, []))))
RETURN CASE WHEN i.meets_cse_definition IS NULL THEN 'recorded_flag' ELSE 'audit' END AS basis, count(i) AS n
"""


def graph_summary(store: GraphStore, part: Detection) -> NetworkSummary:
    """The summary of the whole graph after a part of it was detected again: counted in the
    graph, as the part's own result covers only the part (its split count excepted)."""
    nets = store.read(Q_SUMMARY_NETWORKS)[0]
    roles = {r["role"]: r["n"] for r in store.read(Q_SUMMARY_MEMBERS)}
    basis = {r["basis"]: r["n"] for r in store.read(Q_SUMMARY_CSE)}
    return NetworkSummary(
        associations=store.read(Q_COUNT_ASSOCIATIONS)[0]["n"], networks=nets["networks"],
        perpetrators=roles.get(PERPETRATOR, 0), facilitators=roles.get(FACILITATOR, 0), victims=roles.get(VICTIM, 0),
        not_ocg_mapped=nets["not_ocg_mapped"] or 0, not_mapped_as_cse=nets["not_mapped_as_cse"] or 0,
        split_components=part.split_components, bridges=store.read(Q_SUMMARY_BRIDGES)[0]["n"],
        largest=nets["largest"] or 0, cse_incidents=sum(basis.values()), cse_basis=dict(sorted(basis.items())),
    )


def clear_networks(store: GraphStore) -> None:
    """Remove the derived projection: associations, networks, bridges and bridging scores.

    Through write_batches, which returns once applied: durability is waited for once, at the end.
    """
    for count, clear in ((Q_COUNT_ASSOCIATIONS, Q_CLEAR_ASSOCIATIONS), (Q_COUNT_NETWORKS, Q_CLEAR_NETWORKS),
                         (Q_COUNT_SCORES, Q_CLEAR_SCORES)):
        while store.read(count)[0]["n"]:
            store.write_batches(clear, [{}], extra={"batch": CLEAR_BATCH})


def write_detection(store: GraphStore, result: Detection, progress: Progress | None = None,
                    lineage: list[dict[str, Any]] | None = None, part: set[str] | None = None) -> dict[str, int]:
    """Bring the derived projection to what `result` says, writing only what changed.

    Every element carries `digest`, a hash of its properties: an element whose key and
    digest are already in the graph is left alone, one that went is deleted, and a new or
    changed one is written whole (SET =, so nothing of the previous run survives). The
    graph ends as a clear and full rewrite would leave it; an unchanged graph costs one
    read of the keys and no write.

    With `part` (networks/partial.py), `result` is a detection around those people: only
    their links, their networks (with those networks' members and bridges) and their
    scores are brought up to date, and the rest of the graph is left alone.
    """
    networks = result.networks if part is None else [n for n in result.networks if part.intersection(n.members)]
    chosen = {n.network_id for n in networks}
    links = {(r.pop("a"), r.pop("b")): r for r in result.links.rows()
             if part is None or r["a"] in part or r["b"] in part}
    nets = {n.network_id: dict(n.props, network_id=n.network_id) for n in networks}
    members = {(r["person_id"], r["network_id"], r["role"]): dict(r["props"], role=r["role"])
               for r in member_rows(result, networks)}
    bridges = {(b["a"], b["b"]): {k: v for k, v in b.items() if k not in ("a", "b")} for b in result.bridges
               if b["a"] in chosen or b["b"] in chosen}
    scores = {r["person_id"]: (r["score"], r["nets"]) for r in result.scores if part is None or r["person_id"] in part}
    for props in (*links.values(), *nets.values(), *members.values(), *bridges.values()):
        props[DIGEST] = digest(props)
    old = read_projection(store, part)

    gone_nets = [k for k in old.networks if _stale(k, old.networks, nets)]
    kept = set(old.networks) - set(gone_nets)
    if lineage is not None:
        lineage += network_lineage(old.members, members)
    old_members = {k: v for k, v in old.members.items() if k[1] in kept}
    old_bridges = {k: v for k, v in old.bridges.items() if k[0] in kept and k[1] in kept}
    drops = (
        (Q_DROP_ASSOCIATIONS, [{"a": a, "b": b} for a, b in old.links if _stale((a, b), old.links, links)]),
        (Q_DROP_MEMBERS, [{"person_id": p, "network_id": n, "role": r} for p, n, r in old_members
                          if _stale((p, n, r), old_members, members)]),
        (Q_DROP_BRIDGES, [{"a": a, "b": b} for a, b in old_bridges if _stale((a, b), old_bridges, bridges)]),
        (Q_DROP_NETWORKS, [{"key": k} for k in gone_nets]),
        (Q_DROP_SCORES, [{"key": p} for p in old.scores if p not in scores]),
    )
    for query, rows in drops:
        store.write_batches(query, rows)
    writes: tuple[tuple[str, list[dict[str, Any]]], ...] = (
        (Q_WRITE_ASSOCIATIONS, [{"a": a, "b": b, "props": p} for (a, b), p in links.items()
                                if _changed((a, b), p, old.links)]),
        (Q_WRITE_NETWORKS, [{"network_id": k, "props": p} for k, p in nets.items() if _changed(k, p, old.networks)]),
        (Q_WRITE_MEMBERS, [{"person_id": k[0], "network_id": k[1], "role": k[2], "props": p}
                           for k, p in members.items() if _changed(k, p, old_members)]),
        (Q_WRITE_BRIDGES, [{"a": a, "b": b, "props": p} for (a, b), p in bridges.items()
                           if _changed((a, b), p, old_bridges)]),
        (Q_WRITE_SCORES, [{"person_id": k, "score": s, "nets": n} for k, (s, n) in scores.items()
                          if old.scores.get(k) != (s, n)]),
    )
    for query, rows in writes:
        store.write_batches(query, rows, progress=progress)
    store.sync()
    return {"deleted": sum(len(rows) for _, rows in drops), "written": sum(len(rows) for _, rows in writes)}


def network_lineage(old_members: Iterable[tuple[str, str, str]],
                    new_members: Iterable[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """Each network id that went, with the new network holding most of its people (or None),
    and each new network no old one fed into (`old` None).

    A network's id is a digest of its offenders, so it changes exactly when they do; an
    analyst who wrote NET-… into a case file needs to know where its people went. Members
    are every person IN_NETWORK, children included.
    """
    before: dict[str, set[str]] = {}
    after: dict[str, set[str]] = {}
    for people, keys in ((before, old_members), (after, new_members)):
        for person, net, _ in keys:
            people.setdefault(net, set()).add(person)
    born = set(after) - set(before)
    now_in: dict[str, set[str]] = {}
    for net in born:
        for person in after[net]:
            now_in.setdefault(person, set()).add(net)
    out, fed = [], set()
    for old in sorted(set(before) - set(after)):
        shared = Counter(net for person in before[old] for net in now_in.get(person, ()))
        new = min(shared, key=lambda net: (-shared[net], net)) if shared else None
        fed.add(new)
        out.append({"old": old, "new": new, "kept": shared[new] if new else 0, "old_size": len(before[old]),
                    "new_size": len(after[new]) if new else 0})
    out += [{"old": None, "new": net, "kept": 0, "old_size": 0, "new_size": len(after[net])}
            for net in sorted(born - fed)]
    return out


def digest(props: dict[str, Any]) -> str:
    """A short hash of an element's properties (its own digest left out)."""
    text = json.dumps({k: v for k, v in props.items() if k != DIGEST}, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


@dataclass
class Projection:
    """The derived elements in the graph: key -> the digests found under it (two: a duplicate)."""

    links: dict[tuple[str, str], list[str | None]] = field(default_factory=dict)
    networks: dict[str, list[str | None]] = field(default_factory=dict)
    members: dict[tuple[str, str, str], list[str | None]] = field(default_factory=dict)
    bridges: dict[tuple[str, str], list[str | None]] = field(default_factory=dict)
    scores: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def read_projection(store: GraphStore, part: set[str] | None = None) -> Projection:
    """What the previous detection wrote: all of it, or what `part`'s people own (their
    links, the networks they are members of but not as a child, their scores)."""
    if part is not None:
        return _read_part(store, part)
    old = Projection()
    for row in _read_all(store, Q_OLD_ASSOCIATIONS, "a"):
        for b, d in row["links"]:
            old.links.setdefault((row["a"], b), []).append(d)
    for row in read_paged(store, Q_OLD_NETWORKS, "network_id"):
        old.networks.setdefault(row["network_id"], []).append(row["digest"])
        for p, role, d in row["members"]:
            old.members.setdefault((p, row["network_id"], role), []).append(d)
        for b, d in row["bridges"]:
            old.bridges.setdefault((row["network_id"], b), []).append(d)
    for row in _read_all(store, Q_OLD_SCORES, "person_id"):
        old.scores[row["person_id"]] = (row["score"], row["nets"])
    return old


def _read_part(store: GraphStore, part: set[str]) -> Projection:
    old = Projection()
    people = sorted(part)
    for row in read_chunked(store, Q_OLD_LINKS_OUT, people):
        old.links.setdefault((row["a"], row["b"]), []).append(row["d"])
    for row in read_chunked(store, Q_OLD_LINKS_IN, people):
        if row["a"] not in part:  # else it came back from its other end already
            old.links.setdefault((row["a"], row["b"]), []).append(row["d"])
    ids = sorted({r["network_id"] for r in read_chunked(store, Q_NETWORKS_OF, people)})
    for row in read_chunked(store, Q_OLD_NETWORKS_BY_ID, ids):
        old.networks.setdefault(row["network_id"], []).append(row["digest"])
        for p, role, d in row["members"]:
            old.members.setdefault((p, row["network_id"], role), []).append(d)
        for b, d in row["bridges"]:
            old.bridges.setdefault((row["network_id"], b), []).append(d)
    for row in read_chunked(store, Q_OLD_SCORES_OF, people):
        old.scores[row["person_id"]] = (row["score"], row["nets"])
    return old


def _read_all(store: GraphStore, query: str, key: str, page: int = 20_000,
              limit: int | None = None) -> list[dict[str, Any]]:
    """All rows in one read when they fit the store's result limit, else page by page.

    Each page scans everything again (see Q_OLD_ASSOCIATIONS), so one read is cheaper
    whenever it is allowed.
    """
    try:
        return store.read(query, {"after": "", "page": ALL_ROWS}, limit=limit)
    except ResultTooLarge:
        return list(read_paged(store, query, key, page))


def _stale(key: Any, old: dict[Any, list], new: dict[Any, dict]) -> bool:
    """Delete what went, and every copy of a duplicated element (the write makes one again)."""
    return key not in new or len(old[key]) > 1


def _changed(key: Any, props: dict[str, Any], old: dict[Any, list]) -> bool:
    return old.get(key) != [props[DIGEST]]


def member_rows(result: Detection, networks: list | None = None) -> list[dict[str, Any]]:
    reasons = result.facilitation.reasons
    rows = []
    for n in result.networks if networks is None else networks:
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
        out = csvsafe.writer(fh)
        out.writerow(CSV_COLUMNS)
        for network_id, person_id, role in members:
            out.writerow([network_id, person_id, role, ";".join(sorted(records.get(person_id, ()))),
                          ";".join(sorted(ocgs.get(person_id, ())))])
    return len(members)
