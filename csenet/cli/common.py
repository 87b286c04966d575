"""What every command shares: the app, its options, one-line errors, the store context and progress bars."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text

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
    from csenet.access_log import AccessLogError
    from csenet.errors import CsenetError, InputError, StoreError

    try:
        yield
    except AccessLogError as exc:
        fail("the access log cannot be written, so nothing is shown: %s" % exc, 4)
    except InputError as exc:
        fail(str(exc), 2)
    except StoreError as exc:
        fail("graph store: %s" % exc, 3)
    except CsenetError as exc:
        fail(str(exc), 1)
    except FileNotFoundError as exc:
        fail("%s: %s" % (exc.strerror or "not found", exc.filename), 2)
    except (ValueError, PermissionError) as exc:
        fail(str(exc), 2)


@contextlib.contextmanager
def opened(settings: Settings):
    from csenet.graph.open import open_store

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


class RateColumn(ProgressColumn):
    """Rows per second, so a slow stage shows itself while it runs."""

    def render(self, task: Task) -> Text:
        return Text("%8s rows/s" % ("{:,.0f}".format(task.speed) if task.speed else "-"), style="progress.data.speed")


def progress_bars() -> Progress:
    return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                    console=err, transient=False, disable=not err.is_terminal)


@app.callback(invoke_without_command=True)
def main(version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False) -> None:
    if version:
        out.print("csenet %s" % __version__)
        raise typer.Exit(0)


