# SPDX-License-Identifier: GPL-3.0-or-later
"""The append-only, hash-chained access log (Data Protection Act 2018 s.62 logging).

One JSON line per request: seq, time (UTC), user, role, action, route, parameters,
justification, records returned, outcome, prev_hash and hash, where hash is SHA-256 over
prev_hash and the canonical entry. Editing, deleting, reordering or inserting a line
breaks the chain and `verify` says where. Cutting lines off the end leaves a valid
shorter chain: compare `head()` with a value kept elsewhere (`verify(path, expect_head=...)`).

Each entry is fsynced before the response leaves; if that fails the request fails.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from csenet.errors import CsenetError

GENESIS = "0" * 64
FIELDS = ("seq", "time", "user", "role", "action", "route", "parameters", "justification",
          "records", "outcome", "status")


class AccessLogError(CsenetError, RuntimeError):
    """The access log could not be written; no data may be released."""


def canonical(entry: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def entry_hash(entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(str(entry.get("prev_hash", "")).encode("ascii") + b"\n" + canonical(entry)).hexdigest()


class AccessLog:
    """Appends entries; safe across threads and across processes sharing the file.

    Writing and syncing are split so concurrent requests share one fsync (group
    commit): each entry is written under the chain lock, then its writer waits until an
    fsync that started after its write has finished. Nothing is released before that.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()        # the chain: tail, seq, write
        self._sync_lock = threading.Lock()   # one fsync at a time; waiters ride on it
        self._fd: int | None = None
        self._written = 0                    # writes issued by this process
        self._synced = 0                     # writes known durable
        self._cached: tuple[int, int, str] | None = None  # (file size, seq, hash) after our last write

    def append(self, **entry: Any) -> dict[str, Any]:
        """Write one entry and return it once it is on disk."""
        record, ticket = self.write(**entry)
        self.sync(ticket)
        return record

    async def append_async(self, **entry: Any) -> dict[str, Any]:
        """`append` without blocking the event loop on the fsync."""
        import anyio.to_thread

        record, ticket = self.write(**entry)
        await anyio.to_thread.run_sync(self.sync, ticket)
        return record

    def write(self, **entry: Any) -> tuple[dict[str, Any], int]:
        """Write (not yet sync) the next entry of the chain; returns it and its sync ticket."""
        try:
            with self._lock:
                fd = self._open()
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    seq, prev = self._tail(fd)
                    record = {k: entry.get(k) for k in FIELDS if k not in ("seq", "time")}
                    record.update(seq=seq + 1, prev_hash=prev,
                                  time=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"))
                    record["hash"] = entry_hash(record)
                    line = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                      default=str).encode("utf-8") + b"\n"
                    if os.write(fd, line) != len(line):
                        raise OSError("short write to the access log")
                    self._cached = (os.fstat(fd).st_size, record["seq"], record["hash"])
                    self._written += 1
                    return record, self._written
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        except AccessLogError:
            raise
        except Exception as exc:
            self._reset()
            raise AccessLogError("the access log could not be written: %s" % exc.__class__.__name__) from exc

    def sync(self, ticket: int) -> None:
        """Return once write number `ticket` is durable (one fsync may cover many writes)."""
        try:
            with self._sync_lock:
                if self._synced >= ticket:
                    return
                with self._lock:
                    covered, fd = self._written, self._fd
                if fd is None:
                    raise OSError("the access log is not open")
                os.fsync(fd)
                self._synced = max(self._synced, covered)
        except Exception as exc:
            self._reset()
            raise AccessLogError("the access log could not be synced: %s" % exc.__class__.__name__) from exc

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            self._cached = None
        return self._fd

    def _reset(self) -> None:
        with self._lock:
            if self._fd is not None:
                try:
                    os.close(self._fd)
                except OSError:
                    pass
            self._fd = None
            self._cached = None

    def close(self) -> None:
        self._reset()

    def _tail(self, fd: int) -> tuple[int, str]:
        size = os.fstat(fd).st_size
        if self._cached and self._cached[0] == size:
            return self._cached[1], self._cached[2]
        if size == 0:
            return 0, GENESIS
        last = _last_line(fd, size)
        try:
            record = json.loads(last)
            return int(record["seq"]), str(record["hash"])
        except (ValueError, KeyError, TypeError):
            raise AccessLogError("the last line of the access log is damaged; run `csenet audit-log verify`") from None


def _last_line(fd: int, size: int) -> bytes:
    chunk = 4096
    end = size
    buf = b""
    while end > 0:
        start = max(0, end - chunk)
        buf = os.pread(fd, end - start, start) + buf
        end = start
        stripped = buf.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    return buf.rstrip(b"\n")


def read_entries(path: Path, after_seq: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Entries with seq > after_seq, oldest first, at most `limit` (unparseable lines skipped)."""
    out: list[dict[str, Any]] = []
    for _, record in _records(Path(path)):
        if isinstance(record, dict) and isinstance(record.get("seq"), int) and record["seq"] > after_seq:
            out.append(record)
            if len(out) >= limit:
                break
    return out


def _records(path: Path) -> Iterator[tuple[int, Any]]:
    if not path.exists():
        return
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                yield number, json.loads(raw)
            except ValueError:
                yield number, None


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    head: str
    problems: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.ok:
            return "%d entries, chain intact, head %s" % (self.entries, self.head)
        return "; ".join(self.problems[:5]) + (" (and more)" if len(self.problems) > 5 else "")

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head": self.head, "problems": self.problems,
                "message": self.message}


def verify(path: Path, expect_head: str | None = None, max_problems: int = 20) -> VerifyResult:
    """Walk the chain; every broken link is reported with its line number."""
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for number, record in _records(Path(path)):
        count += 1
        if not isinstance(record, dict) or "hash" not in record or "seq" not in record:
            problems.append("line %d: not an access-log entry" % number)
            continue
        if entry_hash(record) != record["hash"]:
            problems.append("line %d (seq %s): content does not match its hash (edited)" % (number, record["seq"]))
        if record.get("prev_hash") != prev:
            problems.append("line %d (seq %s): does not follow the line before it (deleted, inserted or reordered)"
                            % (number, record["seq"]))
        if record["seq"] != expected_seq:
            problems.append("line %d: seq %s where %d was expected" % (number, record["seq"], expected_seq))
        prev = str(record["hash"])
        expected_seq = record["seq"] + 1 if isinstance(record["seq"], int) else expected_seq + 1
        if len(problems) >= max_problems:
            problems.append("stopped after %d problems" % max_problems)
            break
    if expect_head is not None and expect_head != prev:
        problems.append("the last entry's hash is %s, not the expected head %s (lines cut off the end?)"
                        % (prev, expect_head))
    return VerifyResult(ok=not problems, entries=count, head=prev, problems=problems)


def head(path: Path) -> str:
    """The hash of the last entry: keep it elsewhere to detect a log cut short."""
    last = GENESIS
    for _, record in _records(Path(path)):
        if isinstance(record, dict) and "hash" in record:
            last = str(record["hash"])
    return last
