"""What a loaded graph answers, gathered the same way from each store so two can be compared.

`fingerprint` loads a bundle and collects the contract's files, every canned query's rows
(over ids taken from the graph itself), a fixed set of API responses and subgraph exports,
with timestamps removed and floats written to 9 significant digits (the last bit of a
sum may differ with its order; nothing an analyst reads does).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from csenet.settings import Settings

TIMESTAMPS = {"generated_at", "loaded_at", "exported_at", "created_at", "timestamp", "ts"}
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)")
# Server notifications a canned query may raise on a graph that simply lacks a label or type.
BENIGN = {"UNRECOGNIZED"}


def normal(value: Any) -> Any:
    if isinstance(value, float):
        return float("%.9g" % value)
    if isinstance(value, str):
        return _STAMP.sub("<time>", value)
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items() if k not in TIMESTAMPS}
    return value


def ids_of(store) -> dict[str, list[str]]:
    """Networks, people and a district to ask about, chosen from the graph (the same on both if equal)."""
    nets = [r["n"] for r in store.read("MATCH (n:Network) RETURN n.network_id AS n ORDER BY n LIMIT 4")]
    people = [r["p"] for r in store.read(
        "MATCH (p:Person)-[a:ASSOCIATED_WITH]-() WITH p, count(a) AS links "
        "RETURN p.person_id AS p ORDER BY links DESC, p LIMIT 3")]
    people += [r["p"] for r in store.read(
        "MATCH (p:Person)-[m:IN_NETWORK]->(:Network) RETURN DISTINCT p.person_id AS p ORDER BY p LIMIT 3")]
    districts = [r["d"] for r in store.read(
        "MATCH (i:Incident) WHERE i.district IS NOT NULL RETURN DISTINCT i.district AS d ORDER BY d LIMIT 1")]
    return {"network_id": nets, "person_id": list(dict.fromkeys(people)), "district": districts}


def param_sets(query, ids: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The defaults, then each optional filter we have a value for, then every id for a required one."""
    names = {p.name: p for p in query.params}
    required = [p.name for p in query.params if p.required]
    if required:
        (name,) = required
        sets = [{name: v} for v in ids.get(name, [])]
        if "hops" in names:
            sets = [{**s, "hops": h} for s in sets for h in (1, 2, 3)]
        return sets
    sets: list[dict[str, Any]] = [{}]
    for name in ("district", "network_id"):
        if name in names and ids.get(name):
            sets.append({name: ids[name][0]})
    return sets


def canned_rows(store, ids: dict[str, list[str]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every canned query's ordered rows per parameter set, and the notifications they raised."""
    from csenet.cypher.registry import load_registry

    out: dict[str, Any] = {}
    raised: list[dict[str, Any]] = []
    collect = getattr(store, "collecting_notifications", None)
    for name, query in sorted(load_registry().items()):
        for params in param_sets(query, ids):
            text = query.text_for(store.dialect)
            if collect is None:
                rows = store.read(text, query.bind(params))
            else:
                with collect() as notes:
                    rows = store.read(text, query.bind(params))
                raised += [dict(n, canned=name) for n in notes if n["classification"] not in BENIGN]
            out["%s %s" % (name, json.dumps(params, sort_keys=True))] = normal(rows)
    return out, raised


def api_responses(store, settings: Settings, ids: dict[str, list[str]]) -> dict[str, Any]:
    """A fixed set of requests through the real app, as a supervisor (may export and re-identify)."""
    from fastapi.testclient import TestClient

    from csenet.api.app import create_app
    from csenet.api.users import add_user

    token = add_user(settings, "agree-supervisor", "supervisor")
    headers = {"Authorization": "Bearer " + token, "X-Justification": "OP-AGREE-2026/13"}
    paths = ["/queries", "/networks?page_size=100", "/audit?page_size=500", "/audit?verdict=UNDER_FLAGGED",
             "/prevalence"]
    for nid in ids["network_id"][:2]:
        paths += ["/networks/%s" % nid, "/exports/subgraph?network_id=%s&format=json" % nid]
    for pid in ids["person_id"][:3]:
        paths += ["/persons/%s" % pid, "/persons/%s/associates" % pid,
                  "/exports/subgraph?person_id=%s&hops=2&format=json" % pid]
    out: dict[str, Any] = {}
    with TestClient(create_app(settings, store), raise_server_exceptions=True) as client:
        for pid in ids["person_id"][:1]:
            person = client.get("/persons/%s" % pid, headers=headers).json()
            name = json.dumps(person, sort_keys=True)
            family = re.search(r'"family_name": "([^"]+)"', name)
            if family:
                paths.append("/persons/search?name=%s" % family.group(1))
        for path in paths:
            r = client.get(path, headers=headers)
            body = r.json() if "json" in r.headers.get("content-type", "") else r.text
            out[path] = {"status": r.status_code, "body": normal(body)}
    return out


def subgraph_exports(store, settings: Settings, ids: dict[str, list[str]], tmp: Path) -> dict[str, str]:
    """GraphML, GEXF and i2 files around the first network, victims pseudonymised; timestamps blanked."""
    from csenet.exports import export_subgraph

    out = {}
    for nid in ids["network_id"][:1]:
        for fmt in ("graphml", "gexf", "json", "i2"):
            path = tmp / ("sub-%s.%s" % (nid, fmt))
            export_subgraph(store, {"network_id": nid}, 2, fmt, path, settings=settings)
            out["%s %s" % (nid, fmt)] = _STAMP.sub("<time>", path.read_text(encoding="utf-8"))
    return out


def fingerprint(store, settings: Settings, bundle: Path, tmp: Path) -> dict[str, Any]:
    from csenet.pipeline import load_and_analyse
    from csenet.networks.projection import export_networks_csv
    from csenet.outputs import export_audit, export_entities

    tmp.mkdir(parents=True, exist_ok=True)
    load_and_analyse(store, bundle, settings, rejects_path=tmp / "rejects.csv")
    fp: dict[str, Any] = {"rejects.csv": (tmp / "rejects.csv").read_text()}
    for name, export in (("entities.csv", export_entities), ("networks.csv", export_networks_csv),
                         ("audit.csv", export_audit)):
        export(store, tmp / name)
        fp[name] = (tmp / name).read_text()
    ids = ids_of(store)
    fp["ids"] = ids
    fp["queries"], fp["notifications"] = canned_rows(store, ids)
    fp["api"] = api_responses(store, settings, ids)
    fp["subgraphs"] = subgraph_exports(store, settings, ids, tmp)
    return fp
