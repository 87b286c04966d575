"""CSV/TSV cells that cannot run as spreadsheet formulas: the one writer every csenet CSV goes through.

OWASP (CSV injection): a cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is read by Excel/LibreOffice as a formula. Such a cell is written with a single
quote in front and inside double quotes, so the spreadsheet shows it as text and a CSV
reader gets the original back after dropping the leading quote.

A cell that is a plain number (``-3.5``, ``+44``, ``-1e-3``) is left alone: it is data a
spreadsheet should sum, and a number cannot call anything. ISO dates and times begin with
a digit and are never touched. Python ``int``/``float`` values are numbers by type.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

__all__ = ["DANGEROUS", "is_dangerous", "safe_cell", "writer", "DictWriter", "read_back"]


def is_dangerous(value: Any) -> bool:
    """True when a spreadsheet would evaluate this cell (and it is not a plain number)."""
    if value is None or isinstance(value, bool | int | float):
        return False
    text = str(value)
    return text.startswith(DANGEROUS) and _NUMBER.fullmatch(text) is None


def safe_cell(value: Any) -> str:
    """The cell's text as a spreadsheet must see it (without the CSV quoting)."""
    if value is None:
        return ""
    return "'" + str(value) if is_dangerous(value) else str(value)


class _Writer:
    """csv.writer's interface; neutralised cells are always quoted, others quoted as QUOTE_MINIMAL."""

    def __init__(self, fh: TextIO, delimiter: str = ",", lineterminator: str = "\r\n") -> None:
        self.fh = fh
        self.delimiter = delimiter
        self.lineterminator = lineterminator
        self._special = (delimiter, '"', "\r", "\n")

    def _field(self, value: Any) -> str:
        text = safe_cell(value)
        if text != ("" if value is None else str(value)) or any(s in text for s in self._special):
            return '"' + text.replace('"', '""') + '"'
        return text

    def writerow(self, row: Iterable[Any]) -> None:
        self.fh.write(self.delimiter.join(self._field(v) for v in row) + self.lineterminator)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: TextIO, delimiter: str = ",", lineterminator: str = "\r\n") -> _Writer:
    return _Writer(fh, delimiter=delimiter, lineterminator=lineterminator)


class DictWriter:
    """csv.DictWriter's interface over the safe writer (missing keys write as '')."""

    def __init__(self, fh: TextIO, fieldnames: list[str], extrasaction: str = "raise",
                 delimiter: str = ",", lineterminator: str = "\r\n") -> None:
        self.fieldnames = list(fieldnames)
        self.extrasaction = extrasaction
        self._w = _Writer(fh, delimiter=delimiter, lineterminator=lineterminator)

    def writeheader(self) -> None:
        self._w.writerow(self.fieldnames)

    def writerow(self, row: Mapping[str, Any]) -> None:
        if self.extrasaction == "raise":
            wrong = [k for k in row if k not in self.fieldnames]
            if wrong:
                raise ValueError("dict contains fields not in fieldnames: " + ", ".join(map(repr, wrong)))
        self._w.writerow(row.get(k, "") for k in self.fieldnames)

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def read_back(text: str) -> list[list[str]]:
    """Parse safe CSV text and undo the neutralising quote (for tests and round trips)."""
    return [[c[1:] if c.startswith("'") and c[1:].startswith(DANGEROUS) else c for c in row]
            for row in csv.reader(text.splitlines(keepends=True))]
