# SPDX-License-Identifier: GPL-3.0-or-later
"""Subgraph exports for analysts' tools; victims pseudonymised unless re-identification is allowed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from csenet.settings import Settings
from csenet.exports.formats import FORMATS, MEDIA_TYPES, SUFFIXES, write
from csenet.marking import MARKING
from csenet.exports.pseudonymise import PseudonymisationError, load_or_create_key
from csenet.exports.pseudonymise import pseudonymise as _pseudonymise
from csenet.exports.subgraph import CenterNotFound, ExportError, Subgraph, fetch_subgraph
from csenet.graph.store import GraphStore

__all__ = ["FORMATS", "MEDIA_TYPES", "SUFFIXES", "MARKING", "CenterNotFound", "ExportError", "ExportResult",
           "PseudonymisationError", "Subgraph", "export_subgraph", "fetch_subgraph"]


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: str
    nodes: int
    edges: int
    pseudonymised: bool


def export_subgraph(store: GraphStore, center: dict[str, Any], hops: int, fmt: str, out_path: Path | str,
                    pseudonymise: bool = True, key: bytes | None = None,
                    settings: Settings | None = None) -> ExportResult:
    """Write the subgraph around `center` ({"person_id"|"network_id"|"incident_ids": ...}) to `out_path`.

    Victims are pseudonymised unless `pseudonymise=False`; the caller must have checked
    that the user may re-identify (the API does; the CLI asks for `--reidentify`).
    """
    if fmt not in FORMATS:
        raise ExportError("format %r: choose one of %s" % (fmt, ", ".join(FORMATS)))
    settings = settings or getattr(store, "settings", None)
    if settings is None:
        raise TypeError("export_subgraph needs the settings (limits, pseudonym key): pass settings=")
    sg = fetch_subgraph(store, center, hops, max_nodes=settings.export_max_nodes,
                        timeout_ms=settings.query_timeout_ms)
    if pseudonymise:
        key = key if key is not None else load_or_create_key(settings.pseudonym_key_path())
        sg = _pseudonymise(store, sg, key)
    else:
        sg.meta["pseudonymised"] = False
    out_path = Path(out_path)
    tmp = out_path.with_name(out_path.name + ".part")
    try:
        write(sg, fmt, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, out_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return ExportResult(path=out_path, format=fmt, nodes=len(sg.nodes), edges=len(sg.edges),
                        pseudonymised=bool(pseudonymise))
