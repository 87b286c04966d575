# SPDX-License-Identifier: GPL-3.0-or-later
"""IBM i2 Analyst's Notebook exchange format (ANX, the `<Chart>` XML of ANB 8/9).

Each entity's `Identity` is csenet's stable id (person_id, incident_id, record_id, ...),
so importing a later export into the same chart merges with the entities already there
instead of duplicating them. Provenance (source, source rows, load ids) and the
intelligence grade travel as attributes; a 5x5x5-style grade such as `B2` also sets the
chart item's source-reliability and information-assessment grades. The protective
marking is in the chart summary and on every item.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ElementTree, SubElement, indent

from csenet.marking import HANDLING, MARKING
from csenet.exports.subgraph import Subgraph

ENTITY_TYPES = {  # csenet label -> (i2 entity type name, standard icon)
    "Person": ("Person", "Person"),
    "PersonRecord": ("Person Record", "Document"),
    "Incident": ("Incident", "Event"),
    "Location": ("Location", "Building"),
    "Identifier": ("Identifier", "Phone"),
    "OCG": ("Organised Crime Group", "Organisation"),
    "MissingEpisode": ("Missing Episode", "Event"),
    "Network": ("Network", "Group"),
    "Load": ("Load", "Document"),
}
IDENTIFIER_ICONS = {"PHONE": "Phone", "VEHICLE": "Vehicle", "EMAIL": "Email", "SOCIAL": "Internet"}
GRADE_ONE = ["A - Always reliable", "B - Mostly reliable", "C - Sometimes reliable", "D - Unreliable",
             "E - Untested source"]
GRADE_TWO = ["1 - Known directly", "2 - Known indirectly but corroborated", "3 - Known indirectly",
             "4 - Not known", "5 - Suspected to be false"]
_GRADE = re.compile(r"^\s*([A-E])\s*/?\s*([1-5])\s*$", re.IGNORECASE)
PROVENANCE = {"source": "Source", "source_rows": "Source rows", "load_ids": "Load ids", "derived_by": "Derived by",
              "record_ids": "Record ids", "grade": "Intelligence grade", "grades": "Intelligence grade"}


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value if v is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _grade(props: dict[str, Any]) -> tuple[int, int] | None:
    raw = props.get("grade") or props.get("grades")
    for g in (raw if isinstance(raw, list) else [raw]):
        m = _GRADE.match(str(g or ""))
        if m:
            return "ABCDE".index(m.group(1).upper()), int(m.group(2)) - 1
    return None


class _Classes:
    """Attribute classes, created on first use, named for people rather than for code."""

    def __init__(self, parent: Element):
        self.parent = parent
        self.ids: dict[str, str] = {}

    def ref(self, name: str) -> str:
        if name not in self.ids:
            cid = "AC%d" % (len(self.ids) + 1)
            self.ids[name] = cid
            SubElement(self.parent, "AttributeClass", Id=cid, Name=name, Type="AttText", ShowValue="true",
                       IsUser="true", UserCanAdd="true", UserCanRemove="true", Visible="true")
        return self.ids[name]


def _attributes(item: Element, classes: _Classes, attrs: list[tuple[str, str]]) -> None:
    coll = SubElement(item, "AttributeCollection")
    for name, value in attrs:
        SubElement(coll, "Attribute", AttributeClass=name, AttributeClassReference=classes.ref(name), Value=value)


def _attr_name(key: str) -> str:
    return PROVENANCE.get(key) or key.replace("_", " ").capitalize()


def _item_attrs(kind: str, stable_id: str | None, props: dict[str, Any]) -> list[tuple[str, str]]:
    out = [("Protective marking", MARKING)]
    if stable_id is not None:
        out.append(("csenet id", stable_id))
    out.append(("csenet type", kind))
    for k in sorted(props):
        if props[k] is not None and props[k] != [] and props[k] != "":
            out.append((_attr_name(k), _text(props[k])))
    seen: set[str] = set()
    unique = []
    for name, value in out:
        if name in seen:
            continue
        seen.add(name)
        unique.append((name, value))
    return unique


def write_anx(sg: Subgraph, path: Path, label_of: Callable[[dict[str, Any]], str]) -> None:
    chart = Element("Chart", IdReferenceLinking="false", Rigorous="true")
    SubElement(chart, "ApplicationVersion", Major="9", Minor="0", Point="0", Build="0")
    for tag, texts, prefix in (("GradeOne", GRADE_ONE, "G1"), ("GradeTwo", GRADE_TWO, "G2")):
        coll = SubElement(SubElement(chart, tag), "StringCollection")
        for i, t in enumerate(texts):
            SubElement(coll, "String", Id="%s_%d" % (prefix, i), Text=t)
    strengths = SubElement(chart, "StrengthCollection")
    SubElement(strengths, "Strength", Id="S1", Name="Confirmed", DotStyle="DotStyleSolid")
    SubElement(strengths, "Strength", Id="S2", Name="Tentative", DotStyle="DotStyleDashed")
    classes = _Classes(SubElement(chart, "AttributeClassCollection"))
    entity_types = SubElement(chart, "EntityTypeCollection")
    link_types = SubElement(chart, "LinkTypeCollection")
    items = SubElement(chart, "ChartItemCollection")
    entity_ids = _entities(sg, items, entity_types, classes, label_of)
    _links(sg, items, link_types, classes, entity_ids)
    _summary(chart, sg)
    indent(chart)
    ElementTree(chart).write(str(path), encoding="utf-8", xml_declaration=True)


def _graded(item: Element, props: dict[str, Any]) -> None:
    grade = _grade(props)
    if grade:
        item.set("GradeOneIndex", str(grade[0]))
        item.set("GradeTwoIndex", str(grade[1]))


def _entities(sg: Subgraph, items: Element, entity_types: Element, classes: _Classes,
              label_of: Callable[[dict[str, Any]], str]) -> dict[str, str]:
    """One chart item per node, laid out on a circle; returns node id -> entity id."""
    type_names: dict[str, str] = {}

    def entity_type(label: str, props: dict[str, Any]) -> str:
        name, icon = ENTITY_TYPES.get(label, (label, "Document"))
        if label == "Identifier" and props.get("kind") in IDENTIFIER_ICONS:
            name, icon = "%s %s" % (str(props["kind"]).capitalize(), "Identifier"), IDENTIFIER_ICONS[props["kind"]]
        if name not in type_names:
            type_names[name] = "ET%d" % (len(type_names) + 1)
            SubElement(entity_types, "EntityType", Id=type_names[name], Name=name, IconFile=icon)
        return name

    entity_ids: dict[str, str] = {}
    n = max(len(sg.nodes), 1)
    radius = 120 + 30 * n
    for i, node in enumerate(sg.nodes):
        eid = "E%d" % (i + 1)
        entity_ids[node["id"]] = eid
        tname = entity_type(node["label"], node["props"])
        angle = 2 * math.pi * i / n
        x, y = int(radius * math.cos(angle)), int(radius * math.sin(angle))
        item = SubElement(items, "ChartItem", Id="CI_%s" % eid, Label=label_of(node), XPosition=str(x),
                          Description="%s %s" % (node["label"], MARKING))
        _graded(item, node["props"])
        end = SubElement(item, "End", X=str(x), Y=str(y), Z="0")
        entity = SubElement(end, "Entity", EntityId=eid, Identity=str(node["key"]), LabelIsIdentity="false")
        SubElement(SubElement(entity, "Icon"), "IconStyle", Type=tname)
        _attributes(item, classes, _item_attrs(node["label"], str(node["key"]), node["props"]))
    return entity_ids


def _links(sg: Subgraph, items: Element, link_types: Element, classes: _Classes, entity_ids: dict[str, str]) -> None:
    link_names: dict[str, str] = {}
    for j, edge in enumerate(sg.edges):
        end1, end2 = entity_ids.get(edge["source"]), entity_ids.get(edge["target"])
        if end1 is None or end2 is None:
            continue
        if edge["type"] not in link_names:
            link_names[edge["type"]] = "LT%d" % (len(link_names) + 1)
            SubElement(link_types, "LinkType", Id=link_names[edge["type"]], Name=edge["type"])
        item = SubElement(items, "ChartItem", Id="CI_L%d" % (j + 1), Label=edge["type"],
                          Description="%s %s" % (edge["type"], MARKING))
        _graded(item, edge["props"])
        link = SubElement(item, "Link", End1Id=end1, End2Id=end2)
        SubElement(link, "LinkStyle", Type=edge["type"], LinkTypeReference=link_names[edge["type"]],
                   Strength="Confirmed", ArrowStyle="ArrowOnHead", MlStyle="MultiplicityMultiple")
        _attributes(item, classes, _item_attrs(edge["type"], None, edge["props"]))


def _summary(chart: Element, sg: Subgraph) -> None:
    """The chart's summary: marking, handling, and whether victims are pseudonymised."""
    summary = SubElement(chart, "Summary")
    fields = SubElement(summary, "FieldCollection")
    SubElement(fields, "Field", Type="SummaryFieldTitle", Field="csenet subgraph [%s]" % MARKING)
    SubElement(fields, "Field", Type="SummaryFieldSubject", Field=MARKING)
    SubElement(fields, "Field", Type="SummaryFieldComments", Field=HANDLING)
    props = SubElement(summary, "CustomPropertyCollection")
    SubElement(props, "CustomProperty", Name="Protective marking", Type="String", Value=MARKING)
    SubElement(props, "CustomProperty", Name="Pseudonymised", Type="String",
               Value=str(bool(sg.meta.get("pseudonymised", False))).lower())
    SubElement(props, "CustomProperty", Name="Hops", Type="String", Value=str(sg.meta.get("hops", "")))
