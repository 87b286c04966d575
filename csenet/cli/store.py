"""store status, store compact: the embedded graph store's state, and making it quick to reopen."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from csenet.cli.common import DataOpt, Fmt, app, err, errors, fail, opened, out, settings_for

store_app = typer.Typer(no_args_is_help=True, help="The embedded graph store: its state, and compacting it.")
app.add_typer(store_app, name="store")

FIELDS = [
    ("state", "server"), ("pid", "pid"), ("socket", "socket"), ("server_version", "server version"),
    ("package", "package"), ("graph", "graph"), ("nodes", "nodes"), ("relationships", "relationships"),
    ("counts_as_of", "counts as of"), ("last_load_id", "last load"), ("last_load_at", "last load at"),
    ("aof_base_mb", "snapshot (MB)"), ("aof_tail_mb", "statement tail (MB)"), ("last_compaction", "last compaction"),
    ("compacting_now", "compacting now"), ("loading", "loading"), ("restart", "a restart"),
]


@store_app.command("status")
def status(
    data: DataOpt = None,
    fmt: Fmt = typer.Option(Fmt.table, "--format", help="table or json."),
) -> None:
    """Socket, pid, versions, graph sizes, AOF sizes, last compaction and load, and whether a restart would
    replay statements. Never starts or stops the server."""
    from csenet.graph.status import store_status

    settings = settings_for(None, data)
    with errors():
        result = store_status(settings)
    if fmt is Fmt.json:
        out.print_json(json.dumps(result))
        return
    if fmt is Fmt.csv:
        fail("store status prints a table or json", 2)
    table = Table(title="Embedded store in %s" % result["data"], show_header=False)
    table.add_column("what")
    table.add_column("value")
    for key, label in FIELDS:
        if key in result and result[key] is not None:
            table.add_row(label, str(result[key]))
    out.print(table)


@store_app.command("compact")
def compact(data: DataOpt = None) -> None:
    """Rewrite the store's log as a snapshot, so the next start loads it instead of replaying statements."""
    settings = settings_for(None, data)
    with errors(), opened(settings) as store:
        store.compact()
    err.print("compacted the store in %s" % settings.data)
