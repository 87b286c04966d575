# SPDX-License-Identifier: GPL-3.0-or-later
"""The problem profile, end to end: read the graph, draw, render, check no child is named, write."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csenet.graph.store import GraphStore
from csenet.report import compare, networks, prevalence, quality, queries, safeguarding
from csenet.report.charts import bar_chart
from csenet.report.drawings import legend_svg, network_svg
from csenet.report.options import ReportOptions
from csenet.report.privacy import Pseudonyms, check_document, names_of
from csenet.report.render import render_html, render_pdf

from csenet.settings import Settings


@dataclass
class Report:
    html: str
    data: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def records(self) -> int:
        """What the access log counts as released: networks, premises and district rows shown."""
        d = self.data
        return (len(d["networks"]["rows"]) + len(d["prevalence"]["rows"]) + len(d["children"]["by_district"])
                + len(d["premises"]["named"] or d["premises"]["by_kind"]))

    def pdf(self) -> bytes:
        return render_pdf(self.html)


def gather(store: GraphStore, settings: Settings, options: ReportOptions) -> dict[str, Any]:
    pseudonyms = Pseudonyms(settings)
    ocgs = {k: int(v or 0) for k, v in (store.read(queries.OCGS) or [{}])[0].items()}
    nets = networks.gather(store, options, pseudonyms, ocgs)
    districts = {r["network_id"]: list(r.get("districts") or []) for r in store.read(queries.NETWORK_DISTRICTS)}
    data_quality = quality.gather(store, options)
    return {
        "options": options,
        "prevalence": prevalence.gather(store, options),
        "networks": nets,
        "children": safeguarding.children(store, options, districts),
        "premises": safeguarding.premises(store, options),
        "quality": data_quality,
        "method": quality.method(store, options, data_quality["loads"]),
        "comparison": compare.gather(store, options, nets["rows"]),
        "pseudonyms": pseudonyms,
    }


def charts(data: dict[str, Any]) -> dict[str, str]:
    p, n, c, h = data["prevalence"], data["networks"], data["children"], data["premises"]
    years = [r for r in p["by_year"] if r["year"] is not None]
    return {
        "prevalence_year": bar_chart(
            [r["year"] for r in years], [("recorded as CSE", [r["flagged_cse"] for r in years]),
                                         ("CSE after audit", [r["audited_total"] for r in years])],
            title="CSE incidents per year: recorded and audited",
            desc="Bars per year: incidents flagged CSE by officers, and incidents meeting the statutory "
                 "definition after audit. The same numbers are in the table below.", chart_id="c-prev-year"),
        "prevalence_district": bar_chart(
            [r["district"] for r in p["by_district"]],
            [("recorded as CSE", [r["flagged_cse"] for r in p["by_district"]]),
             ("CSE after audit", [r["audited_total"] for r in p["by_district"]])],
            title="CSE incidents per district: recorded and audited", horizontal=True, chart_id="c-prev-district",
            desc="Bars per district, most audited CSE first. The same numbers are in the table below."),
        "gap": bar_chart(
            [r["district"] for r in n["gap"]],
            [("shown on the OCG map as a group", [r["networks"] - r["not_ocg_mapped"] for r in n["gap"]]),
             ("not on the OCG map as a group", [r["not_ocg_mapped"] for r in n["gap"]])],
            title="Networks per district, and how many the OCG map misses", horizontal=True, stacked=True,
            xlabel="networks", chart_id="c-gap",
            desc="Stacked bars per district: networks found whose members an OCG on the map holds as a group, "
                 "and networks it does not. The same numbers are in the table below."),
        "children": bar_chart(
            [r["district"] for r in c["by_district"]], [("children", [r["children"] for r in c["by_district"]])],
            title="Missing children linked to networks, per district", horizontal=True, xlabel="children",
            chart_id="c-children", desc="Bars per district: children with missing episodes in the period who are "
            "linked to a network. The same numbers are in the table below."),
        "premises": bar_chart(
            [r["kind"] for r in h["by_kind"]], [("premises", [r["premises"] for r in h["by_kind"]])],
            title="Premises used by more than one suspect, by kind of place", horizontal=True, xlabel="premises",
            chart_id="c-premises", desc="Bars per kind of place. The same numbers are in the table below."),
    }


def build_report(store: GraphStore, settings: Settings, options: ReportOptions) -> Report:
    t: dict[str, float] = {}
    start = time.perf_counter()
    data = gather(store, settings, options)
    t["gather"] = time.perf_counter() - start
    start = time.perf_counter()
    figures = charts(data)
    drawings = [network_svg(d, i) for i, d in enumerate(data["networks"]["drawn"])]
    t["draw"] = time.perf_counter() - start
    start = time.perf_counter()
    document = render_html(data, figures, drawings, legend_svg())
    hidden = data["pseudonyms"].hidden | set(data["children"]["child_ids"])
    check_document(document, names_of(store, hidden), hidden)
    t["render"] = time.perf_counter() - start
    return Report(html=document, data=data, timings=t)


def write_report(report: Report, out: Path, fmt: str = "html") -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        out.write_bytes(report.pdf())
    else:
        out.write_text(report.html, encoding="utf-8")
    return out
