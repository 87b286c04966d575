# SPDX-License-Identifier: GPL-3.0-or-later
"""Analyst workspaces: a pseudonymised, access-logged subgraph copied into its own local Neo4j.

Neo4j Browser on the main graph bypasses csenet's access log and pseudonymisation, so it is
an administrator's tool. An analyst who wants to explore freely in Browser gets a
workspace instead: the subgraph around a network or a person (exports/subgraph.py),
victims pseudonymised (exports/pseudonymise.py), the copy logged with its justification
like any export, loaded into a separate local Neo4j (graph/neo4j_local.py) with its own
data folder, ports and password. Re-identification stays an act of the API.
"""

from __future__ import annotations

import datetime as _dt
import getpass
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csenet.access_log import AccessLog
from csenet.errors import InputError
from csenet.exports.pseudonymise import load_or_create_key, pseudonymise
from csenet.exports.subgraph import Subgraph, fetch_subgraph
from csenet.graph import schema
from csenet.graph.store import GraphStore
from csenet.settings import Settings

# Relationship types a workspace may hold: the graph model's (docs/graph-model.md).
REL_TYPES = frozenset({
    "INVOLVED_IN", "RECORDED_ASSOCIATION", "HAS_IDENTIFIER", "MEMBER_OF", "REPORTED_MISSING", "OCCURRED_AT",
    "FOUND_AT", "RESOLVED_TO", "VICTIM_IN", "SUSPECT_IN", "OFFENDER_IN", "WITNESS_IN", "REPORTER_IN", "OTHER_IN",
    "ASSOCIATE_OF", "USES", "MAPPED_TO", "WENT_MISSING", "ASSOCIATED_WITH", "IN_NETWORK", "BRIDGES_TO",
})
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
NODE_WRITE = "UNWIND $rows AS row MERGE (n:%s {%s: row.key}) SET n += row.props"
EDGE_WRITE = ("UNWIND $rows AS row MATCH (a:%s {%s: row.a}) MATCH (b:%s {%s: row.b}) "
              "MERGE (a)-[r:%s {edge_id: row.id}]->(b) SET r += row.props")
META_WRITE = ("MERGE (w:Workspace {name: $name}) SET w.center = $center, w.hops = $hops, "
              "w.justification = $justification, w.created_at = $created_at, w.created_by = $user, "
              "w.pseudonymised = true, w.nodes = $nodes, w.relationships = $relationships")


@dataclass(frozen=True)
class Workspace:
    name: str
    url: str
    browser_url: str
    password_file: Path
    nodes: int
    relationships: int
    skipped: int


def workspace_home(settings: Settings, name: str) -> Path:
    if not _NAME.match(name or ""):
        raise InputError("workspace name %r: use 1-40 lower-case letters, digits and '-'" % name)
    return Path(settings.data) / "workspaces" / name / "neo4j"


def default_name(center: dict[str, Any]) -> str:
    kind, value = next((k, v) for k, v in center.items() if v)
    return re.sub(r"[^a-z0-9-]+", "-", "%s-%s" % (kind.split("_")[0], str(value).lower())).strip("-")[:40]


def _flat(value: Any) -> Any:
    """A Neo4j property value: scalars and lists of scalars; anything else as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list) and all(isinstance(v, bool | int | float | str) for v in value):
        types = {type(v) for v in value}
        return value if len(types) <= 1 else [str(v) for v in value]
    return str(value)


def _key_of(node: dict[str, Any]) -> tuple[str, str]:
    return schema.checked(node["label"], schema.NODE_KEYS[node["label"]])


def write_subgraph(store: GraphStore, sg: Subgraph) -> tuple[int, int, int]:
    """The subgraph into an empty store: (nodes, relationships, relationships skipped: type not allowed)."""
    store.ensure_schema()
    labels = {n["id"]: n for n in sg.nodes}
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in sg.nodes:
        label, key = _key_of(n)
        props = {k: _flat(v) for k, v in n["props"].items() if v is not None}
        props[key] = n["key"]
        by_label[label].append({"key": n["key"], "props": props})
    for label, rows in by_label.items():
        store.write_batches(NODE_WRITE % (label, schema.NODE_KEYS[label]), rows)
    by_type: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    skipped = 0
    for e in sg.edges:
        a, b = labels.get(e["source"]), labels.get(e["target"])
        if e["type"] not in REL_TYPES or a is None or b is None:
            skipped += 1
            continue
        props = {k: _flat(v) for k, v in e["props"].items() if v is not None}
        row = {"id": e["id"], "a": a["key"], "b": b["key"], "props": props}
        by_type[(e["type"], a["label"], b["label"])].append(row)
    for (rtype, la, lb), rows in by_type.items():
        la, ka = _key_of({"label": la})
        lb, kb = _key_of({"label": lb})
        store.write_batches(EDGE_WRITE % (la, ka, lb, kb, rtype), rows)
    store.sync()
    return len(sg.nodes), len(sg.edges) - skipped, skipped


def create_workspace(main: GraphStore, settings: Settings, center: dict[str, Any], hops: int,
                     justification: str, name: str | None = None, bolt_port: int | None = None,
                     http_port: int | None = None) -> Workspace:
    """Copy the pseudonymised subgraph around `center` into a new local Neo4j, logged; start it."""
    from csenet.graph.neo4j_local import LocalNeo4j, free_port
    from csenet.graph.neo4j_store import Neo4jStore

    if not (justification or "").strip():
        raise InputError("a workspace copies person data: give --justification (a case or operation reference)")
    name = name or default_name(center)
    home = workspace_home(settings, name)
    if home.exists():
        raise InputError("workspace %r exists (%s): choose another --name or remove it" % (name, home.parent))
    sg = pseudonymise(main, fetch_subgraph(main, center, hops, max_nodes=settings.export_max_nodes,
                                           timeout_ms=settings.query_timeout_ms),
                      load_or_create_key(settings.pseudonym_key_path()))
    user = "cli:" + getpass.getuser()
    AccessLog(settings.access_log_path()).append(
        user=user, role="cli", action="workspace_create", route="CLI workspace create",
        parameters={**{k: v for k, v in center.items() if v}, "hops": hops, "workspace": name},
        justification=justification, records=len(sg.nodes), outcome="ok", status=None)
    server = LocalNeo4j.for_settings(settings, home=home, bolt_port=bolt_port or free_port(),
                                     http_port=http_port or free_port())
    try:
        server.start()
        store = Neo4jStore.connect("bolt://neo4j:%s@127.0.0.1:%d" % (server.password(), server.bolt_port), settings)
        try:
            nodes, rels, skipped = write_subgraph(store, sg)
            store.write(META_WRITE, {"name": name, "center": str(sorted((k, v) for k, v in center.items() if v)),
                                     "hops": hops, "justification": justification, "user": user,
                                     "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                                     "nodes": nodes, "relationships": rels})
        finally:
            store.close()
    except Exception:
        server.stop()
        shutil.rmtree(home.parent, ignore_errors=True)
        raise
    return Workspace(name=name, url=server.url, browser_url=server.browser_url, password_file=home / "password",
                     nodes=nodes, relationships=rels, skipped=skipped)
