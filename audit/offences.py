# SPDX-License-Identifier: GPL-3.0-or-later
"""Home Office offence codes as data: which are sexual, child-specific, or imply an exchange.

The classification is the strongest structured evidence an incident carries, so it is
kept in audit/offence_codes.yaml where a force registrar can check and extend it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).with_name("offence_codes.yaml")

_CODE_CLEAN = re.compile(r"[\s.]+")
_UNDER = re.compile(r"\b(?:child|girl|boy|female|male|person)s? (?:aged )?under (\d{1,2})\b")


@dataclass(frozen=True)
class Offence:
    code: str
    description: str
    sexual: bool
    child_specific: bool = False
    victim_under: int | None = None
    implies_exchange: bool = False
    cce: bool = False
    historic: bool = False


class OffenceCodes:
    """Lookup of offence codes, tolerant of how an RMS writes them (`022B`, `22 b`, `86/2`)."""

    def __init__(self, table: dict[str, Offence]):
        self.table = table
        self.by_description = {o.description.lower(): o for o in table.values()}

    @classmethod
    def load(cls, path: str | Path | None = None) -> OffenceCodes:
        data = yaml.safe_load(Path(path or DEFAULT_PATH).read_text(encoding="utf-8")) or {}
        table = {}
        for code, spec in (data.get("codes") or {}).items():
            code = str(code).upper()
            spec = spec or {}
            table[code] = Offence(
                code=code,
                description=str(spec.get("description", "")),
                sexual=bool(spec.get("sexual", False)),
                child_specific=bool(spec.get("child_specific", False)),
                victim_under=int(spec["victim_under"]) if spec.get("victim_under") is not None else None,
                implies_exchange=bool(spec.get("implies_exchange", False)),
                cce=bool(spec.get("cce", False)),
                historic=bool(spec.get("historic", False)),
            )
        return cls(table)

    def lookup(self, code: object, offence_text: object = None) -> Offence | None:
        """The classification for a recorded code, else for an offence title that is a HOCR title."""
        if isinstance(code, str) and code.strip():
            key = _CODE_CLEAN.sub("", code).upper()
            hit = self.table.get(key) or self.table.get(key.lstrip("0")) or self.table.get(key.split("/")[0].lstrip("0"))
            if hit is not None:
                return hit
        if isinstance(offence_text, str) and offence_text:
            return self.by_description.get(offence_text.strip().lower())
        return None


def under_age_in_title(offence_text: str) -> int | None:
    """'... a child under 16' in the recorded offence title: the age bound it states."""
    m = _UNDER.search(offence_text)
    return int(m.group(1)) if m else None


@lru_cache(maxsize=1)
def default_codes() -> OffenceCodes:
    return OffenceCodes.load()
