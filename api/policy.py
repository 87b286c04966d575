# SPDX-License-Identifier: GPL-3.0-or-later
"""Roles, permissions and the route table: what each route needs, declared next to it.

A route without a declared policy is refused when the app is built and again at request
time (deny by default). Roles are cumulative: each holds its own permissions and those of
the roles before it, so a supervisor can do what an analyst can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Permission(str, Enum):
    PUBLIC = "public"                # no token: health, and the Browser guide (query text and styles only)
    META = "meta"                    # any valid token: version, OpenAPI docs, the list of canned queries
    READ_PERSON_DATA = "read_person_data"
    EXPORT = "export"
    REIDENTIFY = "reidentify"
    READ_ACCESS_LOG = "read_access_log"
    MANAGE_USERS = "manage_users"
    LOAD = "load"


ROLES: tuple[str, ...] = ("investigator", "analyst", "supervisor", "admin")

_OWN: dict[str, frozenset[Permission]] = {
    "investigator": frozenset({Permission.META, Permission.READ_PERSON_DATA}),
    "analyst": frozenset({Permission.EXPORT}),
    "supervisor": frozenset({Permission.READ_ACCESS_LOG, Permission.REIDENTIFY}),
    "admin": frozenset({Permission.MANAGE_USERS, Permission.LOAD}),
}


def _cumulative() -> dict[str, frozenset[Permission]]:
    held: set[Permission] = set()
    out: dict[str, frozenset[Permission]] = {}
    for role in ROLES:
        held |= _OWN[role]
        out[role] = frozenset(held)
    return out


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = _cumulative()


def allows(role: str | None, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role or "", frozenset())


def roles_with(permission: Permission) -> list[str]:
    return [r for r in ROLES if permission in ROLE_PERMISSIONS[r]]


@dataclass(frozen=True)
class Policy:
    """What a route needs: a permission, and whether it reads person data (justification required)."""

    permission: Permission
    person_data: bool = False
    action: str = ""

    @property
    def public(self) -> bool:
        return self.permission is Permission.PUBLIC


POLICY_ATTR = "__csenet_policy__"


def requires(permission: Permission, *, person_data: bool = False, action: str = "") -> Callable[[Any], Any]:
    """Decorator declaring a route endpoint's policy; the guard reads it on every request."""
    if permission is Permission.PUBLIC and person_data:
        raise ValueError("a public route cannot serve person data")

    def mark(fn: Any) -> Any:
        setattr(fn, POLICY_ATTR, Policy(permission, person_data, action or fn.__name__))
        return fn

    return mark


def policy_of(endpoint: Any) -> Policy | None:
    return getattr(endpoint, POLICY_ATTR, None)
