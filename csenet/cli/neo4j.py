"""`csenet neo4j start|stop|status`: a local Neo4j 5 for an analyst with Java but no Docker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from csenet.cli.common import DataOpt, app, errors, out, settings_for

neo4j_app = typer.Typer(no_args_is_help=True, help="A local Neo4j 5 server (Java, no Docker): start, stop, status.")
app.add_typer(neo4j_app, name="neo4j")

BoltOpt = Annotated[Optional[int], typer.Option("--bolt-port", help="Bolt port (default 7687).")]
HttpOpt = Annotated[Optional[int], typer.Option("--http-port", help="HTTP/Browser port (default 7474).")]


def _server(data: Path | None, bolt_port: int | None = None, http_port: int | None = None,
            heap: str | None = None, pagecache: str | None = None):
    from csenet.graph.neo4j_local import LocalNeo4j

    settings = settings_for(None, data)
    return LocalNeo4j.for_settings(settings, bolt_port=bolt_port, http_port=http_port, heap=heap, pagecache=pagecache)


def print_addresses(server, show_password: bool = False) -> None:
    out.print("CSENET_GRAPH=%s" % server.url, soft_wrap=True, highlight=False)
    out.print("Browser: %s" % server.browser_url, soft_wrap=True, highlight=False)
    secret = server.password() if show_password else "in %s (0600)" % (server.home / "password")
    out.print("user neo4j, password %s" % secret, soft_wrap=True, highlight=False)


@neo4j_app.command("start")
def start(
    data: DataOpt = None,
    bolt_port: BoltOpt = None,
    http_port: HttpOpt = None,
    heap: Annotated[Optional[str], typer.Option(help="JVM heap, e.g. 512m, 2g (CSENET_NEO4J_HEAP).")] = None,
    pagecache: Annotated[Optional[str], typer.Option(help="Page cache, e.g. 256m (CSENET_NEO4J_PAGECACHE).")] = None,
    show_password: Annotated[bool, typer.Option(help="Print the generated password too.")] = False,
) -> None:
    """Start Neo4j on 127.0.0.1 with its data under CSENET_DATA/neo4j (first start: `make neo4j` first)."""
    with errors():
        server = _server(data, bolt_port, http_port, heap, pagecache)
        took = server.start()
        pid = server.running_pid()
        out.print(("Neo4j started in %.1f s" % took) if took else "Neo4j already running", "(pid %s)," % pid,
                  "data in %s" % server.home, highlight=False)
        print_addresses(server, show_password)


@neo4j_app.command("stop")
def stop(data: DataOpt = None) -> None:
    """Stop the local Neo4j cleanly (a checkpoint first)."""
    with errors():
        server = _server(data)
        out.print("Neo4j stopped" if server.stop() else "Neo4j was not running", highlight=False)


@neo4j_app.command("status")
def status(data: DataOpt = None,
           show_password: Annotated[bool, typer.Option(help="Print the generated password too.")] = False) -> None:
    """Whether the local Neo4j runs, and where to reach it; exit code 1 when it does not run."""
    with errors():
        server = _server(data)
        pid = server.running_pid()
        if pid is None:
            out.print("Neo4j is not running (data in %s)" % server.home, highlight=False)
            raise typer.Exit(1)
        out.print("Neo4j running (pid %d), data in %s" % (pid, server.home), highlight=False)
        print_addresses(server, show_password)
