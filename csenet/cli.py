"""`csenet`: the one command line (shared/spec/cli-and-outputs.md is its contract)."""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from csenet import __version__
from csenet.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Graph investigative intelligence for child sexual exploitation networks.")
users_app = typer.Typer(no_args_is_help=True, help="API users and their bearer tokens.")
audit_log_app = typer.Typer(no_args_is_help=True, help="The API's hash-chained access log.")
app.add_typer(users_app, name="users")
app.add_typer(audit_log_app, name="audit-log")

out = Console()
err = Console(stderr=True)

GraphOpt = Annotated[Optional[str], typer.Option(
    "--graph", envvar="CSENET_GRAPH", show_envvar=True,
    help="Graph URL: unset = embedded FalkorDB; bolt://, neo4j://, neo4j+s:// = Neo4j 5; falkordb://host:port.")]
DataOpt = Annotated[Optional[Path], typer.Option(
    "--data", envvar="CSENET_DATA", show_envvar=True, help="Data directory of the embedded store.")]


class Scale(str, Enum):
    small = "small"
    medium = "medium"
    large = "large"


class Fmt(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Resolver(str, Enum):
    splink = "splink"
    deterministic = "deterministic"


class ExportKind(str, Enum):
    entities = "entities"
    networks = "networks"
    audit = "audit"


def settings_for(graph: str | None, data: Path | None, **extra) -> Settings:
    values = {k: v for k, v in {"graph": graph, "data": data, **extra}.items() if v is not None}
    return Settings(**values)


def fail(message: str, code: int = 1) -> None:
    sys.stderr.write("csenet: error: %s\n" % " ".join(str(message).split()))
    raise typer.Exit(code)


@contextlib.contextmanager
def errors() -> Iterator[None]:
    """Every expected failure becomes one clear line on stderr and a non-zero exit."""
    from csenet.api.access_log import AccessLogError
    from csenet.cypher.registry import QueryParamError
    from csenet.graph.store import StoreError
    from csenet.loaders.read import BundleError

    try:
        yield
    except AccessLogError as exc:
        fail("the access log cannot be written, so nothing is shown: %s" % exc, 4)
    except (BundleError, QueryParamError) as exc:
        fail(str(exc), 2)
    except StoreError as exc:
        fail("graph store: %s" % exc, 3)
    except FileNotFoundError as exc:
        fail("%s: %s" % (exc.strerror or "not found", exc.filename), 2)
    except (ValueError, PermissionError) as exc:
        fail(str(exc), 2)


@contextlib.contextmanager
def opened(settings: Settings):
    from csenet.graph.store import open_store

    store = open_store(settings)
    try:
        yield store
    finally:
        store.close()


class RichReporter:
    """Progress bars for the stages of a load."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def stage(self, name: str, total: int):
        task = self.progress.add_task(name, total=max(total, 1))
        if total == 0:
            self.progress.update(task, completed=1)
        return lambda n: self.progress.advance(task, n)


def progress_bars() -> Progress:
    return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=False, disable=not err.is_terminal)


@app.callback(invoke_without_command=True)
def main(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        out.print("csenet %s" % __version__)
        raise typer.Exit(0)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the bundle (and truth/) into.")],
    scale: Annotated[Scale, typer.Option(help="small ~1k incidents, medium ~100k, large ~1M.")] = Scale.small,
    seed: Annotated[int, typer.Option(help="Same seed, same bundle, byte for byte.")] = 7,
) -> None:
    """Write a synthetic force's record bundle and its ground truth."""
    from csenet.synth import generate as synth_generate

    with errors(), progress_bars() as bars:
        tasks: dict[str, int] = {}

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


def _resolver(choice: Resolver, settings: Settings):
    if choice is Resolver.deterministic:
        from csenet.resolution.deterministic import resolve_deterministic

        return lambda records, previous: resolve_deterministic(records, previous)
    from csenet.loaders.load import default_resolver

    return default_resolver(settings)


@app.command()
def load(
    bundle: Annotated[Path, typer.Argument(help="Record bundle folder (shared/spec/record-bundle.md).")],
    graph: GraphOpt = None,
    data: DataOpt = None,
    rejects: Annotated[Optional[Path], typer.Option(help="Rejects file (default BUNDLE/rejects.csv).")] = None,
    resolver: Annotated[Resolver, typer.Option(help="Person resolution: splink, or the deterministic rules.")] = Resolver.splink,
    analyse: Annotated[bool, typer.Option(help="Run the flag audit and network detection after loading.")] = True,
) -> None:
    """Validate, resolve people, load, and run the analyses; print the counts."""
    from csenet.loaders.load import load_bundle

    if not bundle.is_dir():
        fail("%s is not a folder holding a record bundle" % bundle, 2)
    settings = settings_for(graph, data)
    with errors(), opened(settings) as store, progress_bars() as bars:
        summary = load_bundle(store, bundle, settings, rejects_path=rejects, resolver=_resolver(resolver, settings),
                              reporter=RichReporter(bars), analyse=analyse)
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
    for name, cols in summary.extra_columns.items():
        out.print("Extra columns kept on %s as properties: %s" % (name, ", ".join(cols)))
    if summary.rows_rejected or len(summary.issues):
        out.print("Rejects and warnings: %s" % summary.rejects_path)
    for name, result in summary.analyses.items():
        out.print("%s: %s" % (name, result))


@app.command()
def demo(
    graph: GraphOpt = None,
    data: DataOpt = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the demo bundle.")] = Path("demo-bundle"),
    seed: int = 7,
) -> None:
    """Generate a small force, load it into the graph and print its problem profile."""
    from csenet.profile import problem_profile, render_profile
    from csenet.loaders.load import load_bundle
    from csenet.synth import generate as synth_generate

    settings = settings_for(graph, data)
    with errors():
        err.print("Generating a small synthetic force into %s ..." % out_dir)
        synth_generate(out_dir, scale="small", seed=seed)
        with opened(settings) as store, progress_bars() as bars:
            summary = load_bundle(store, out_dir, settings, reporter=RichReporter(bars))
            profile = problem_profile(store)
    print_load_summary(summary)
    render_profile(profile, out)
    where = settings.graph or "%s (embedded FalkorDB)" % settings.data
    out.print("\nThe graph is in %s. Next: `csenet query --list`, `csenet query networks`, "
              "`csenet export networks --out networks.csv`, `csenet serve`." % where)


def parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            fail("parameter %r: write it as key=value" % pair, 2)
        key, value = pair.split("=", 1)
        params[key.strip()] = value
    return params


@app.command()
def query(
    name: Annotated[Optional[str], typer.Argument(help="Canned query name (see --list).")] = None,
    param: Annotated[list[str], typer.Option("-p", "--param", help="key=value, repeatable.")] = [],  # noqa: B006
    fmt: Annotated[Fmt, typer.Option("--format", help="table, json or csv.")] = Fmt.table,
    list_: Annotated[bool, typer.Option("--list", help="List the canned queries and their parameters.")] = False,
    justification: Annotated[Optional[str], typer.Option(
        help="The case or operation reference, written with the query to the access log.")] = None,
    graph: GraphOpt = None,
    data: DataOpt = None,
) -> None:
    """Run one canned query from the registry (the same one the API and Browser guide use).

    Every run is written to the access log, as the API's are."""
    from csenet.cypher.registry import get_query, load_registry

    if list_ or not name:
        registry = load_registry()
        table = Table(title="Canned queries (cypher/)")
        for col in ("name", "purpose", "parameters"):
            table.add_column(col)
        for q in registry.values():
            params = ", ".join("%s:%s%s" % (p.name, p.type, "" if not p.required else "*") for p in q.params)
            table.add_row(q.name, q.purpose, params)
        out.print(table)
        return
    settings = settings_for(graph, data)
    with errors():
        q = get_query(name)
        bound = q.bind(parse_params(param))
        with opened(settings) as store:
            rows = store.read(q.text_for(store.dialect), bound)
        log_cli_access(settings, "query", q.name, bound, justification, len(rows))
    emit_rows(rows, list(q.returns) or (list(rows[0]) if rows else []), fmt)


def log_cli_access(settings: Settings, action: str, what: str, params: dict, justification: str | None,
                   records: int) -> None:
    """The command line reads person data too: it goes to the same hash-chained access log."""
    import getpass

    from csenet.api.access_log import AccessLog

    AccessLog(settings.access_log_path()).append(
        user="cli:" + getpass.getuser(), role="cli", action=action, route="CLI %s %s" % (action, what),
        parameters=params, justification=justification, records=records, outcome="ok", status=None)


def emit_rows(rows: list[dict], columns: list[str], fmt: Fmt) -> None:
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str, ensure_ascii=False) + "\n")
    elif fmt is Fmt.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ";".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()})
    else:
        table = Table(caption="%d rows" % len(rows))
        for c in columns:
            table.add_column(c)
        for row in rows:
            table.add_row(*[_cell(row.get(c)) for c in columns])
        out.print(table)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


