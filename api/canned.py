# SPDX-License-Identifier: GPL-3.0-or-later
"""Routes generated from the canned query registry: one typed, bounded, paginated GET per query.

Each query's `// param:` lines become documented query parameters (type, bounds, default,
description) in the OpenAPI schema; the registry's own `bind` then checks them again, so
the API and the CLI refuse the same things with the same messages. Only these registered,
parameterised, read-only queries run; no route takes Cypher.
"""

from __future__ import annotations

import datetime as _dt
import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request

from csenet.api.deps import read, store_of
from csenet.api.guard import set_records
from csenet.api.models import QueriesOut, page_model
from csenet.api.policy import Permission, requires
from csenet.api.responses import marked, paged
from csenet.cypher.registry import CannedQuery, Param

_TYPES: dict[str, type] = {"string": str, "int": int, "float": float, "bool": bool, "date": _dt.date}
_STRING_MAX = 500
RESERVED = {"page", "page_size"}
INT64 = (-(2**63), 2**63 - 1)


def _num(x: float | None, integral: bool) -> float | int | None:
    if x is None:
        return None
    return int(x) if integral and float(x).is_integer() else x


def _parameter(p: Param, in_path: bool) -> inspect.Parameter:
    typ = _TYPES[p.type]
    kw: dict[str, Any] = {"alias": p.name, "description": p.description or p.type}
    if p.type in ("int", "float"):
        if p.min is not None:
            kw["ge"] = _num(p.min, p.type == "int")
        if p.max is not None:
            kw["le"] = _num(p.max, p.type == "int")
        if p.type == "int":
            kw.setdefault("ge", INT64[0])
            kw.setdefault("le", INT64[1])
    if p.type == "string":
        kw["max_length"] = int(p.max) if p.max is not None else _STRING_MAX
        if p.required:
            kw["min_length"] = 1
    if in_path:
        return inspect.Parameter("q_" + p.name, inspect.Parameter.KEYWORD_ONLY,
                                 annotation=Annotated[typ, Path(**kw)])
    if p.required:
        return inspect.Parameter("q_" + p.name, inspect.Parameter.KEYWORD_ONLY,
                                 annotation=Annotated[typ, Query(**kw)])
    return inspect.Parameter("q_" + p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default,
                             annotation=Annotated[typ | None, Query(**kw)])


def endpoint_for(query: CannedQuery, page_size_max: int, *, path_params: Iterable[str] = (),
                 action: str | None = None) -> Callable[..., dict[str, Any]]:
    """A FastAPI endpoint whose signature is the query's parameters plus page and page_size."""
    path_params = set(path_params)
    pageable = not (RESERVED & {p.name for p in query.params})
    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    params += [_parameter(p, p.name in path_params) for p in query.params]
    if pageable:
        params.append(inspect.Parameter("page", inspect.Parameter.KEYWORD_ONLY, default=1,
                                        annotation=Annotated[int, Query(ge=1, le=100_000,
                                                                        description="page number, from 1")]))
        params.append(inspect.Parameter("page_size", inspect.Parameter.KEYWORD_ONLY, default=min(50, page_size_max),
                                        annotation=Annotated[int, Query(ge=1, le=page_size_max,
                                                                        description="rows per page")]))

    def run(request: Request, **kwargs: Any) -> dict[str, Any]:
        raw = {}
        for p in query.params:
            value = kwargs.get("q_" + p.name)
            if isinstance(value, _dt.date):
                value = value.isoformat()
            if value is not None:
                raw[p.name] = value
        bound = query.bind(raw)
        store = store_of(request)
        rows = read(request, query.text_for(store.dialect), bound)
        if pageable:
            body = paged(rows, kwargs["page"], kwargs["page_size"])
        else:
            body = {"page": 1, "page_size": len(rows), "total": len(rows), "rows": rows}
        set_records(request, len(body["rows"]))
        return marked(query=query.name, title=query.title, params=bound, **body)

    run.__signature__ = inspect.Signature(params, return_annotation=page_model(query))  # type: ignore[attr-defined]
    run.__name__ = "query_" + query.name
    run.__doc__ = "%s\n\n%s\n\nInquiry: %s" % (query.title, query.purpose, query.inquiry)
    return requires(Permission.READ_PERSON_DATA, person_data=True, action=action or "query:" + query.name)(run)


def describe(query: CannedQuery) -> dict[str, Any]:
    return {
        "name": query.name, "title": query.title, "purpose": query.purpose, "inquiry": query.inquiry,
        "returns": list(query.returns),
        "params": [{"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                    "min": p.min, "max": p.max, "description": p.description} for p in query.params],
        "path": "/queries/" + query.name,
    }


def not_installed(name: str, action: str) -> Callable[..., dict[str, Any]]:
    def missing(request: Request) -> dict[str, Any]:
        raise HTTPException(501, "the canned query %r is not installed in this csenet; "
                                 "`csenet query --list` shows what is" % name)

    missing.__name__ = "missing_" + name
    return requires(Permission.READ_PERSON_DATA, person_data=True, action=action)(missing)


def query_router(registry: dict[str, CannedQuery], page_size_max: int) -> APIRouter:
    router = APIRouter(tags=["canned queries"])

    @router.get("/queries", summary="Every canned query with its parameters")
    @requires(Permission.META, action="list_queries")
    def list_queries(request: Request) -> QueriesOut:
        return QueriesOut.model_validate(marked(queries=[describe(q) for q in registry.values()]))

    for q in registry.values():
        router.add_api_route("/queries/" + q.name, endpoint_for(q, page_size_max), methods=["GET"],
                             summary=q.title, description=q.purpose, name="query_" + q.name)
    return router
