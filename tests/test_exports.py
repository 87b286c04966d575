# SPDX-License-Identifier: GPL-3.0-or-later
"""Subgraph exports from a real embedded FalkorDB: every format parses, victims stay pseudonymous."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import networkx as nx
import pytest

from csenet.settings import Settings
from csenet.exports import FORMATS, ExportError, export_subgraph, fetch_subgraph
from csenet.marking import MARKING
from csenet.exports.pseudonymise import load_or_create_key
from tests.api_support import graph_store, person_of_record, seed  # noqa: F401  (fixture)

VICTIM_NAMES_Q = (
    "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(:Person)-[:VICTIM_IN]->(:Incident) "
    "RETURN DISTINCT r.family_name AS family, r.given_names AS given, r.record_id AS record_id, "
    "r.postcode AS postcode, r.date_of_birth AS dob"
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    base = tmp_path_factory.mktemp("exp")
    return Settings(data=base, graph_name="t_api", pseudonym_key_file=base / "keys" / "pseudonym.key")


@pytest.fixture(scope="module")
def victims(graph_store):
    rows = graph_store.read(VICTIM_NAMES_Q)
    names = {w for r in rows for f in ("family", "given") for w in (r[f] or "").split() if len(w) > 2}
    assert {"Nowell", "Tayla"} <= names
    return {"names": names, "record_ids": {r["record_id"] for r in rows},
            "postcodes": {r["postcode"] for r in rows if r["postcode"]}}


@pytest.fixture(scope="module")
def kyle(graph_store):
    return person_of_record(graph_store, "P-3")


def file_text(path: Path, fmt: str) -> str:
    if fmt == "csv":
        with zipfile.ZipFile(path) as zf:
            return "\n".join(zf.read(n).decode("utf-8") for n in zf.namelist())
    return path.read_text(encoding="utf-8")


def assert_no_victim_data(text: str, victims: dict) -> None:
    for name in victims["names"]:
        assert not re.search(r"(?<!\w)%s(?!\w)" % re.escape(name), text, re.IGNORECASE), name
    for rid in victims["record_ids"]:
        assert not re.search(r"(?<![\w-])%s(?![\w])" % re.escape(rid), text), rid
    for pc in victims["postcodes"]:
        assert pc not in text
    assert "07700900111" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_parses_is_marked_and_pseudonymised(graph_store, settings, victims, kyle, tmp_path, fmt):
    out = tmp_path / ("out." + fmt)
    result = export_subgraph(graph_store, {"person_id": kyle}, 2, fmt, out, settings=settings)
    assert result.pseudonymised and result.nodes > 3 and result.edges > 3
    assert out.stat().st_mode & 0o777 == 0o600
    text = file_text(out, fmt)
    assert MARKING in text
    assert_no_victim_data(text, victims)
    key = load_or_create_key(settings.pseudonym_key_path())
    assert key.hex() not in text and key.hex().upper() not in text

    if fmt in ("graphml", "gexf"):
        g = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
        assert g.number_of_nodes() == result.nodes and g.number_of_edges() == result.edges
        if fmt == "graphml":
            assert g.graph["protective_marking"] == MARKING
        ids = {d.get("csenet_id") for _, d in g.nodes(data=True)}
        assert kyle in ids
    elif fmt == "json":
        doc = json.loads(text)
        assert doc["protective_marking"] == MARKING and doc["pseudonymised"] is True
        g = nx.cytoscape_graph({k: doc[k] for k in ("data", "directed", "multigraph", "elements")})
        assert g.number_of_nodes() == result.nodes
    elif fmt == "csv":
        with zipfile.ZipFile(out) as zf:
            for name, count in (("nodes.csv", result.nodes), ("edges.csv", result.edges)):
                lines = zf.read(name).decode("utf-8").splitlines(keepends=True)
                assert lines[0].startswith("# PROTECTIVE MARKING: %s" % MARKING)
                rows = list(csv.DictReader(io.StringIO("".join(lines[1:]))))
                assert len(rows) == count
    elif fmt == "i2":
        root = ET.parse(out).getroot()
        assert root.tag == "Chart"
        for tag in ("EntityTypeCollection", "LinkTypeCollection", "ChartItemCollection", "AttributeClassCollection"):
            assert root.find(tag) is not None, tag
        entities = root.findall("./ChartItemCollection/ChartItem/End/Entity")
        identities = {e.get("Identity") for e in entities}
        assert kyle in identities and "INC-1" in identities and "P-3" in identities
        types = {t.get("Name") for t in root.findall("./EntityTypeCollection/EntityType")}
        assert all(e.find("./Icon/IconStyle").get("Type") in types for e in entities)
        entity_ids = {e.get("EntityId") for e in entities}
        links = root.findall("./ChartItemCollection/ChartItem/Link")
        assert links and all(l.get("End1Id") in entity_ids and l.get("End2Id") in entity_ids for l in links)
        link_types = {t.get("Name") for t in root.findall("./LinkTypeCollection/LinkType")}
        assert all(l.find("LinkStyle").get("Type") in link_types for l in links)
        marks = root.findall("./Summary/CustomPropertyCollection/CustomProperty[@Name='Protective marking']")
        assert marks and marks[0].get("Value") == MARKING
        attrs = {a.get("AttributeClass") for a in root.iter("Attribute")}
        assert {"Source", "Source rows", "Load ids"} <= attrs
        # the intelligence grade of a recorded association travels too
        assert "Intelligence grade" in attrs or not any("grade" in (a.get("AttributeClass") or "").lower()
                                                        for a in root.iter("Attribute"))


def test_pseudonyms_are_stable_so_charts_merge(graph_store, settings, kyle, tmp_path):
    a = export_subgraph(graph_store, {"person_id": kyle}, 2, "i2", tmp_path / "a.anx", settings=settings)
    b = export_subgraph(graph_store, {"incident_ids": ["INC-1"]}, 1, "i2", tmp_path / "b.anx", settings=settings)
    assert a.nodes and b.nodes

    def identities(p: Path) -> set[str]:
        return {e.get("Identity") for e in ET.parse(p).getroot().iter("Entity")}

    victims_a = {i for i in identities(tmp_path / "a.anx") if i.startswith("VICTIM-")}
    victims_b = {i for i in identities(tmp_path / "b.anx") if i.startswith("VICTIM-")}
    assert victims_a and victims_a == victims_b


def test_reidentified_export_keeps_names(graph_store, settings, kyle, tmp_path):
    out = tmp_path / "r.graphml"
    r = export_subgraph(graph_store, {"person_id": kyle}, 2, "graphml", out, pseudonymise=False, settings=settings)
    assert not r.pseudonymised
    assert "Nowell" in out.read_text() and "false" in nx.read_graphml(out).graph["pseudonymised"]


def test_key_file_is_private_and_made_once(settings):
    path = settings.pseudonym_key_path()
    key = load_or_create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600 and len(key) == 32
    assert load_or_create_key(path) == key


def test_centres_and_hops(graph_store, kyle):
    net = graph_store.read("MATCH (n:Network) RETURN n.network_id AS id LIMIT 1")
    if net:
        sg = fetch_subgraph(graph_store, {"network_id": net[0]["id"]}, 1)
        assert any(n["label"] == "Person" for n in sg.nodes)
    one = fetch_subgraph(graph_store, {"person_id": kyle}, 1)
    three = fetch_subgraph(graph_store, {"person_id": kyle}, 3)
    assert len(one.nodes) < len(three.nodes)
    ids = {n["id"] for n in three.nodes}
    assert all(e["source"] in ids and e["target"] in ids for e in three.edges)
    for bad in ({"person_id": kyle, "network_id": "x"}, {}, {"sql": "x"}):
        with pytest.raises(ExportError):
            fetch_subgraph(graph_store, bad, 1)
    with pytest.raises(ExportError):
        fetch_subgraph(graph_store, {"person_id": kyle}, 4)
    with pytest.raises(ExportError, match="no Person"):
        fetch_subgraph(graph_store, {"person_id": "PER-NOBODY"}, 1)
    with pytest.raises(ExportError, match="more than"):
        fetch_subgraph(graph_store, {"person_id": kyle}, 3, max_nodes=2)


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory):
    """The seed carries a victim's name inside an incident summary: free text is scrubbed too."""
    from csenet.graph.falkordb_store import FalkorStore

    store = FalkorStore.embedded(Settings(data=tmp_path_factory.mktemp("seed"), graph_name="t_seed"))
    try:
        store.drop_graph()
        seed(store)
        yield store
    finally:
        store.close()


