"""serve, users, audit-log: running the API and administering who may use it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from csenet.cli.common import (DataOpt, GraphOpt, app,
                               audit_log_app, err, errors, fail, out, settings_for,
                               users_app)


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
    from csenet.access_log import verify

    settings = settings_for(None, data)
    with errors():
        result = verify(path or settings.access_log_path())
    if not result.ok:
        fail("access log %s is NOT intact: %s" % (path or settings.access_log_path(), result.message), 1)
    out.print("access log intact: %d entries, chain verified" % result.entries)


if __name__ == "__main__":  # pragma: no cover
    app()
