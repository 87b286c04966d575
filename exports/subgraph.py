# SPDX-License-Identifier: GPL-3.0-or-later
"""Fetch the subgraph around a person, a network or some incidents, N hops out.

The walk is breadth-first in Python, one parameterised query per label and direction per
hop, so the hop count never enters the Cypher text. Labels come only from the schema's
allow-list (`graph.schema.NODE_KEYS`). Nodes are named by their stable csenet id (the merge
key), so the same person has the same id in every export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from csenet.graph import schema
from csenet.graph.store import GraphStore

from csenet.errors import InputError

MAX_HOPS = 3
CENTER_KINDS = {"person_id": "Person", "network_id": "Network", "incident_ids": "Incident"}


class ExportError(InputError):
    """An export that cannot be made as asked; the message says what to change."""


class CenterNotFound(ExportError):
    pass


@dataclass
class Subgraph:
    """A neutral node/edge list every writer starts from."""

    nodes: list[dict[str, Any]] = field(default_factory=list)  # {id, label, key, props}
    edges: list[dict[str, Any]] = field(default_factory=list)  # {id, type, source, target, props}
    meta: dict[str, Any] = field(default_factory=dict)


def node_id(label: str, key: Any) -> str:
    return "%s:%s" % (label, key)


def _label_queries() -> dict[str, dict[str, str]]:
    """Per allowed label: fetch one node, its outgoing and its incoming relationships."""
    out: dict[str, dict[str, str]] = {}
    for label, key in schema.NODE_KEYS.items():
        label, key = schema.checked(label, key)
        match = "(a:%s {%s: k})" % (label, key)
        ret = "RETURN k AS key, type(r) AS type, properties(r) AS rel, labels(b) AS labels, properties(b) AS node"
        out[label] = {
            "node": "UNWIND $keys AS k MATCH %s RETURN k AS key, labels(a) AS labels, properties(a) AS node" % match,
            "out": "UNWIND $keys AS k MATCH %s-[r]->(b) %s" % (match, ret),
            "in": "UNWIND $keys AS k MATCH %s<-[r]-(b) %s" % (match, ret),
        }
    return out


QUERIES = _label_queries()


def _primary_label(labels: Iterable[str]) -> str | None:
    for label in labels or ():
        if label in schema.NODE_KEYS:
            return label
    return None


def _props(props: dict[str, Any] | None) -> dict[str, Any]:
    """Properties in name order: each store keeps its own order, and an export must not depend on the store."""
    return dict(sorted((props or {}).items()))


def _edge_id(rtype: str, source: str, target: str, props: dict[str, Any]) -> str:
    parts = [source, rtype, target]
    for k in ("kind", "role", "source_ref"):
        if props.get(k) is not None:
            parts.append(str(props[k]))
    return "|".join(parts)


def center_keys(center: dict[str, Any]) -> tuple[str, list[str]]:
    """(label, keys) of the centre; exactly one of person_id, network_id, incident_ids."""
    given = {k: v for k, v in (center or {}).items() if v not in (None, "", [], ())}
    unknown = sorted(set(given) - set(CENTER_KINDS))
    if unknown or len(given) != 1:
        raise ExportError("give exactly one centre: person_id, network_id or incident_ids")
    kind, value = next(iter(given.items()))
    if kind == "incident_ids":
        keys = [value] if isinstance(value, str) else list(value)
        keys = [str(k).strip() for k in keys if str(k).strip()]
        if not keys:
            raise ExportError("incident_ids is empty")
        if len(keys) > 100:
            raise ExportError("at most 100 incident ids per export")
    else:
        keys = [str(value).strip()]
    return CENTER_KINDS[kind], keys


def fetch_subgraph(store: GraphStore, center: dict[str, Any], hops: int, *, max_nodes: int = 20_000,
                   timeout_ms: int | None = None) -> Subgraph:
    """Every node within `hops` of the centre and every relationship among them."""
    if not isinstance(hops, int) or isinstance(hops, bool) or not 1 <= hops <= MAX_HOPS:
        raise ExportError("hops must be 1, 2 or 3")
    label, keys = center_keys(center)
    q = QUERIES[label]
    found = store.read(q["node"], {"keys": keys}, timeout_ms=timeout_ms)
    missing = sorted(set(keys) - {str(r["key"]) for r in found})
    if missing:
        raise CenterNotFound("no %s with id %s" % (label, ", ".join(missing[:10])))

    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}
    for row in found:
        nid = node_id(label, row["key"])
        nodes[nid] = {"id": nid, "label": label, "key": str(row["key"]), "props": _props(row["node"])}

    frontier: dict[str, set[str]] = {label: set(keys)}
    for hop in range(hops + 1):
        last = hop == hops  # the last pass only closes edges among nodes already found
        nxt: dict[str, set[str]] = {}
        for flabel, fkeys in frontier.items():
            if not fkeys:
                continue
            for direction in ("out", "in"):
                rows = store.read(QUERIES[flabel][direction], {"keys": sorted(fkeys)}, timeout_ms=timeout_ms,
                                  limit=max(max_nodes * 20, 1000))
                for row in rows:
                    blabel = _primary_label(row.get("labels"))
                    bprops = _props(row.get("node"))
                    if blabel is None or bprops.get(schema.NODE_KEYS[blabel]) is None:
                        continue
                    bkey = str(bprops[schema.NODE_KEYS[blabel]])
                    bid = node_id(blabel, bkey)
                    if bid not in nodes:
                        if last:
                            continue
                        if len(nodes) >= max_nodes:
                            raise ExportError("the subgraph has more than %d nodes; use fewer hops or a narrower centre"
                                              % max_nodes)
                        nodes[bid] = {"id": bid, "label": blabel, "key": bkey, "props": bprops}
                        nxt.setdefault(blabel, set()).add(bkey)
                    aid = node_id(flabel, row["key"])
                    source, target = (aid, bid) if direction == "out" else (bid, aid)
                    rel = _props(row.get("rel"))
                    eid = _edge_id(row["type"], source, target, rel)
                    edges.setdefault(eid, {"id": eid, "type": row["type"], "source": source, "target": target,
                                           "props": rel})
        frontier = nxt
        if last:
            break
    return Subgraph(nodes=sorted(nodes.values(), key=lambda n: n["id"]),
                    edges=sorted(edges.values(), key=lambda e: e["id"]),
                    meta={"center": {label: keys}, "hops": hops})
