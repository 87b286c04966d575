# SPDX-License-Identifier: GPL-3.0-or-later
"""Person search, profile and associates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse

from csenet.api import person_queries as Q
from csenet.api.deps import read, settings_of, store_of
from csenet.api.guard import set_records
from csenet.api.models import AssociatesOut, ProfileOut, SearchOut
from csenet.api.person_search import search
from csenet.api.policy import Permission, requires
from csenet.api.responses import marked, marked_json

router = APIRouter(tags=["persons"])
PersonId = Annotated[str, Path(min_length=1, max_length=100, description="csenet person id (Person.person_id)")]


@router.get("/persons/search", summary="Find people by name, date of birth or identifier (tolerant of spelling)")
@requires(Permission.READ_PERSON_DATA, person_data=True, action="person_search")
def person_search(
    request: Request,
    name: Annotated[str | None, Query(max_length=200, description="'Given Family' or 'Family, Given'")] = None,
    date_of_birth: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
                                               description="YYYY, YYYY-MM or YYYY-MM-DD")] = None,
    identifier: Annotated[str | None, Query(max_length=200, description="phone, vehicle, e-mail, handle or national id")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchOut:
    if not (name and name.strip()) and not (identifier and identifier.strip()):
        raise HTTPException(422, "give a name or an identifier to search for")
    settings = settings_of(request)
    rows = search(store_of(request), name=name, date_of_birth=date_of_birth, identifier=identifier, limit=limit,
                  timeout_ms=settings.query_timeout_ms)
    set_records(request, len(rows))
    return SearchOut.model_validate(marked(results=rows))


def _person(request: Request, pid: str) -> dict[str, Any]:
    rows = read(request, Q.PERSON, {"pid": pid})
    if not rows:
        raise HTTPException(404, "no person with id %s" % pid)
    return rows[0]["person"]


@router.get("/persons/{person_id}", summary="A person's profile: records, incidents and roles, associates, evidence")
@requires(Permission.READ_PERSON_DATA, person_data=True, action="person_profile")
def person_profile(request: Request, person_id: PersonId) -> ProfileOut:
    settings = settings_of(request)
    profile = Q.profile(lambda q, params: read(request, q, params), person_id, settings.api_page_size_max)
    if profile is None:
        raise HTTPException(404, "no person with id %s" % person_id)
    set_records(request, 1 + sum(len(v) for k, v in profile.items() if k != "person"))
    return ProfileOut.model_validate(marked(**profile))


@router.get("/persons/{person_id}/associates", response_model=AssociatesOut, summary="A person's recorded and derived associates, with evidence")
@requires(Permission.READ_PERSON_DATA, person_data=True, action="person_associates")
async def person_associates(
    request: Request, person_id: PersonId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JSONResponse:
    """The hot path of an investigation: one indexed hop, sub-millisecond in the store, so it
    runs on the event loop instead of paying a thread hop (measured: about 20% less CPU per request)."""
    rows = read(request, Q.ASSOCIATES, {"pid": person_id, "limit": limit})
    if not rows:
        _person(request, person_id)
    set_records(request, len(rows))
    return marked_json(person_id=person_id, associates=rows)
