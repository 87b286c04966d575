"""`csenet workspace create|stop|list`: a pseudonymised, logged subgraph in its own local Neo4j for Browser."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from csenet.cli.common import DataOpt, GraphOpt, app, errors, fail, opened, out, settings_for

workspace_app = typer.Typer(no_args_is_help=True, help="Analyst workspaces: a pseudonymised subgraph in its own "
                            "local Neo4j, for free exploration in Neo4j Browser.")
app.add_typer(workspace_app, name="workspace")


@workspace_app.command("create")
def create(
    network: Annotated[Optional[str], typer.Option("--network", help="Centre: a network id (NET-...).")] = None,
    person: Annotated[Optional[str], typer.Option("--person", help="Centre: a person id (PER-...).")] = None,
    hops: Annotated[int, typer.Option("--hops", min=1, max=3, help="How far from the centre.")] = 1,
    justification: Annotated[str, typer.Option("--justification", help="Case or operation reference (logged).")] = "",
    name: Annotated[Optional[str], typer.Option("--name", help="Workspace name (default from the centre).")] = None,
    graph: GraphOpt = None,
    data: DataOpt = None,
) -> None:
    """Copy the subgraph around a network or person, victims pseudonymised and the copy access-logged,
    into a new local Neo4j under CSENET_DATA/workspaces/NAME, and start it."""
    from csenet.exports.workspace import create_workspace

    if bool(network) == bool(person):
        fail("give exactly one of --network or --person", 2)
    with errors():
        settings = settings_for(graph, data)
        with opened(settings) as store:
            ws = create_workspace(store, settings, {"network_id": network, "person_id": person}, hops,
                                  justification, name=name)
        out.print("Workspace %s: %d nodes, %d relationships, victims pseudonymised%s"
                  % (ws.name, ws.nodes, ws.relationships,
                     "" if not ws.skipped else " (%d relationships of other types left out)" % ws.skipped),
                  highlight=False)
        out.print("CSENET_GRAPH=%s" % ws.url, soft_wrap=True, highlight=False)
        out.print("Browser: %s" % ws.browser_url, soft_wrap=True, highlight=False)
        out.print("user neo4j, password in %s (0600); stop it with `csenet workspace stop %s`"
                  % (ws.password_file, ws.name), soft_wrap=True, highlight=False)


@workspace_app.command("stop")
def stop(name: Annotated[str, typer.Argument(help="The workspace's name.")], data: DataOpt = None) -> None:
    """Stop a workspace's Neo4j (its data stays until the folder is removed)."""
    from csenet.exports.workspace import workspace_home
    from csenet.graph.neo4j_local import LocalNeo4j

    with errors():
        settings = settings_for(None, data)
        server = LocalNeo4j.for_settings(settings, home=workspace_home(settings, name))
        out.print("workspace %s stopped" % name if server.stop() else "workspace %s was not running" % name,
                  highlight=False)


@workspace_app.command("list")
def list_workspaces(data: DataOpt = None) -> None:
    """Every workspace under the data folder, running or not."""
    from csenet.graph.neo4j_local import LocalNeo4j

    settings = settings_for(None, data)
    for home in sorted((Path(settings.data) / "workspaces").glob("*/neo4j")):
        server = LocalNeo4j.for_settings(settings, home=home)
        pid = server.running_pid()
        out.print("%s\t%s" % (home.parent.name, "running %s" % server.url if pid else "stopped"), highlight=False)