@app.command()
def export(
    kind: Annotated[str, typer.Argument(help="entities, networks, audit, or subgraph.")],
    out_file: Annotated[Path, typer.Option("--out", help="File to write.")],
    graph: GraphOpt = None,
    data: DataOpt = None,
    person: Annotated[Optional[str], typer.Option(help="subgraph: around this person_id.")] = None,
    network: Annotated[Optional[str], typer.Option(help="subgraph: around this network_id.")] = None,
    incidents: Annotated[Optional[str], typer.Option(help="subgraph: around these incident ids (comma-separated).")] = None,
    hops: Annotated[int, typer.Option(min=1, max=3, help="subgraph: how many hops out.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="subgraph: graphml, gexf, json, csv or i2.")] = "graphml",
    reidentify: Annotated[bool, typer.Option(help="subgraph: do not pseudonymise victims (logged).")] = False,
    justification: Annotated[Optional[str], typer.Option(
        help="subgraph: the case or operation reference this export is for (written to the access log).")] = None,
) -> None:
    """Write entities.csv, networks.csv, audit.csv, or a subgraph for an analyst's tool."""
    if kind not in {k.value for k in ExportKind} | {"subgraph"}:
        fail("export what? choose entities, networks, audit or subgraph (got %r)" % kind, 2)
    if kind == "subgraph" and not (justification or "").strip():
        fail("a subgraph export holds person data: give --justification with the case or operation reference", 2)
    settings = settings_for(graph, data)
    with errors(), opened(settings) as store:
        if kind == ExportKind.entities.value:
            from csenet.outputs import export_entities

            n = export_entities(store, out_file)
        elif kind == ExportKind.networks.value:
            from csenet.networks.projection import export_networks_csv

            n = export_networks_csv(store, out_file)
        elif kind == ExportKind.audit.value:
            from csenet.outputs import export_audit

            n = export_audit(store, out_file)
        else:
            from csenet.exports.cli import export_subgraph_cli

            n = export_subgraph_cli(store, settings, out_file, person=person, network=network, incidents=incidents,
                                    hops=hops, fmt=fmt, reidentify=reidentify, justification=justification)
    err.print("Wrote %s (%s rows)" % (out_file, n))


@app.command()
def explain(
    record_a: Annotated[str, typer.Argument(help="A person record id.")],
    record_b: Annotated[str, typer.Argument(help="Another person record id.")],
    graph: GraphOpt = None,
    data: DataOpt = None,
    fmt: Annotated[Fmt, typer.Option("--format", help="table (words) or json.")] = Fmt.table,
) -> None:
    """Why two person records are, or are not, one person: each comparison's match weight."""
    from csenet.outputs import explain_records

    settings = settings_for(graph, data)
    with errors(), opened(settings) as store:
        explanation = explain_records(store, settings, record_a, record_b)
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps(explanation.to_dict(), indent=2, default=str) + "\n")
    else:
        out.print(explanation.to_text(), markup=False, highlight=False, soft_wrap=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    graph: GraphOpt = None,
    data: DataOpt = None,
) -> None:
    """Run the investigator HTTP API (bearer tokens, justification, access log)."""
    import uvicorn

    from csenet.api.app import create_app

    settings = settings_for(graph, data)
    with errors():
        application = create_app(settings)
        uvicorn.run(application, host=host, port=port, log_level="info", access_log=False)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The person's user name.")],
    role: Annotated[str, typer.Option(help="investigator, analyst, supervisor or admin.")],
    data: DataOpt = None,
) -> None:
    """Issue a bearer token (printed once; only its hash is kept)."""
    from csenet.api.users import add_user

    with errors():
        token = add_user(settings_for(None, data), name, role)
    err.print("Token for %s (%s) — shown once, store it safely:" % (name, role))
    sys.stdout.write(token + "\n")


