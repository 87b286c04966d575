"""Progress of a long load, reported per stage; the CLI renders it as rich progress bars."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Reporter(Protocol):
    def stage(self, name: str, total: int) -> Callable[[int], None]:
        """Start a stage of `total` rows; the returned callable advances it."""


class NullReporter:
    def stage(self, name: str, total: int) -> Callable[[int], None]:
        return lambda n: None
