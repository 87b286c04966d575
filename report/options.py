# SPDX-License-Identifier: GPL-3.0-or-later
"""What a profile covers: period, area, comparison, and whether premises are named."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from csenet.errors import InputError

FORMATS = ("html", "pdf")


class ReportInputError(InputError):
    """A report option is wrong; the message says what to fix."""


def _iso(name: str, value: str | _dt.date | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ReportInputError("%s must be a date YYYY-MM-DD, got %r" % (name, value)) from None


@dataclass(frozen=True)
class ReportOptions:
    since: str | None = None
    until: str | None = None
    district: str | None = None
    compare_with: str | None = None
    include_locations: bool = False
    top_networks: int = 6
    generated_at: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc)
                              .isoformat(timespec="seconds"))

    @classmethod
    def build(cls, *, since=None, until=None, district=None, compare_with=None, include_locations=False,
              top_networks: int = 6) -> "ReportOptions":
        """Checked options: ISO dates in order, a non-empty district, a load id that looks like one."""
        since, until = _iso("since", since), _iso("until", until)
        if since and until and since > until:
            raise ReportInputError("--since %s is after --until %s" % (since, until))
        district = (district or "").strip() or None
        compare_with = (compare_with or "").strip() or None
        if not 1 <= int(top_networks) <= 24:
            raise ReportInputError("top_networks must be between 1 and 24")
        return cls(since=since, until=until, district=district, compare_with=compare_with,
                   include_locations=bool(include_locations), top_networks=int(top_networks))

    def scope(self) -> dict[str, str | None]:
        """The parameters every incident-level read takes."""
        return {"district": self.district, "since": self.since, "until": self.until}

    def describe(self) -> str:
        parts = ["district %s" % self.district if self.district else "all districts"]
        if self.since or self.until:
            parts.append("incidents from %s to %s" % (self.since or "the first record", self.until or "the last"))
        else:
            parts.append("all dates")
        return "; ".join(parts)