@users_app.command("list")
def users_list(data: DataOpt = None) -> None:
    """List users and roles (never tokens)."""
    from csenet.api.users import list_users

    with errors():
        users = list_users(settings_for(None, data))
    table = Table()
    for col in ("name", "role", "created", "revoked"):
        table.add_column(col)
    for u in users:
        table.add_row(u.name, u.role, str(u.created_at), "yes" if u.revoked else "")
    out.print(table)


@users_app.command("revoke")
def users_revoke(name: Annotated[str, typer.Argument()], data: DataOpt = None) -> None:
    """Revoke a user's tokens."""
    from csenet.api.users import revoke_user

    with errors():
        revoke_user(settings_for(None, data), name)
    err.print("Revoked %s" % name)


@audit_log_app.command("verify")
def audit_log_verify(
    path: Annotated[Optional[Path], typer.Option(help="Log file (default: DATA/access-log.jsonl).")] = None,
    data: DataOpt = None,
) -> None:
    """Check the access log's hash chain; exit 1 and name the first bad entry if tampered with."""
    from csenet.api.access_log import verify

    settings = settings_for(None, data)
    with errors():
        result = verify(path or settings.access_log_path())
    if not result.ok:
        fail("access log %s is NOT intact: %s" % (path or settings.access_log_path(), result.message), 1)
    out.print("access log intact: %d entries, chain verified" % result.entries)


if __name__ == "__main__":  # pragma: no cover
    app()
