"""report: the problem profile as one self-contained HTML (or PDF) document, logged as a read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from csenet.cli.common import DataOpt, GraphOpt, app, err, errors, fail, opened, settings_for
from csenet.cli.reads import log_cli_access
from csenet.settings import Settings


def write_profile(store, settings: Settings, out_file: Path, fmt: str, options, justification: str | None) -> Path:
    """Build, write, and log the profile (the log entry is written before the file is)."""
    from csenet.report import build_report, write_report

    report = build_report(store, settings, options)
    params = {k: v for k, v in {"format": fmt, "since": options.since, "until": options.until,
                                "district": options.district, "compare_with": options.compare_with,
                                "include_locations": options.include_locations or None}.items() if v}
    log_cli_access(settings, "report", "profile", params, justification, report.records)
    return write_report(report, out_file, fmt)


@app.command()
def report(
    out_file: Annotated[Path, typer.Option("--out", help="File to write (profile.html, profile.pdf).")],
    fmt: Annotated[str, typer.Option("--format", help="html (self-contained) or pdf.")] = "html",
    since: Annotated[Optional[str], typer.Option(
        help="Only incidents, networks and missing episodes from this date (YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(
        help="Only incidents, networks and missing episodes up to this date (YYYY-MM-DD).")] = None,
    district: Annotated[Optional[str], typer.Option(help="Only this district.")] = None,
    compare_with: Annotated[Optional[str], typer.Option(
        "--compare-with", help="A previous load id: show what changed since that load.")] = None,
    include_locations: Annotated[bool, typer.Option(
        "--include-locations", help="Name hotspot premises and their addresses (logged).")] = False,
    justification: Annotated[Optional[str], typer.Option(
        help="The case or operation reference, written with the report to the access log.")] = None,
    graph: GraphOpt = None,
    data: DataOpt = None,
) -> None:
    """Write the problem profile: prevalence recorded vs audited, networks vs the OCG map, children
    at risk, hotspot premises, data quality and method, marked OFFICIAL-SENSITIVE on every page."""
    from csenet.report import FORMATS, ReportOptions

    if fmt not in FORMATS:
        fail("--format must be html or pdf (got %r)" % fmt, 2)
    settings = settings_for(graph, data)
    with errors():
        options = ReportOptions.build(since=since, until=until, district=district, compare_with=compare_with,
                                      include_locations=include_locations)
        with opened(settings) as store:
            written = write_profile(store, settings, out_file, fmt, options, justification)
    err.print("Wrote the problem profile to %s" % written)
    typer.echo(str(written.resolve()))
