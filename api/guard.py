# SPDX-License-Identifier: GPL-3.0-or-later
"""The one gate every request passes: marking, authentication, permission, justification, logging.

It is an ASGI middleware in front of the whole router, so no route can forget it: a path
that is not explicitly public needs a valid bearer token; a matched route without a
declared policy is refused; a route that reads person data needs an `X-Justification`
case or operation reference; and every authenticated request is written to the access log
*before* its response is released — if the log cannot be written, the caller gets 503 and
no data.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from csenet.access_log import AccessLog, AccessLogError
from csenet.api.policy import Policy, allows, policy_of
from csenet.api.users import User, UserDirectory
from csenet.marking import MARKING, MARKING_HEADER

log = logging.getLogger(__name__)

JUSTIFICATION_HEADER = "x-justification"
# One rule for the guard and the OpenAPI schema: no look-arounds, so JSON Schema validators,
# pydantic's regex engine and generated clients all read it the same way.
_JCHAR = r"[A-Za-z0-9 ._/:#()-]"
JUSTIFICATION_PATTERN = r"^(?:[A-Za-z]%s*[0-9]|[0-9]%s*[A-Za-z])%s*$" % (_JCHAR, _JCHAR, _JCHAR)
JUSTIFICATION_LENGTH = (4, 120)
JUSTIFICATION_EXAMPLE = "OP-HARBOUR-2024/17"
JUSTIFICATION_RE = re.compile(JUSTIFICATION_PATTERN)
JUSTIFICATION_HELP = ("send the case or operation reference this request is for in the X-Justification header, "
                      "e.g. 'X-Justification: OP-HARBOUR-2024/17' (4-120 characters: letters, digits, "
                      "spaces and . _ / : # ( ) -, with at least one letter and one digit)")
STATE_RECORDS = "csenet.records"
STATE_USER = "csenet.user"
STATE_JUSTIFICATION = "csenet.justification"
_MAX_PARAM_CHARS = 300
async def _preflight(scope: Scope, send: Send) -> None:
    """CORS preflight for the public Browser guide and style: Neo4j Browser (another origin) fetches
    them with headers that make its web browser ask first. GET only; no credentials, no data."""
    asked = _header(scope, b"access-control-request-headers") or ""
    allowed = ", ".join(h for h in (x.strip().lower() for x in asked.split(",")) if re.fullmatch(r"[a-z0-9-]{1,64}", h))
    headers = [(b"access-control-allow-methods", b"GET, OPTIONS"), (b"access-control-max-age", b"600"),
               (b"content-length", b"0")]
    if allowed:
        headers.append((b"access-control-allow-headers", allowed.encode()))
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


_SECURITY_HEADERS = [
    (MARKING_HEADER.lower().encode(), MARKING.encode()),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def valid_justification(value: str | None) -> bool:
    """A letter and a digit, 4-120 characters of the allowed set, starting with a letter or digit."""
    low, high = JUSTIFICATION_LENGTH
    return bool(value) and low <= len(value) <= high and JUSTIFICATION_RE.fullmatch(value) is not None


def set_records(request: Any, n: int) -> None:
    """Tell the access log how many records this response returns."""
    request.scope.setdefault("state", {})[STATE_RECORDS] = int(n)


def current_user(request: Any) -> User:
    return request.scope["state"][STATE_USER]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            try:
                return value.decode("latin-1")
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any bytes
                return None
    return None


def _bearer(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if not value:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _params(scope: Scope, path_params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: str(v)[:_MAX_PARAM_CHARS] for k, v in path_params.items()}
    try:
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    except ValueError:
        pairs = []
    for key, value in pairs[:50]:
        key, value = key[:64], value[:_MAX_PARAM_CHARS]
        if key in out:
            prior = out[key]
            out[key] = (prior if isinstance(prior, list) else [prior]) + [value]
        else:
            out[key] = value
    return out


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_control_chars(scope: Scope) -> bool:
    """Refused up front: no identifier or name holds one, and the store would refuse a NUL."""
    if _CONTROL.search(scope.get("path", "")):
        return True
    try:
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    except ValueError:
        return False
    return any(_CONTROL.search(k) or _CONTROL.search(v) for k, v in pairs)


def _outcome(status: int) -> str:
    if status < 400:
        return "ok"
    if status in (401, 403, 428):
        return "denied"
    if status < 500:
        return "bad_request"
    return "failed"


def _body(status: int, detail: str, extra_headers: list[tuple[bytes, bytes]] = ()) -> tuple[Message, Message]:
    payload = json.dumps({"protective_marking": MARKING, "detail": detail}).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers += list(extra_headers)
    return ({"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": payload, "more_body": False})


class Guard:
    def __init__(self, app: ASGIApp, *, routes_app: Any, users: UserDirectory, access_log: AccessLog):
        self.app = app
        self.routes_app = routes_app
        self.users = users
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._marked(send, scope)
        if _has_control_chars(scope):
            start, body = _body(400, "control characters (such as NUL) are not allowed in the path or parameters")
            await send(start)
            await send(body)
            return
        route, match, path_params = self._match(scope)
        policy: Policy | None = policy_of(getattr(route, "endpoint", None)) if route is not None else None
        if scope.get("method") == "OPTIONS" and policy is not None and policy.public \
                and scope.get("path", "").startswith("/browser/"):
            await _preflight(scope, send)
            return
        if policy is not None and policy.public and match is Match.FULL:
            await self._run(scope, receive, send, None)
            return

        entry: dict[str, Any] = {
            "user": None, "role": None,
            "action": policy.action if policy else None,
            "route": "%s %s" % (scope.get("method"), getattr(route, "path", scope.get("path"))),
            "parameters": _params(scope, path_params),
            "justification": None,
            "records": 0,
        }
        user = self.users.authenticate(_bearer(scope))
        if user is None:
            await self._refuse(send, entry, 401, "a valid bearer token is required: Authorization: Bearer <token> "
                               "(tokens are issued with `csenet users add NAME --role ROLE`)",
                               [(b"www-authenticate", b'Bearer realm="csenet"')], log_it=bool(policy and policy.person_data))
            return
        entry.update(user=user.name, role=user.role)
        state = scope.setdefault("state", {})
        state[STATE_USER] = user

        if route is not None and match is Match.FULL:
            if policy is None:
                await self._refuse(send, entry, 403, "this route declares no permission, so it is refused")
                return
            if not allows(user.role, policy.permission):
                await self._refuse(send, entry, 403, "your role (%s) does not have the permission %s"
                                   % (user.role, policy.permission.value))
                return
            if policy.person_data and not await self._justified(scope, send, entry):
                return
        await self._run(scope, receive, send, entry)

    async def _justified(self, scope: Scope, send: Send, entry: dict[str, Any]) -> bool:
        """428 without an X-Justification, 400 with a malformed one; else it goes in the log entry."""
        justification = _header(scope, JUSTIFICATION_HEADER.encode())
        if justification is None or not justification.strip():
            await self._refuse(send, entry, 428, "this request reads person data: " + JUSTIFICATION_HELP)
            return False
        justification = justification.strip()
        if not valid_justification(justification):
            entry["justification"] = justification[:_MAX_PARAM_CHARS]
            await self._refuse(send, entry, 400, "X-Justification is not a case or operation reference: "
                               + JUSTIFICATION_HELP)
            return False
        entry["justification"] = justification
        scope["state"][STATE_JUSTIFICATION] = justification
        return True

    # -- helpers -------------------------------------------------------------------
    def _match(self, scope: Scope) -> tuple[Any, Match | None, dict[str, Any]]:
        partial = None
        for route in self.routes_app.router.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return route, match, dict(child.get("path_params") or {})
            if match is Match.PARTIAL and partial is None:
                partial = route
        return partial, (Match.PARTIAL if partial is not None else None), {}

    @staticmethod
    def _marked(send: Send, scope: Scope) -> Send:
        public_cors = scope.get("path", "").startswith("/browser/")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {h for h, _ in _SECURITY_HEADERS}]
                headers += _SECURITY_HEADERS
                if public_cors:
                    headers.append((b"access-control-allow-origin", b"*"))
                message = {**message, "headers": headers}
            await send(message)

        return wrapped

    async def _refuse(self, send: Send, entry: dict[str, Any], status: int, detail: str,
                      extra_headers: list[tuple[bytes, bytes]] = (), log_it: bool = True) -> None:
        if log_it:
            try:
                await self.access_log.append_async(**{**entry, "outcome": _outcome(status), "status": status})
            except AccessLogError:
                log.error("access log unwritable; refusing request")
                status, detail, extra_headers = 503, "the access log cannot be written, so no request is served", []
        start, body = _body(status, detail, extra_headers)
        await send(start)
        await send(body)

    async def _run(self, scope: Scope, receive: Receive, send: Send, entry: dict[str, Any] | None) -> None:
        """Call the app; for an audited request, write the log entry when the response starts."""
        started = False
        suppressed = False

        async def audited_send(message: Message) -> None:
            nonlocal started, suppressed
            if suppressed:
                return
            if message["type"] == "http.response.start":
                if entry is not None:
                    status = int(message["status"])
                    records = scope.get("state", {}).get(STATE_RECORDS, 0) if status < 400 else 0
                    try:
                        await self.access_log.append_async(**{**entry, "records": records, "outcome": _outcome(status),
                                                            "status": status})
                    except AccessLogError:
                        log.error("access log unwritable; withholding a %d response", status)
                        suppressed = True
                        started = True
                        start, body = _body(503, "the access log cannot be written, so no data is released")
                        await send(start)
                        await send(body)
                        return
                started = True
            await send(message)

        try:
            await self.app(scope, receive, audited_send)
        except Exception:
            log.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            if not started:
                for message in _body(500, "internal error; the request was not completed"):
                    await audited_send(message)
