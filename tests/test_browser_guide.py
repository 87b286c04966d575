# SPDX-License-Identifier: GPL-3.0-or-later
"""The Neo4j Browser guide and style sheet: what `:play` and `:style` will be given.

Browser is forgiving, so a broken guide would fail quietly in front of an analyst; these
tests parse the guide the way Browser reads it (slides, `pre.runnable` text) and the
GraSS file the way Browser's own parser does.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from csenet.api.browser_guide import MODEL_QUERIES, cypher_literal, params_command, render_guide, runnable_text

ROOT = Path(__file__).resolve().parents[1]
GRASS = ROOT / "api" / "static" / "csenet.grass"
LABELS = ("Person", "PersonRecord", "Incident", "Location", "Identifier", "OCG", "MissingEpisode", "Network", "Load")
VOID = {"meta", "br", "hr", "img", "input", "link"}


@dataclass(frozen=True)
class P:
    name: str
    type: str
    default: Any = None
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Q:
    name: str
    title: str
    purpose: str
    inquiry: str
    neo4j_text: str
    params: tuple[P, ...] = field(default_factory=tuple)


SAMPLE = [
    Q(
        name="suspects_in_district",
        title="Suspects in a district since a date",
        purpose="Who is suspected in CSE incidents & where",
        inquiry="Finding 3: perpetrators' <networks> were not mapped",
        neo4j_text=(
            "// name: suspects_in_district\n// title: x\n"
            "MATCH (p:Person)-[:SUSPECT_IN]->(i:Incident)<-[:SUSPECT_IN]-(q:Person)\n"
            "WHERE i.district = $district AND i.occurred_at >= $since AND i.flagged_cse = $flagged\n"
            "RETURN p.person_id, q.person_id LIMIT $limit"
        ),
        params=(
            P("district", "string", required=True, description="district name"),
            P("since", "date", default="2020-01-01"),
            P("flagged", "bool", default=True),
            P("limit", "int", default=100),
        ),
    ),
    Q(
        name="all_networks",
        title="Every network",
        purpose="Lists networks",
        inquiry="",
        neo4j_text="MATCH (n:Network) RETURN n.network_id AS network_id, 'O\\'Brien' AS quoted",
    ),
]


class GuideReader(HTMLParser):
    """Reads the guide as Browser does, and checks every tag closes in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.slides = 0
        self.runnable: list[str] = []
        self.containers: list[tuple[str, str]] = []
        self._pre: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in ("article", "carousel"):
            self.containers.append((tag, " ".join(classes)))
        if tag == "slide":
            self.slides += 1
            if self.stack[-2:] != ["article", "carousel"]:
                self.errors.append("slide outside article.guide > carousel")
        if tag == "pre" and "runnable" in classes:
            if "slide" not in self.stack:
                self.errors.append("runnable block outside a slide")
            self._pre = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()
        if tag == "pre" and self._pre is not None:
            self.runnable.append("".join(self._pre).strip())
            self._pre = None

    def handle_data(self, data: str) -> None:
        if self._pre is not None:
            self._pre.append(data)


def read(page: str) -> GuideReader:
    reader = GuideReader()
    reader.feed(page)
    reader.close()
    return reader


@pytest.fixture(scope="module")
def page() -> str:
    return render_guide(SAMPLE)


def test_guide_is_well_formed(page: str) -> None:
    reader = read(page)
    assert not reader.errors, reader.errors
    assert not reader.stack, f"unclosed: {reader.stack}"
    ET.fromstring(page.split("\n", 1)[1])


def test_guide_structure(page: str) -> None:
    reader = read(page)
    assert ("article", "guide") in reader.containers
    assert any(tag == "carousel" and "deck" in cls.split() for tag, cls in reader.containers)
    model_slides = 5
    assert reader.slides == model_slides + 1 + len(SAMPLE)
    assert re.search(r"<title>[^<]+</title>", page), "Browser takes the frame title from <title>"


def test_model_slides_cover_the_model(page: str) -> None:
    for topic in ("The POLE model", "Persons and records", "The flag audit", "Networks"):
        assert f"<h3>{topic}</h3>" in page
    runnable = read(page).runnable
    for query in MODEL_QUERIES.values():
        assert query.strip() in runnable


