"""generate, load, demo: a bundle into the graph, with its analyses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import TaskID
from rich.table import Table

from csenet.cli.common import (DataOpt, GraphOpt, Resolver, RichReporter, Scale, app,
                               err, errors, fail, opened, out, progress_bars, settings_for)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the bundle (and truth/) into.")],
    scale: Annotated[Scale, typer.Option(help="small ~1k incidents, medium ~100k, large ~1M.")] = Scale.small,
    seed: Annotated[int, typer.Option(help="Same seed, same bundle, byte for byte.")] = 7,
) -> None:
    """Write a synthetic force's record bundle and its ground truth."""
    from csenet.synth import generate as synth_generate

    with errors(), progress_bars() as bars:
        tasks: dict[str, TaskID] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=max(total, 1))
            bars.update(tasks[stage], completed=done, total=max(total, 1))

        counts = synth_generate(out_dir, scale=scale.value, seed=seed, progress=tick)
    table = Table(title="Generated %s force (seed %d) in %s" % (scale.value, seed, out_dir))
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(str(name), str(n))
    out.print(table)


def _resolver(choice: Resolver):
    """None for Splink: the loader's own, which resolves a day by its neighbourhood."""
    if choice is Resolver.deterministic:
        from csenet.resolution.deterministic import resolve_deterministic

        return resolve_deterministic
    return None


@app.command()
def load(
    bundle: Annotated[Path, typer.Argument(help="Record bundle folder (shared/spec/record-bundle.md).")],
    graph: GraphOpt = None,
    data: DataOpt = None,
    rejects: Annotated[Optional[Path], typer.Option(help="Rejects file (default BUNDLE/rejects.csv).")] = None,
    resolver: Annotated[Resolver, typer.Option(help="Person resolution: splink, or the deterministic rules.")] = Resolver.splink,
    analyse: Annotated[bool, typer.Option(help="Run the flag audit and network detection after loading.")] = True,
    encoding: Annotated[Optional[str], typer.Option(
        help="Text encoding of the CSV files: utf-8 (default), cp1252 or latin-1; wins over bundle.yaml.")] = None,
    wait: Annotated[Optional[float], typer.Option(
        help="Seconds to wait for another load on the same store (default: until it ends; 0: refuse).")] = None,
) -> None:
    """Validate, resolve people, load, and run the analyses; print the counts."""
    from csenet.loadlock import load_lock
    from csenet.pipeline import load_and_analyse

    if not bundle.is_dir():
        fail("%s is not a folder holding a record bundle" % bundle, 2)
    settings = settings_for(graph, data)
    with errors(), load_lock(settings.data, wait, err.print), opened(settings) as store, progress_bars() as bars:
        summary = load_and_analyse(store, bundle, settings, rejects_path=rejects,
                                   resolver=_resolver(resolver), reporter=RichReporter(bars),
                                   analyse=analyse, encoding=encoding)
    print_load_summary(summary)


def print_load_summary(summary) -> None:
    table = Table(title="Loaded %s (%s)" % (summary.bundle, summary.load_id))
    for col in ("file", "read", "loaded", "rejected", "warnings"):
        table.add_column(col, justify="left" if col == "file" else "right")
    for name, c in summary.counts.items():
        table.add_row(name, str(c.read), str(c.loaded), str(c.rejected), str(c.warnings))
    table.add_row("total", str(summary.rows_read), str(summary.rows_loaded), str(summary.rows_rejected),
                  str(sum(c.warnings for c in summary.counts.values())), style="bold")
    out.print(table)
    out.print("People: %d person records resolved into %d people (%d new or changed; %s)."
              % (summary.records_total, summary.persons_total, summary.persons_changed, summary.resolution_method))
    if summary.incremental:
        out.print("Resolution: this load resolved the %d records its own could join, not all %d "
                  "(docs/resolution.md, a day's neighbourhood)." % (summary.resolved_records, summary.records_total))
    for name, cols in summary.extra_columns.items():
        out.print("Extra columns kept on %s as properties: %s" % (name, ", ".join(cols)))
    if summary.rows_rejected or len(summary.issues):
        out.print("Rejects and warnings: %s" % summary.rejects_path)
    for name, result in summary.analyses.items():
        out.print("%s: %s" % (name, result))
    if summary.timings:
        out.print("Where the time went: " + ", ".join("%s %.1f s" % (stage.replace("_", " "), seconds)
                                                       for stage, seconds in summary.timings.items()))


@app.command()
def demo(
    graph: GraphOpt = None,
    data: DataOpt = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the demo bundle.")] = Path("demo-bundle"),
    seed: int = 7,
    report_file: Annotated[Path, typer.Option(
        "--report", help="Where to write the demo force's problem profile (HTML).")] = Path("demo-profile.html"),
) -> None:
    """Generate a small force, load it into the graph, print its problem profile and write it as a document."""
    from csenet.cli.report import write_profile
    from csenet.report import ReportOptions
    from csenet.profile import problem_profile, render_profile
    from csenet.loadlock import load_lock
    from csenet.pipeline import load_and_analyse
    from csenet.synth import generate as synth_generate

    settings = settings_for(graph, data)
    with errors():
        err.print("Generating a small synthetic force into %s ..." % out_dir)
        synth_generate(out_dir, scale="small", seed=seed)
        with load_lock(settings.data, None, err.print), opened(settings) as store, progress_bars() as bars:
            summary = load_and_analyse(store, out_dir, settings, reporter=RichReporter(bars))
            profile = problem_profile(store)
            written = write_profile(store, settings, report_file, "html", ReportOptions.build(), "csenet demo")
    print_load_summary(summary)
    render_profile(profile, out)
    where = settings.graph or "%s (embedded FalkorDB)" % settings.data
    out.print("\nThe graph is in %s. Next: `csenet query --list`, `csenet query networks`, "
              "`csenet export networks --out networks.csv`, `csenet serve`." % where)
    out.print("\nThe problem profile (open it in a browser; OFFICIAL-SENSITIVE):")
    typer.echo(str(written.resolve()))
