# SPDX-License-Identifier: GPL-3.0-or-later
"""The problem profile over HTTP: the same document `csenet report` writes."""

from __future__ import annotations

from typing import Annotated, Literal

from csenet.api.deps import settings_of, store_of
from csenet.api.guard import set_records
from csenet.api.policy import Permission, requires
from csenet.report import ReportInputError, ReportOptions, build_report
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["reports"])
PDF = "application/pdf"


@router.get(
    "/reports/profile",
    summary="The problem profile: prevalence, networks against the OCG map, children at risk, premises, "
            "data quality and method, as one self-contained document",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, PDF: {}},
                     "description": "the profile, marked OFFICIAL-SENSITIVE on every page"}},
)
@requires(Permission.EXPORT, person_data=True, action="report_profile")
def profile(
    request: Request,
    format: Annotated[Literal["html", "pdf"], Query()] = "html",
    since: Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                       description="only from this date, YYYY-MM-DD")] = None,
    until: Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                       description="only up to this date, YYYY-MM-DD")] = None,
    district: Annotated[str | None, Query(max_length=200)] = None,
    compare_with: Annotated[str | None, Query(max_length=100, description="a previous load id")] = None,
    include_locations: Annotated[bool, Query(description="name hotspot premises and their addresses")] = False,
) -> Response:
    try:
        options = ReportOptions.build(since=since, until=until, district=district, compare_with=compare_with,
                                      include_locations=include_locations)
        report = build_report(store_of(request), settings_of(request), options)
    except ReportInputError as exc:
        raise HTTPException(422, str(exc)) from None
    set_records(request, report.records)
    name = "csenet-problem-profile.%s" % format
    headers = {"Content-Disposition": 'attachment; filename="%s"' % name}
    if format == "pdf":
        return Response(content=report.pdf(), media_type=PDF, headers=headers)
    return HTMLResponse(content=report.html, headers=headers)
