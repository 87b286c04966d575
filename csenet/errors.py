# SPDX-License-Identifier: GPL-3.0-or-later
"""csenet's exceptions under one root, so a caller catches `CsenetError` and never a driver's.

The bottom floor: nothing here imports any other part of csenet. Each adapter in graph/
maps its driver's errors to these; nothing above graph/ imports a driver.
"""

from __future__ import annotations


class CsenetError(Exception):
    """Something csenet refused or could not do; the message is for a person."""


class StoreError(CsenetError, RuntimeError):
    """The graph store refused or failed a request."""


class StoreUnavailable(StoreError):
    """The graph store cannot be reached or is not answering now; retrying later may work."""


class TransactionTooLarge(StoreError):
    """One write needed more memory than the server lets a transaction use; a smaller batch may fit."""


class ResultTooLarge(StoreError):
    """A read would return more rows than the cap; narrow it or page it."""


class InputError(CsenetError, ValueError):
    """Input (a bundle, a parameter, a rule file) is wrong; the message says what to fix."""
