# SPDX-License-Identifier: GPL-3.0-or-later
"""Subgraph exports over HTTP; the same `export_subgraph` the CLI calls."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from csenet.api.deps import settings_of, store_of
from csenet.api.guard import current_user, set_records
from csenet.api.policy import Permission, allows, requires
from csenet.exports import MEDIA_TYPES, SUFFIXES, export_subgraph

log = logging.getLogger(__name__)
router = APIRouter(tags=["exports"])
EXPORT_HEADERS = {
    "X-Csenet-Pseudonymised": {"description": "true unless victims were re-identified",
                               "schema": {"type": "string", "enum": ["true", "false"]}},
    "Content-Disposition": {"description": "attachment; the file name", "schema": {"type": "string"}},
}


@router.get(
    "/exports/subgraph",
    summary="The subgraph around a person, a network or incidents, for an analyst's tool",
    response_class=Response,
    responses={200: {"content": {t: {"schema": {"type": "string", "format": "binary"}}
                                 for t in sorted(set(MEDIA_TYPES.values()))},
                     "description": "the export file, as an attachment",
                     "headers": EXPORT_HEADERS}},
)
@requires(Permission.EXPORT, person_data=True, action="export_subgraph")
def export(
    request: Request,
    person_id: Annotated[str | None, Query(max_length=100)] = None,
    network_id: Annotated[str | None, Query(max_length=100)] = None,
    incident_ids: Annotated[str | None, Query(max_length=2000, description="comma-separated incident ids")] = None,
    hops: Annotated[int, Query(ge=1, le=3)] = 1,
    format: Annotated[Literal["graphml", "gexf", "json", "csv", "i2"], Query()] = "graphml",
    reidentify: Annotated[bool, Query(description="show victims' real identities (supervisor or admin only; logged)")] = False,
) -> Response:
    if reidentify and not allows(current_user(request).role, Permission.REIDENTIFY):
        raise HTTPException(403, "re-identifying victims needs the reidentify permission (supervisor or admin)")
    center = {"person_id": person_id, "network_id": network_id,
              "incident_ids": [i for i in (incident_ids or "").split(",") if i.strip()] or None}
    settings = settings_of(request)
    with tempfile.TemporaryDirectory(prefix="csenet-export-") as tmp:
        out = Path(tmp) / ("subgraph" + SUFFIXES[format])
        result = export_subgraph(store_of(request), center, hops, format, out, pseudonymise=not reidentify,
                                 settings=settings)
        content = out.read_bytes()
    set_records(request, result.nodes)
    return Response(content=content, media_type=MEDIA_TYPES[format], headers={
        "Content-Disposition": 'attachment; filename="csenet-subgraph%s"' % SUFFIXES[format],
        "X-Csenet-Pseudonymised": "true" if result.pseudonymised else "false",
    })
