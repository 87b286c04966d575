# SPDX-License-Identifier: GPL-3.0-or-later
"""API users and their bearer tokens.

A token is 32 random bytes shown once, when the user is added; csenet keeps only its
SHA-256 (a 256-bit random secret needs no slow hash: there is nothing to guess). The file
lives under the data directory, mode 0600, replaced atomically under a lock.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from csenet.api.policy import ROLES

from csenet.errors import InputError
from csenet.settings import Settings

TOKEN_PREFIX = "csn_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class UserError(InputError):
    """A user request that cannot be done; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str


@dataclass(frozen=True)
class UserInfo:
    """A user as listed: never the token or its hash."""

    name: str
    role: str
    created_at: str | None
    revoked_at: str | None

    @property
    def revoked(self) -> bool:
        return bool(self.revoked_at)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return list(doc["users"])
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError("users file %s is unreadable (%s); restore it from backup" % (path, exc)) from None


def _write(path: Path, users: list[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "users": users}, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def add_user(settings: Settings, name: str, role: str) -> str:
    """Create a user and return their token: the only time it is ever shown."""
    if not _NAME.match(name or ""):
        raise UserError("user name %r: use 1-64 letters, digits, '.', '_', '@' or '-'" % name)
    if role not in ROLES:
        raise UserError("role %r: choose one of %s" % (role, ", ".join(ROLES)))
    path = settings.users_path()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with _locked(path):
        users = _read(path)
        if any(u["name"] == name and not u.get("revoked_at") for u in users):
            raise UserError("user %r already exists; revoke them first to issue a new token" % name)
        users.append({"name": name, "role": role, "token_sha256": token_digest(token),
                      "created_at": _now(), "revoked_at": None})
        _write(path, users)
    return token


def list_users(settings: Settings) -> list[UserInfo]:
    """Users without their token hashes."""
    return [UserInfo(u.get("name"), u.get("role"), u.get("created_at"), u.get("revoked_at"))
            for u in _read(settings.users_path())]


def revoke(settings: Settings, name: str) -> bool:
    """Revoke every live token of the user; False if they had none."""
    path = settings.users_path()
    with _locked(path):
        users = _read(path)
        hit = False
        for u in users:
            if u["name"] == name and not u.get("revoked_at"):
                u["revoked_at"] = _now()
                hit = True
        if hit:
            _write(path, users)
    return hit


def revoke_user(settings: Settings, name: str) -> None:
    """`revoke`, refusing a name with no live token so a typo is not mistaken for a revocation."""
    if not revoke(settings, name):
        raise UserError("no user %r with a live token" % name)


class UserDirectory:
    """Token -> user, re-read whenever the file changes so a revocation applies at once."""

    def __init__(self, settings: Settings):
        self.path = settings.users_path()
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._by_digest: dict[str, User] = {}

    def authenticate(self, token: str | None) -> User | None:
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = token_digest(token)
        table = self._table()
        for known, user in table.items():
            if hmac.compare_digest(known, digest):
                return user
        return None

    def _table(self) -> dict[str, User]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return {}
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if stamp != self._stamp:
                try:
                    users = _read(self.path)
                except UserError:
                    users = []
                self._by_digest = {u["token_sha256"]: User(u["name"], u["role"])
                                   for u in users if not u.get("revoked_at") and u.get("role") in ROLES}
                self._stamp = stamp
            return self._by_digest
