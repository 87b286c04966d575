# SPDX-License-Identifier: GPL-3.0-or-later
"""Writers from a `Subgraph` to the files analysts' tools open: GraphML, GEXF, Cytoscape JSON, CSV, i2 ANX.

Each writes the protective marking where its format has room for it.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import networkx as nx

from csenet import csvsafe
from csenet.exports.anx import write_anx
from csenet.marking import HANDLING, MARKING
from csenet.exports.subgraph import Subgraph

FORMATS = ("graphml", "gexf", "json", "csv", "i2")
MEDIA_TYPES = {
    "graphml": "application/graphml+xml",
    "gexf": "application/gexf+xml",
    "json": "application/json",
    "csv": "application/zip",
    "i2": "application/xml",
}
SUFFIXES = {"graphml": ".graphml", "gexf": ".gexf", "json": ".json", "csv": ".zip", "i2": ".anx"}


def flat(value: Any) -> str | int | float | bool | None:
    """A value an XML attribute or CSV cell can hold: lists `;`-joined, maps as JSON."""
    if value is None:
        return None
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return ";".join(str(flat(v)) for v in value if v is not None)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def display_name(node: dict[str, Any]) -> str:
    p = node["props"]
    if p.get("pseudonym"):
        return str(p["pseudonym"])
    if node["label"] in ("Person", "PersonRecord"):
        name = " ".join(str(p[k]) for k in ("given_names", "family_name") if p.get(k))
        return name or node["key"]
    for k in ("name", "offence", "value"):
        if p.get(k):
            return "%s %s" % (node["key"], p[k]) if node["label"] == "Incident" else str(p[k])
    return node["key"]


def _graph_meta(sg: Subgraph) -> dict[str, str]:
    return {
        "protective_marking": MARKING,
        "handling": HANDLING,
        "generator": "csenet",
        "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "center": json.dumps(sg.meta.get("center", {}), sort_keys=True),
        "hops": str(sg.meta.get("hops", "")),
        "pseudonymised": str(bool(sg.meta.get("pseudonymised", False))).lower(),
    }


def to_networkx(sg: Subgraph, *, text_only: bool = True) -> nx.MultiDiGraph:
    """All values as text for XML formats, so one attribute never has two types."""
    g = nx.MultiDiGraph()
    g.graph.update(_graph_meta(sg))
    for n in sg.nodes:
        attrs = {"node_type": n["label"], "csenet_id": n["key"], "label": display_name(n)}
        for k, v in n["props"].items():
            v = flat(v)
            if v is not None and k not in attrs:
                attrs["p_" + k if k in ("id", "label") else k] = str(v) if text_only else v
        g.add_node(n["id"], **attrs)
    for e in sg.edges:
        attrs = {"rel_type": e["type"], "label": e["type"]}
        for k, v in e["props"].items():
            v = flat(v)
            if v is not None:
                attrs["p_" + k if k in ("id", "label", "source", "target", "key") else k] = str(v) if text_only else v
        g.add_edge(e["source"], e["target"], key=e["id"], id=e["id"], **attrs)
    return g


def write_graphml(sg: Subgraph, path: Path) -> None:
    nx.write_graphml(to_networkx(sg), str(path), encoding="utf-8", prettyprint=True)


def write_gexf(sg: Subgraph, path: Path) -> None:
    g = to_networkx(sg)
    g.graph["name"] = "csenet subgraph [%s]" % MARKING
    writer = nx.readwrite.gexf.GEXFWriter(graph=g, encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    if meta is not None:
        from xml.etree.ElementTree import SubElement

        SubElement(meta, "description").text = "%s. %s" % (MARKING, HANDLING)
        SubElement(meta, "keywords").text = MARKING
    with open(path, "wb") as fh:
        writer.write(fh)


def write_cytoscape_json(sg: Subgraph, path: Path) -> None:
    g = to_networkx(sg, text_only=False)
    doc = nx.cytoscape_data(g)
    doc = {"protective_marking": MARKING, "handling": HANDLING, **_graph_meta(sg), **doc}
    doc["center"] = sg.meta.get("center", {})
    doc["pseudonymised"] = bool(sg.meta.get("pseudonymised", False))
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1, default=str)


def _csv_text(rows: list[dict[str, Any]], fixed: list[str]) -> str:
    extra = sorted({k for r in rows for k in r} - set(fixed))
    buf = io.StringIO()
    buf.write("# PROTECTIVE MARKING: %s\n" % MARKING)
    w = csvsafe.DictWriter(buf, fieldnames=fixed + extra, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else flat(v)) for k, v in r.items()})
    return buf.getvalue()


def write_csv_zip(sg: Subgraph, path: Path) -> None:
    """nodes.csv and edges.csv, each opening with a marking line (skip one line to parse)."""
    nodes = [{"id": n["id"], "label": n["label"], "csenet_id": n["key"], "name": display_name(n),
              **{("prop_" + k if k in ("id", "label", "name", "csenet_id") else k): v for k, v in n["props"].items()}}
             for n in sg.nodes]
    edges = [{"id": e["id"], "type": e["type"], "source": e["source"], "target": e["target"],
              **{("prop_" + k if k in ("id", "type", "source", "target") else k): v for k, v in e["props"].items()}}
             for e in sg.edges]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("nodes.csv", _csv_text(nodes, ["id", "label", "csenet_id", "name"]))
        zf.writestr("edges.csv", _csv_text(edges, ["id", "type", "source", "target"]))
        zf.writestr("MARKING.txt", "%s\n%s\n%s\n" % (MARKING, HANDLING, json.dumps(_graph_meta(sg), sort_keys=True)))


WRITERS = {
    "graphml": write_graphml,
    "gexf": write_gexf,
    "json": write_cytoscape_json,
    "csv": write_csv_zip,
    "i2": lambda sg, path: write_anx(sg, path, display_name),
}


def write(sg: Subgraph, fmt: str, path: Path) -> None:
    if fmt not in WRITERS:
        raise ValueError("format %r: choose one of %s" % (fmt, ", ".join(FORMATS)))
    WRITERS[fmt](sg, Path(path))
