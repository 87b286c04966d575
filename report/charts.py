# SPDX-License-Identifier: GPL-3.0-or-later
"""Static, accessible bar charts as inline SVG (matplotlib, no JavaScript, no fonts embedded).

Each chart carries a <title> and <desc> for screen readers, uses the Okabe–Ito palette
(distinguishable with the common colour-vision deficiencies) with hatching as a second cue,
and sits next to a table holding the same numbers.
"""

from __future__ import annotations

from typing import Any

import html
import io
import re
import threading
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
HATCHES = ("", "//", "..", "xx", "\\\\", "++")
_RC: dict[str, Any] = {"svg.fonttype": "none", "svg.hashsalt": "csenet-report", "font.size": 9,
       "font.family": ["DejaVu Sans"]}
_HEADER = re.compile(r"^.*?(<svg\b)", re.S)
# matplotlib's rc settings are process-wide: one chart at a time (API requests run in threads).
_RC_LOCK = threading.Lock()


def _svg(fig: Figure, title: str, desc: str, chart_id: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]  # already under _RC_LOCK
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    svg = _HEADER.sub(r"\1", buf.getvalue(), count=1)
    svg = re.sub(r'<svg\b([^>]*?)width="[^"]*"\s+height="[^"]*"', r'<svg\1', svg, count=1)
    labels = ('<svg role="img" aria-labelledby="%(id)s-t %(id)s-d" class="chart"' % {"id": chart_id})
    svg = svg.replace("<svg", labels, 1)
    head = '<title id="%s-t">%s</title><desc id="%s-d">%s</desc>' % (
        chart_id, html.escape(title), chart_id, html.escape(desc))
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + head, svg, count=1)


def bar_chart(categories: Sequence[object], series: Sequence[tuple[str, Sequence[int]]], *, title: str,
              desc: str, chart_id: str, horizontal: bool = False, stacked: bool = False,
              xlabel: str = "", ylabel: str = "") -> str:
    """Grouped (or stacked) bars, one group per category; an empty chart says so."""
    import matplotlib

    labels = [str(c) for c in categories]
    with _RC_LOCK, matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        height = max(2.4, 0.32 * len(labels) + 1.2) if horizontal else 3.0
        fig = Figure(figsize=(7.0, min(height, 12.0)), layout="constrained")
        ax = fig.add_subplot()
        if not labels:
            ax.text(0.5, 0.5, "nothing to show", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return _svg(fig, title, desc, chart_id)
        n = max(1, len(series))
        width = 0.8 if stacked else 0.8 / n
        base = [0] * len(labels)
        for k, (name, values) in enumerate(series):
            pos = [i + (0 if stacked else (k - (n - 1) / 2) * width) for i in range(len(labels))]
            style: dict[str, Any] = {"color": OKABE_ITO[k % len(OKABE_ITO)], "hatch": HATCHES[k % len(HATCHES)],
                     "edgecolor": "white", "linewidth": 0.5, "label": name}
            if horizontal:
                ax.barh(pos, values, height=width, left=base if stacked else None, **style)
            else:
                ax.bar(pos, values, width=width, bottom=base if stacked else None, **style)
            if stacked:
                base = [b + v for b, v in zip(base, values)]
        ticks = list(range(len(labels)))
        if horizontal:
            ax.set_yticks(ticks, labels)
            ax.invert_yaxis()
            ax.set_xlabel(xlabel or "incidents")
        else:
            crowded = len(labels) > 8
            ax.set_xticks(ticks, labels, rotation=45 if crowded else 0, ha="right" if crowded else "center")
            ax.set_ylabel(ylabel or "incidents")
        (ax.xaxis if horizontal else ax.yaxis).set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x" if horizontal else "y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        if len(series) > 1:
            ax.legend(frameon=False, loc="best")
        return _svg(fig, title, desc, chart_id)
