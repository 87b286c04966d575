# SPDX-License-Identifier: GPL-3.0-or-later
"""The investigator API: `create_app(settings, store)` builds it; `csenet serve` runs it with uvicorn.

Security lives in one place, `api.guard.Guard`, in front of every route. Here the app is
assembled, every route is checked to declare a policy (deny by default: an undeclared
route stops the app from starting), and every error becomes a plain, marked message
without a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from csenet.access_log import AccessLog, AccessLogError
from csenet.api.canned import query_router
from csenet.api.guard import Guard
from csenet.api.openapi_docs import error_responses, openapi_schema, policy_dependencies, policy_note
from csenet.api.policy import policy_of
from csenet.api.routes_admin import router as admin_router
from csenet.api.routes_admin import version_info
from csenet.api.routes_exports import router as exports_router
from csenet.api.routes_intel import intel_router
from csenet.api.routes_persons import router as persons_router
from csenet.api.routes_reports import router as reports_router
from csenet.api.users import UserDirectory
from csenet.cypher.registry import QueryParamError, load_registry
from csenet.exports import CenterNotFound, ExportError, PseudonymisationError
from csenet.marking import HANDLING, MARKING
from csenet.graph.store import GraphStore, ResultTooLarge, StoreError, StoreUnavailable
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from csenet.errors import CsenetError
from csenet.settings import Settings, get_settings

log = logging.getLogger(__name__)


class RouteWithoutPolicy(CsenetError, RuntimeError):
    """A developer added a route without declaring who may call it."""


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"protective_marking": MARKING, "detail": detail}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:10]:
        loc = [str(x) for x in err.get("loc", ()) if x not in ("query", "path", "header", "body")]
        parts.append("%s: %s" % (".".join(loc) or "request", err.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def _plain_error(status: int):
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return _error(status, str(exc))

    return handler


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc))

    # Errors whose message already tells the caller what to fix.
    for error_type, status in ((QueryParamError, 422), (CenterNotFound, 404), (ExportError, 422),
                               (ResultTooLarge, 422)):
        app.add_exception_handler(error_type, _plain_error(status))

    @app.exception_handler(PseudonymisationError)
    async def pseudonymisation_error(request: Request, exc: PseudonymisationError) -> JSONResponse:
        log.error("export withheld: %s", exc)
        return _error(500, "the export was withheld because victim data could not be pseudonymised safely")

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("graph store unavailable: %s", exc)
        return _error(503, "the graph store is unavailable; try again or ask an administrator")

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> JSONResponse:
        text = str(exc).lower()
        if "timed out" in text or "timeout" in text:
            return _error(504, "the query took longer than the %d ms allowed; narrow it"
                          % request.app.state.settings.query_timeout_ms)
        log.error("graph store error: %s", exc)
        return _error(503, "the graph store could not answer; try again or ask an administrator")

    @app.exception_handler(AccessLogError)
    async def access_log_error(request: Request, exc: AccessLogError) -> JSONResponse:
        return _error(503, "the access log cannot be written, so no data is released")


def _add_routes(app: FastAPI, router: APIRouter) -> None:
    """Routes copied onto the app itself, so `app.routes` is the flat list the Guard and the tests walk.

    Each route gets, from its declared policy, the bearer and X-Justification dependencies
    and the documented error responses (see api/openapi_docs.py).
    """
    for r in router.routes:
        if not isinstance(r, APIRoute):
            raise RouteWithoutPolicy("only API routes may be added, not %r" % r)
        policy = policy_of(r.endpoint)
        if policy is None:
            raise RouteWithoutPolicy("route %s declares no permission" % r.path)
        note = policy_note(policy)
        extra = {**(r.openapi_extra or {}), "x-csenet-permission": policy.permission.value,
                 "x-csenet-person-data": policy.person_data}
        app.add_api_route(r.path, r.endpoint, methods=sorted(r.methods), summary=r.summary,
                          description=((r.description or "") + "\n\n" + note).strip(), tags=r.tags,
                          response_class=r.response_class, response_model=r.response_model,
                          responses={**error_responses(policy), **r.responses},
                          dependencies=[*r.dependencies, *policy_dependencies(policy)],
                          include_in_schema=r.include_in_schema, name=r.name, openapi_extra=extra)


def check_policies(app: FastAPI) -> None:
    """Deny by default: refuse to start if any route does not declare who may call it."""
    missing = [getattr(r, "path", repr(r)) for r in app.router.routes if policy_of(getattr(r, "endpoint", None)) is None]
    if missing:
        raise RouteWithoutPolicy("routes without a declared permission: %s" % ", ".join(missing))


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.access_log.close()
        if app.state.owns_store and app.state.store is not None:
            app.state.store.close()
            app.state.store = None

    app = FastAPI(
        title="csenet investigator API [%s]" % MARKING,
        version=version_info()["version"],
        description=HANDLING + "\n\nEvery request needs a bearer token; requests that read person data also "
        "need an X-Justification header. Every request is written to the access log.",
        docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan,  # our own, behind the guard
        generate_unique_id_function=lambda route: route.name,  # operationId = route name: readable clients
    )
    app.state.settings = settings
    app.state.store = store
    app.state.owns_store = False
    app.state.access_log = AccessLog(settings.access_log_path())
    app.state.users = UserDirectory(settings)
    registry = load_registry()

    for router in (admin_router, query_router(registry, settings.api_page_size_max), persons_router,
                   intel_router(registry, settings.api_page_size_max), exports_router, reports_router):
        _add_routes(app, router)
    install_error_handlers(app)
    check_policies(app)
    app.openapi = lambda: openapi_schema(app)  # type: ignore[method-assign]
    app.add_middleware(Guard, routes_app=app, users=app.state.users, access_log=app.state.access_log)
    return app
