# SPDX-License-Identifier: GPL-3.0-or-later
"""What each operation tells a client it must send, derived from the route's declared policy.

The bearer token is a `Security(HTTPBearer)` dependency and `X-Justification` a required
`Header` with the guard's own pattern, added to every route from its policy when the app
is built: the schema cannot claim less (or more) than the guard enforces. The guard still
decides first (401/403, 428 for a missing justification, 400 for a malformed one) and
logs; the dependencies then only describe, and re-check, what already passed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Security
from fastapi.openapi.utils import get_openapi
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPBearer

from csenet.api.guard import JUSTIFICATION_EXAMPLE, JUSTIFICATION_HELP, JUSTIFICATION_LENGTH, JUSTIFICATION_PATTERN
from csenet.api.models import ErrorOut
from csenet.api.policy import Policy, roles_with
from csenet.marking import MARKING

BEARER_SCHEME = "bearer"
bearer = HTTPBearer(scheme_name=BEARER_SCHEME, bearerFormat="csn_ token",
                    description="a token issued with `csenet users add NAME --role ROLE`")


def justification(
    x_justification: Annotated[str, Header(
        alias="X-Justification", pattern=JUSTIFICATION_PATTERN,
        min_length=JUSTIFICATION_LENGTH[0], max_length=JUSTIFICATION_LENGTH[1],
        description="the case or operation reference this request is for: " + JUSTIFICATION_HELP,
        examples=[JUSTIFICATION_EXAMPLE])],
) -> str:
    return x_justification


_ERRORS = {
    400: "malformed request (control characters; for person data: a malformed X-Justification)",
    401: "no valid bearer token",
    403: "the caller's role lacks the permission",
    404: "no such person, network or record",
    422: "a parameter is out of range or missing; the detail says which",
    503: "the graph store or the access log is unavailable; no data is released",
    504: "the query took longer than allowed",
}


def policy_dependencies(policy: Policy) -> list[DependsParam]:
    if policy.public:
        return []
    deps: list[DependsParam] = [Security(bearer)]
    if policy.person_data:
        deps.append(Depends(justification))
    return deps


def error_responses(policy: Policy) -> dict[int | str, dict[str, Any]]:
    if policy.public:
        return {}
    out: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut, "description": text}
                                            for code, text in _ERRORS.items()}
    if policy.person_data:
        out[428] = {"model": ErrorOut, "description": "X-Justification is missing"}
    return out


def policy_note(policy: Policy) -> str:
    if policy.public:
        return ""
    return "Requires permission `%s` (roles: %s)%s." % (
        policy.permission.value, ", ".join(roles_with(policy.permission)),
        "; reads person data: send X-Justification" if policy.person_data else "")


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, marked; public operations say they need no security."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema["info"]["x-protective-marking"] = MARKING
    for path_item in schema.get("paths", {}).values():
        for op in path_item.values():
            if isinstance(op, dict) and op.get("x-csenet-permission") == "public":
                op["security"] = []
    app.openapi_schema = schema
    return schema
