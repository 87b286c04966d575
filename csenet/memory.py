# SPDX-License-Identifier: GPL-3.0-or-later
"""Memory a stage has let go, handed back to the system.

glibc keeps the heap a process freed for its next allocation; a long load that frees
gigabytes of frames before its store grows would otherwise still hold them
(docs/scaling.md, stop 35)."""

from __future__ import annotations

import ctypes
import gc


try:
    _trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc: nothing to trim
    _trim = None


def give_back() -> None:
    """Collect what cycles hold, then return free heap to the system where glibc allows."""
    gc.collect()
    if _trim is not None:
        _trim(0)
