# SPDX-License-Identifier: GPL-3.0-or-later
"""The API's response bodies as pydantic models, so /openapi.json says what each route returns.

Values read from the graph are typed loosely (`Any`, extra fields allowed): the store
holds what the loader wrote, and a response must never fail because a property's type
is wider than a model guessed. Canned-query rows are built from each query's `returns`
metadata, which tests/test_canned_queries.py holds to the columns the query returns.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from csenet.cypher.registry import CannedQuery
from csenet.marking import MARKING

Loose = ConfigDict(extra="allow")


class Marked(BaseModel):
    protective_marking: str = Field(MARKING, description="handling marking of everything in the body")


class ErrorOut(Marked):
    """Every refusal and error: what went wrong and what to do, never a stack trace."""

    detail: str


class HealthOut(BaseModel):
    status: str
    protective_marking: str = MARKING


class VersionOut(Marked):
    name: str
    version: str


class ParamInfo(BaseModel):
    name: str
    type: str
    required: bool
    default: Any = None
    min: float | None = None
    max: float | None = None
    description: str | None = None


class QueryInfo(BaseModel):
    name: str
    title: str
    purpose: str
    inquiry: str
    returns: list[str]
    params: list[ParamInfo]
    path: str


class QueriesOut(Marked):
    queries: list[QueryInfo]


class Page(Marked):
    page: int
    page_size: int
    total: int


class CannedPage(Marked):
    query: str
    title: str
    params: dict[str, Any] = Field(description="the parameters as bound, defaults filled in")
    page: int
    page_size: int
    total: int


class SearchHit(BaseModel):
    model_config = Loose
    person_id: str
    family_name: Any = None
    given_names: Any = None
    date_of_birth: Any = None
    gender: Any = None
    record_count: Any = None
    score: float
    reasons: list[str]
    record_ids: list[Any]


class SearchOut(Marked):
    results: list[SearchHit]


Row = dict[str, Any]


class ProfileOut(Marked):
    person: Row = Field(description="the resolved person's properties")
    records: list[Row] = Field(description="source records resolved to the person, with match probability")
    incidents: list[Row]
    associates: list[Row]
    identifiers: list[Row]
    ocgs: list[Row]
    missing_episodes: list[Row]
    networks: list[Row]


class AssociatesOut(Marked):
    person_id: str
    associates: list[Row]


class AuditRow(BaseModel):
    model_config = Loose
    incident_id: Any
    recorded_flags: Any = None
    flagged_cse: Any = None
    meets_cse_definition: Any = None
    verdict: Any = None
    suggested_flags: Any = None
    reasons: Any = None
    offence_code: Any = None
    offence: Any = None
    district: Any = None
    year: Any = None


class FlagAuditPage(Page):
    rows: list[AuditRow]


class ExplainOut(Marked):
    record_a: str
    record_b: str
    explanation: Row


class AccessLogEntry(BaseModel):
    model_config = Loose
    seq: Any = None
    time: Any = None
    user: Any = None
    role: Any = None
    action: Any = None
    route: Any = None
    parameters: Any = None
    justification: Any = None
    records: Any = None
    outcome: Any = None
    status: Any = None
    prev_hash: Any = None
    hash: Any = None


class AccessLogOut(Marked):
    entries: list[AccessLogEntry]


class VerifyOut(Marked):
    ok: bool
    entries: int
    head: str
    problems: list[str]
    message: str


class UserOut(BaseModel):
    name: str
    role: str
    created_at: str | None = None
    revoked_at: str | None = None


class UsersOut(Marked):
    users: list[UserOut]


_PAGES: dict[tuple[str, tuple[str, ...]], type[CannedPage]] = {}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part) or "Query"


def page_model(query: CannedQuery) -> type[CannedPage]:
    """`<Name>Page` with `rows: list[<Name>Row]`, one field per declared column (by alias: any name works)."""
    key = (query.name, tuple(query.returns))
    if key not in _PAGES:
        fields: dict[str, Any] = {"c%d" % i: (Any, Field(alias=col, title=col)) for i, col in enumerate(query.returns)}
        row = create_model(_camel(query.name) + "Row", __config__=Loose, **fields)
        row.__doc__ = "One row of the canned query %s: %s" % (query.name, query.title)
        _PAGES[key] = create_model(_camel(query.name) + "Page", __base__=CannedPage, rows=(list[row], ...))
    return _PAGES[key]
