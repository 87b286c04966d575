"""`csenet`: the one command line (shared/spec/cli-and-outputs.md is its contract).

Each module registers its commands on the one `app`; a new command group is a new module here.
"""

from csenet.cli.common import app
# Imported in the order `csenet --help` lists their commands.
from csenet.cli import pipeline  # noqa: F401,I001
from csenet.cli import reads  # noqa: F401
from csenet.cli import report  # noqa: F401
from csenet.cli import admin  # noqa: F401
from csenet.cli import store  # noqa: F401
from csenet.cli import neo4j  # noqa: F401
from csenet.cli import workspace  # noqa: F401

__all__ = ["app"]
