# SPDX-License-Identifier: GPL-3.0-or-later
"""HTML from the package's Jinja2 templates (styles inlined), and PDF from that HTML with WeasyPrint.

WeasyPrint rather than a headless browser: it is a Python library (no browser process to
run unsandboxed beside person data in the API), it implements CSS paged media (@page
margin boxes carry the marking on every page), and the report has no script for it to miss.
Its URL fetcher here refuses every fetch, so rendering cannot reach the network.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from csenet.marking import HANDLING, MARKING
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


class OfflineOnly(RuntimeError):
    """The report asked for something outside itself; it must be self-contained."""


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("csenet.report", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["n"] = lambda v: "{:,}".format(int(v or 0))
    env.filters["signed"] = lambda v: "{:+,}".format(int(v or 0)) if int(v or 0) else "0"
    env.filters["kind"] = lambda v: str(v or "").replace("_", " ").lower()
    return env


def render_html(data: dict[str, Any], charts: dict[str, str], drawings: list[str], legend: str) -> str:
    env = environment()
    css = env.loader.get_source(env, "profile.css")[0]  # type: ignore[union-attr]
    return env.get_template("profile.html.j2").render(
        d=data, charts=charts, drawings=drawings, legend=legend, css=css, marking=MARKING, handling=HANDLING)


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise OfflineOnly("the report may not fetch %s" % url[:80])


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_refuse).write_pdf()
