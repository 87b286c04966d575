"""One load at a time per store: an exclusive flock on DATA/load.lock held for the whole load.

A second `csenet load` on the same data directory waits (saying whom it waits for) or,
with a timeout of 0, is refused with a clear message. The lock dies with its process, so
a crashed load never leaves the store locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from csenet.errors import InputError


class LoadBusy(InputError):
    """Another load holds the store."""


@contextlib.contextmanager
def load_lock(data: Path, timeout: float | None = None,
              notice: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold DATA/load.lock; wait up to `timeout` seconds (None: as long as it takes)."""
    data = Path(data)
    data.mkdir(parents=True, exist_ok=True)
    path = data / "load.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, path, timeout, notice)
        os.ftruncate(fd, 0)
        os.write(fd, b"%d\n" % os.getpid())
        yield path
    finally:
        os.close(fd)  # closing releases the flock


def _acquire(fd: int, path: Path, timeout: float | None, notice: Callable[[str], None] | None) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        holder = path.read_text().strip() or "?"
    if timeout == 0:
        raise LoadBusy("another load (pid %s) is writing to this store (%s); wait for it to finish and "
                       "run the load again" % (holder, path))
    if notice:
        notice("another load (pid %s) is writing to this store; waiting for it to finish ..." % holder)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if deadline is not None and time.monotonic() > deadline:
                raise LoadBusy("another load (pid %s) held this store (%s) for over %g s; gave up"
                               % (holder, path, timeout)) from None
            time.sleep(0.2)
