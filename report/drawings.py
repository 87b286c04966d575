# SPDX-License-Identifier: GPL-3.0-or-later
"""Small multiples of the largest networks: networkx layouts drawn as inline SVG.

Drawn by hand rather than through matplotlib so that every person and every tie gets its
own <title> (hover or screen reader), roles get shapes as well as colours, and tie kinds
get line styles that survive printing in black and white.
"""

from __future__ import annotations

import html
from typing import Any

import networkx as nx

ROLE_STYLE = {  # Okabe–Ito colours, and a shape for readers who cannot tell them apart
    "PERPETRATOR": {"fill": "#D55E00", "shape": "circle", "label": "perpetrator"},
    "FACILITATOR": {"fill": "#E69F00", "shape": "diamond", "label": "facilitator"},
    "VICTIM": {"fill": "#56B4E9", "shape": "square", "label": "child (victim), pseudonymised"},
}
# The strongest kind on a tie decides its line; listed strongest first.
TIE_STYLE = (
    ("CO_OFFENDING", {"dash": "", "width": 2.4, "label": "offended together"}),
    ("FACILITATION", {"dash": "", "width": 2.4, "label": "facilitation"}),
    ("RECORDED_ASSOCIATION", {"dash": "6 3", "width": 1.8, "label": "recorded association (intelligence)"}),
    ("SHARED_IDENTIFIER", {"dash": "2 3", "width": 1.8, "label": "shared phone, vehicle or account"}),
    ("SAME_OCG", {"dash": "8 3 2 3", "width": 1.8, "label": "same OCG"}),
    ("SHARED_VICTIM", {"dash": "1 2", "width": 1.2, "label": "abused the same child"}),
)
OTHER_TIE = {"dash": "4 4", "width": 1.0, "label": "other evidence (premises, address, other crime)"}
ABUSE_TIE = {"dash": "", "width": 0.8, "label": "child abused by", "colour": "#999999"}
SIZE = 260
PAD = 18


def tie_style(kinds: list[str], abuse: bool) -> dict[str, Any]:
    if abuse:
        return ABUSE_TIE
    for kind, style in TIE_STYLE:
        if kind in kinds:
            return style
    return OTHER_TIE


def _layout(drawing: dict[str, Any]) -> dict[str, tuple[float, float]]:
    g = nx.Graph()
    g.add_nodes_from(n["id"] for n in drawing["nodes"])
    g.add_edges_from((e["source"], e["target"]) for e in drawing["edges"])
    if g.number_of_nodes() == 0:
        return {}
    pos = nx.spring_layout(g, seed=7, k=1.4 / max(1, g.number_of_nodes()) ** 0.5, iterations=200)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    scale = (SIZE - 2 * PAD) / span
    return {n: (PAD + (x - min(xs)) * scale, PAD + (y - min(ys)) * scale) for n, (x, y) in pos.items()}


def _shape(x: float, y: float, role: str, title: str) -> str:
    style = ROLE_STYLE.get(role, ROLE_STYLE["PERPETRATOR"])
    t = "<title>%s</title>" % html.escape(title)
    common = 'fill="%s" stroke="#000" stroke-width="0.8"' % style["fill"]
    if style["shape"] == "square":
        return '<rect x="%.1f" y="%.1f" width="11" height="11" %s>%s</rect>' % (x - 5.5, y - 5.5, common, t)
    if style["shape"] == "diamond":
        pts = "%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" % (x, y - 8, x + 8, y, x, y + 8, x - 8, y)
        return '<polygon points="%s" %s>%s</polygon>' % (pts, common, t)
    return '<circle cx="%.1f" cy="%.1f" r="7" %s>%s</circle>' % (x, y, common, t)


def network_svg(drawing: dict[str, Any], index: int) -> str:
    pos = _layout(drawing)
    row = drawing["row"]
    title = "Network %s: %d perpetrators or facilitators, %d children" % (
        drawing["network_id"], int(row.get("size") or 0), int(row.get("victim_count") or 0))
    parts = ['<svg class="network" role="img" aria-labelledby="net%d-t" viewBox="0 0 %d %d" width="%d" height="%d">'
             % (index, SIZE, SIZE, SIZE, SIZE), '<title id="net%d-t">%s</title>' % (index, html.escape(title))]
    roles = {n["id"]: n["role"] for n in drawing["nodes"]}
    for e in sorted(drawing["edges"], key=lambda e: (not e["abuse"], e["source"], e["target"])):
        if e["source"] not in pos or e["target"] not in pos:
            continue
        s = tie_style(e["kinds"], e["abuse"])
        (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
        what = s["label"] if e["abuse"] else ", ".join(k.lower().replace("_", " ") for k in e["kinds"])
        parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"%s>'
                     '<title>%s – %s: %s</title></line>'
                     % (x1, y1, x2, y2, s.get("colour", "#333333"), s["width"],
                        ' stroke-dasharray="%s"' % s["dash"] if s["dash"] else "",
                        html.escape(e["source"]), html.escape(e["target"]), html.escape(what)))
    for node_id in sorted(pos, key=lambda n: (roles.get(n) == "VICTIM", n)):
        x, y = pos[node_id]
        role = roles.get(node_id, "PERPETRATOR")
        parts.append(_shape(x, y, role, "%s (%s)" % (node_id, ROLE_STYLE.get(role, {}).get("label", role))))
    parts.append("</svg>")
    return "".join(parts)


def legend_svg() -> str:
    """The key to roles and tie kinds, drawn with the same shapes and lines."""
    rows: list[tuple[str, Any]] = [(_shape(12, 14 + 20 * i, role, s["label"]), s["label"]) for i, (role, s) in enumerate(ROLE_STYLE.items())]
    ties = list(TIE_STYLE) + [("OTHER", OTHER_TIE), ("ABUSE", ABUSE_TIE)]
    for j, (_, s) in enumerate(ties):
        y = 14 + 20 * (len(rows) + j)
        dash = ' stroke-dasharray="%s"' % s["dash"] if s["dash"] else ""
        rows.append(('<line x1="2" y1="%d" x2="24" y2="%d" stroke="%s" stroke-width="%s"%s/>'
                     % (y, y, s.get("colour", "#333333"), s["width"], dash), s["label"]))
    height = 20 * len(rows) + 10
    body = "".join('%s<text x="32" y="%d">%s</text>' % (mark, 18 + 20 * i, html.escape(label))
                   for i, (mark, label) in enumerate(rows))
    return ('<svg class="legend" role="img" aria-label="Key: roles and kinds of tie" viewBox="0 0 300 %d" '
            'width="300" height="%d" font-size="11" font-family="sans-serif">%s</svg>' % (height, height, body))
