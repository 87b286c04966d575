# SPDX-License-Identifier: GPL-3.0-or-later
"""Health, version, the access log (supervisors), users (admins), OpenAPI docs and the Browser guide.

The Browser guide and style are public: Neo4j Browser's `:play URL` and `:style URL`
cannot send a bearer token. They hold only canned query text and styles, rendered from
the registry and a static file, never from the graph; the route-walk test names them as
the only public routes besides /health.
"""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from csenet.access_log import read_entries, verify
from csenet.api.deps import settings_of
from csenet.api.guard import set_records
from csenet.api.models import AccessLogOut, HealthOut, UsersOut, VersionOut, VerifyOut
from csenet.api.policy import Permission, requires
from csenet.api.responses import marked
from csenet.api.users import list_users
from csenet.cypher.registry import load_registry
from csenet.marking import MARKING

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter()


def version_info() -> dict[str, str]:
    try:
        from importlib.metadata import version
        v = version("csenet")
    except Exception:
        import csenet
        v = getattr(csenet, "__version__", "unknown")
    return {"name": "csenet", "version": v}


@router.get("/health", tags=["service"], summary="Liveness: no authentication, no data")
@requires(Permission.PUBLIC, action="health")
def health() -> HealthOut:
    return HealthOut(status="ok", protective_marking=MARKING)


@router.get("/version", tags=["service"], summary="csenet version")
@requires(Permission.META, action="version")
def get_version() -> VersionOut:
    return VersionOut(**version_info())


@router.get("/access-log", tags=["oversight"], summary="Read the access log (supervisors)")
@requires(Permission.READ_ACCESS_LOG, person_data=True, action="read_access_log")
def access_log(
    request: Request,
    after_seq: Annotated[int, Query(ge=0, le=10**12, description="entries after this sequence number")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AccessLogOut:
    entries = read_entries(settings_of(request).access_log_path(), after_seq=after_seq, limit=limit)
    set_records(request, len(entries))
    return AccessLogOut.model_validate(marked(entries=entries))


@router.get("/access-log/verify", tags=["oversight"], summary="Check the access log's hash chain (supervisors)")
@requires(Permission.READ_ACCESS_LOG, action="verify_access_log")
def access_log_verify(request: Request) -> VerifyOut:
    return VerifyOut.model_validate(marked(**verify(settings_of(request).access_log_path()).as_dict()))


@router.get("/users", tags=["oversight"], summary="API users and roles, without tokens (admins)")
@requires(Permission.MANAGE_USERS, action="list_users")
def users(request: Request) -> UsersOut:
    return UsersOut.model_validate(marked(users=[dataclasses.asdict(u) for u in list_users(settings_of(request))]))


@router.get("/openapi.json", include_in_schema=False)
@requires(Permission.META, action="openapi")
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
@requires(Permission.META, action="docs")
def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="csenet API [%s]" % MARKING)


@router.get("/redoc", include_in_schema=False)
@requires(Permission.META, action="redoc")
def redoc(request: Request) -> HTMLResponse:
    return get_redoc_html(openapi_url="/openapi.json", title="csenet API [%s]" % MARKING)


@router.get("/browser/guide", tags=["neo4j browser"], response_class=HTMLResponse,
            summary="Neo4j Browser guide of the canned queries (public: query text only, no data)")
@requires(Permission.PUBLIC, action="browser_guide")
def browser_guide() -> HTMLResponse:
    try:
        module = importlib.import_module("csenet.api.browser_guide")
    except ImportError:
        raise HTTPException(501, "the Browser guide (api/browser_guide.py) is not installed") from None
    return HTMLResponse(module.render_guide(list(load_registry().values())))


@router.get("/browser/style.grass", tags=["neo4j browser"], response_class=PlainTextResponse,
            summary="Neo4j Browser style sheet (public: styles only, no data)")
@requires(Permission.PUBLIC, action="browser_style")
def browser_style() -> PlainTextResponse:
    path = STATIC / "csenet.grass"
    if not path.exists():
        raise HTTPException(501, "the Browser style sheet (api/static/csenet.grass) is not installed")
    return PlainTextResponse(path.read_text(encoding="utf-8"))
