# SPDX-License-Identifier: GPL-3.0-or-later
"""Networks, the CSE flag audit, prevalence and explain-a-link.

No `from __future__ import annotations` here: the audit route's page-size bound is a
closure value FastAPI must see when it reads the signature.
"""

import dataclasses
import importlib
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder

from csenet.api.canned import endpoint_for, not_installed
from csenet.api.deps import read, settings_of, store_of
from csenet.api.guard import set_records
from csenet.api.models import ExplainOut, FlagAuditPage
from csenet.api.policy import Permission, requires
from csenet.api.responses import marked
from csenet.cypher.registry import CannedQuery

VERDICTS = ("CONFIRMED", "OVER_FLAGGED", "UNDER_FLAGGED", "NOT_CSE")

AUDIT = (
    "MATCH (i:Incident) "
    "WHERE ($verdict IS NULL OR i.cse_verdict = $verdict) AND ($district IS NULL OR i.district = $district) "
    "AND ($year IS NULL OR i.year = $year) AND ($flagged IS NULL OR coalesce(i.flagged_cse, false) = $flagged) "
    "AND ($offence_code IS NULL OR i.offence_code = $offence_code) "
    "AND ($meets IS NULL OR i.meets_cse_definition = $meets) "
    "RETURN i.incident_id AS incident_id, i.flags AS recorded_flags, i.flagged_cse AS flagged_cse, "
    "i.meets_cse_definition AS meets_cse_definition, i.cse_verdict AS verdict, "
    "i.suggested_flags AS suggested_flags, i.audit_reasons AS reasons, i.offence_code AS offence_code, "
    "i.offence AS offence, i.district AS district, i.year AS year "
    "ORDER BY i.incident_id SKIP $skip LIMIT $limit"
)
AUDIT_COUNT = (
    "MATCH (i:Incident) "
    "WHERE ($verdict IS NULL OR i.cse_verdict = $verdict) AND ($district IS NULL OR i.district = $district) "
    "AND ($year IS NULL OR i.year = $year) AND ($flagged IS NULL OR coalesce(i.flagged_cse, false) = $flagged) "
    "AND ($offence_code IS NULL OR i.offence_code = $offence_code) "
    "AND ($meets IS NULL OR i.meets_cse_definition = $meets) "
    "RETURN count(i) AS n"
)

def find_explainer() -> Callable[..., Any] | None:
    """`csenet.outputs.explain_records(store, settings, a, b)`, the one the CLI's explain uses."""
    try:
        fn = getattr(importlib.import_module("csenet.outputs"), "explain_records", None)
    except ImportError:
        return None
    return fn if callable(fn) else None


def intel_router(registry: dict[str, CannedQuery], page_size_max: int) -> APIRouter:
    router = APIRouter(tags=["networks and audit"])

    def canned(path: str, name: str, action: str, summary: str, path_params: tuple[str, ...] = ()) -> None:
        q = registry.get(name)
        if q is not None and set(path_params) <= {p.name for p in q.params}:
            endpoint = endpoint_for(q, page_size_max, path_params=path_params, action=action)
        else:
            endpoint = not_installed(name, action)
        router.add_api_route(path, endpoint, methods=["GET"], summary=summary, name=action)

    canned("/networks", "networks", "networks", "Networks under the Inquiry's definition")
    if "network_detail" in registry:
        canned("/networks/{network_id}", "network_detail", "network_detail",
               "One network: members, roles, victims and evidence", ("network_id",))
    else:
        @router.get("/networks/{network_id}", summary="One network: members, roles, victims and evidence")
        @requires(Permission.READ_PERSON_DATA, person_data=True, action="network_detail")
        def network_detail_missing(request: Request, network_id: str) -> dict[str, Any]:
            raise HTTPException(501, "the canned query 'network_detail' is not installed in this csenet")

    canned("/prevalence", "prevalence", "prevalence", "Prevalence of CSE by area and year")
    _add_audit(router, page_size_max)
    _add_explain(router)
    return router


def _add_audit(router: APIRouter, page_size_max: int) -> None:
    @router.get("/audit", summary="The CSE flag audit: incidents with their verdicts")
    @requires(Permission.READ_PERSON_DATA, person_data=True, action="flag_audit")
    def flag_audit(
        request: Request,
        verdict: Annotated[Literal["CONFIRMED", "OVER_FLAGGED", "UNDER_FLAGGED", "NOT_CSE"] | None, Query()] = None,
        district: Annotated[str | None, Query(max_length=100)] = None,
        year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
        flagged_cse: Annotated[bool | None, Query(description="recorded with the CSE flag")] = None,
        meets_cse_definition: Annotated[bool | None, Query()] = None,
        offence_code: Annotated[str | None, Query(max_length=20)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=page_size_max)] = min(50, page_size_max),
    ) -> FlagAuditPage:
        params = {"verdict": verdict, "district": district, "year": year, "flagged": flagged_cse,
                  "offence_code": offence_code, "meets": meets_cse_definition}
        total = read(request, AUDIT_COUNT, params)[0]["n"]
        rows = read(request, AUDIT, {**params, "skip": (page - 1) * page_size, "limit": page_size})
        set_records(request, len(rows))
        return FlagAuditPage.model_validate(marked(page=page, page_size=page_size, total=total, rows=rows))


def _add_explain(router: APIRouter) -> None:
    @router.get("/explain", summary="Why two person records were (or were not) resolved to one person")
    @requires(Permission.READ_PERSON_DATA, person_data=True, action="explain_link")
    def explain_link(
        request: Request,
        record_a: Annotated[str, Query(min_length=1, max_length=100)],
        record_b: Annotated[str, Query(min_length=1, max_length=100)],
    ) -> ExplainOut:
        fn = find_explainer()
        if fn is None:
            raise HTTPException(501, "explaining a link needs resolution.explain.explain, "
                                     "which is not installed in this csenet")
        try:
            result = fn(store_of(request), settings_of(request), record_a, record_b)
        except (KeyError, LookupError, ValueError) as exc:
            raise HTTPException(404, str(exc.args[0]) if exc.args else "record not found") from None
        if hasattr(result, "to_dict"):
            result = result.to_dict()
        elif dataclasses.is_dataclass(result) and not isinstance(result, type):
            result = dataclasses.asdict(result)
        set_records(request, 2)
        return ExplainOut.model_validate(marked(record_a=record_a, record_b=record_b,
                                                explanation=jsonable_encoder(result)))