def test_victim_names_in_free_text_and_relatives_are_scrubbed(seeded_store, settings, tmp_path):
    out = tmp_path / "s.json"
    export_subgraph(seeded_store, {"incident_ids": ["INC-2", "INC-4"]}, 2, "json", out, settings=settings)
    text = out.read_text()
    for name in ("Tayla", "Nowell", "Eira", "Lindqvist", "P-2", "P-7", "07700900111", "12 Elm Grove"):
        assert name not in text, name
    assert "[victim name] [victim name] located at a guest house" in text
    doc = json.loads(text)
    victims = [n["data"] for n in doc["elements"]["nodes"] if n["data"].get("is_victim")]
    assert victims and all("family_name" not in v and "date_of_birth" not in v for v in victims)
    assert {v.get("year_of_birth") for v in victims if v["node_type"] == "Person"} >= {"2008", "2015"}


def test_cli_export_is_logged(graph_store, settings, kyle, tmp_path):
    from csenet.access_log import read_entries, verify
    from csenet.exports.cli import export_subgraph_cli

    s = settings.model_copy(update={"access_log": tmp_path / "log.jsonl"})
    out = tmp_path / "cli.anx"
    n = export_subgraph_cli(graph_store, s, out, person=kyle, hops=1, fmt="i2", reidentify=True)
    assert n > 0 and out.exists()
    entry = read_entries(s.access_log_path())[-1]
    assert entry["action"] == "export_subgraph" and entry["parameters"]["reidentify"] is True
    assert entry["records"] == n and verify(s.access_log_path()).ok
