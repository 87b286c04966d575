"""query, export, explain: what investigators and analysts read, each read logged."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from csenet.cli.common import (DataOpt, ExportKind, Fmt, GraphOpt, app,
                               err, errors, fail, opened, out, settings_for)
from csenet import csvsafe
from csenet.settings import Settings


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

    from csenet.access_log import AccessLog

    AccessLog(settings.access_log_path()).append(
        user="cli:" + getpass.getuser(), role="cli", action=action, route="CLI %s %s" % (action, what),
        parameters=params, justification=justification, records=records, outcome="ok", status=None)


def emit_rows(rows: list[dict], columns: list[str], fmt: Fmt) -> None:
    if fmt is Fmt.json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str, ensure_ascii=False) + "\n")
    elif fmt is Fmt.csv:
        writer = csvsafe.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
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