def test_every_query_is_a_runnable_block(page: str) -> None:
    runnable = read(page).runnable
    for q in SAMPLE:
        body = runnable_text(q.neo4j_text)
        assert body in runnable, f"{q.name} is not offered as a runnable block"
        assert not body.startswith("//")


def test_parameters_come_first(page: str) -> None:
    runnable = read(page).runnable
    q = SAMPLE[0]
    command = params_command(q.params)
    assert command.splitlines() == [":param district => null;", ":param since => '2020-01-01';",
                                    ":param flagged => true;", ":param limit => 100;"]
    assert runnable.index(command) == runnable.index(runnable_text(q.neo4j_text)) - 1
    assert "<td>required</td>" in page


def test_query_without_parameters_has_no_params_block(page: str) -> None:
    runnable = read(page).runnable
    i = runnable.index(runnable_text(SAMPLE[1].neo4j_text))
    assert not runnable[i - 1].startswith(":params")


def test_text_is_escaped(page: str) -> None:
    assert "&lt;networks&gt;" in page and "<networks>" not in page
    assert "&lt;-[:SUSPECT_IN]-" in page
    assert "'O\\'Brien'" in read(page).runnable[-1]


def test_accepts_a_registry_mapping() -> None:
    assert render_guide({q.name: q for q in SAMPLE}) == render_guide(SAMPLE)


def test_real_registry_renders() -> None:
    """Whatever canned queries exist today all reach the guide."""
    from csenet.cypher.registry import load_registry

    registry = load_registry()
    runnable = read(render_guide(registry)).runnable
    for q in registry.values():
        assert runnable_text(q.neo4j_text) in runnable, q.name


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (0.95, "0.95"),
        ("it's", "'it\\'s'"),
        ("a\\b", "'a\\\\b'"),
        (["x", 1], "['x', 1]"),
        ({"a b": 1}, "{`a b`: 1}"),
    ],
)
def test_cypher_literal(value: Any, literal: str) -> None:
    assert cypher_literal(value) == literal


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """A port of Neo4j Browser's parseGrassCSS (grassUtils.ts), quirks included."""
    rules: dict[str, str] = {}
    keyword, props = "", ""
    in_string = in_props = in_binding = False
    for c in text:
        skip = True
        if c == "{":
            if in_string:
                skip = False
            elif in_props:
                in_binding = True
            else:
                in_props = True
        elif c == "}":
            if in_string:
                skip = False
            elif in_binding:
                in_binding = False
            else:
                in_props = False
                rules[keyword] = props
                keyword, props = "", ""
        elif c in "'\"":
            in_string = not in_string
        else:
            skip = False
        if skip:
            continue
        if in_props:
            props += c
        elif not c.isspace():
            keyword += c
    parsed: dict[str, dict[str, str]] = {}
    for selector, body in rules.items():
        parsed[selector] = {}
        for prop in body.split(";"):
            pair = prop.split(":")
            if len(pair) == 2:
                parsed[selector][pair[0].strip()] = pair[1].strip()
    return parsed


def test_grass_parses_into_label_styles() -> None:
    text = GRASS.read_text()
    assert text.count("{") == text.count("}")
    style = parse_grass(text)
    assert {"node", "relationship"} | {f"node.{label}" for label in LABELS} <= set(style)
    for selector in style:
        assert re.fullmatch(r"(node|relationship)(\.[A-Za-z_]+)?", selector), selector
    known = set(json.loads((ROOT / "tools" / "cypher-lint" / "csenet-schema.json").read_text())["propertyKeys"])
    for label in LABELS:
        rule = style[f"node.{label}"]
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", rule["color"]), label
        assert re.fullmatch(r"\d+px", rule["diameter"]), label
        captions = re.findall(r"\{(\w+)\}", rule["caption"])
        assert captions and set(captions) <= known, f"{label} caption {rule['caption']}"
    assert style["node.Person"]["caption"] == "{family_name}"
    assert style["node.Incident"]["caption"] == "{offence_code}"


def test_grass_parser_reads_quirks() -> None:
    """The port keeps Browser's behaviour: a quoted caption loses its quotes, a colon-value is dropped."""
    style = parse_grass("node.X { caption: '{a}'; color: #fff; url: http://x; }")
    assert style == {"node.X": {"caption": "{a}", "color": "#fff"}}
