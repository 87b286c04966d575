# SPDX-License-Identifier: GPL-3.0-or-later
"""`csenet export subgraph`: the same export as the API, logged to the same access log."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from csenet.access_log import AccessLog
from csenet.settings import Settings
from csenet.exports import export_subgraph
from csenet.graph.store import GraphStore


def export_subgraph_cli(store: GraphStore, settings: Settings, out_file: Path, *, person: str | None = None,
                        network: str | None = None, incidents: str | None = None, hops: int = 1,
                        fmt: str = "graphml", reidentify: bool = False, justification: str | None = None) -> int:
    """Write the export and log it (a re-identified one too); returns the nodes written.

    A command-line user is whoever can read the data directory, so there is no role to
    check here; the access log still records who exported what, and whether victims
    were re-identified.
    """
    center = {"person_id": person, "network_id": network,
              "incident_ids": [i.strip() for i in (incidents or "").split(",") if i.strip()] or None}
    params = {k: v for k, v in {"person_id": person, "network_id": network, "incident_ids": incidents,
                                "hops": hops, "format": fmt, "reidentify": reidentify,
                                "out": str(out_file)}.items() if v not in (None, "")}
    log = AccessLog(settings.access_log_path())
    entry = {"user": "cli:" + getpass.getuser(), "role": "cli", "action": "export_subgraph",
             "route": "CLI export subgraph", "parameters": params, "justification": justification}
    out_file = Path(out_file)
    pending = out_file.with_name("." + out_file.name + ".pending")
    try:
        result = export_subgraph(store, center, hops, fmt, pending, pseudonymise=not reidentify, settings=settings)
        log.append(**entry, records=result.nodes, outcome="ok", status=None)  # no log entry, no file
        os.replace(pending, out_file)
    except Exception:
        pending.unlink(missing_ok=True)
        try:
            log.append(**entry, records=0, outcome="failed", status=None)
        except Exception:
            pass
        raise
    return result.nodes
