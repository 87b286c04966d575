"""Analysts' must-link / cannot-link decisions, which outrank the model.

The file is a CSV with a header: record_id_a, record_id_b, rule (MUST_LINK or
CANNOT_LINK), analyst, reason, recorded_at (ISO date or date-time). Every decision
names who made it and why, so a merge or split can be defended later.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from csenet.errors import InputError

LINK_RULE_COLUMNS = ["record_id_a", "record_id_b", "rule", "analyst", "reason", "recorded_at"]
RULES = ("MUST_LINK", "CANNOT_LINK")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$")


class LinkRulesError(InputError):
    """A link-rules file that cannot be trusted; the message names the line and the fix."""


def read_link_rules(path: Path) -> pd.DataFrame:
    """Read and check a link-rules CSV; every bad row is reported, none silently dropped."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise LinkRulesError(f"{path}: link-rules file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise LinkRulesError(f"{path}: not a readable CSV ({exc})") from None
    frame.columns = [c.strip().lower() for c in frame.columns]
    missing = [c for c in LINK_RULE_COLUMNS if c not in frame.columns]
    if missing:
        raise LinkRulesError(
            f"{path}: missing column(s) {', '.join(missing)}; expected header {','.join(LINK_RULE_COLUMNS)}"
        )
    frame = frame[LINK_RULE_COLUMNS].apply(lambda s: s.str.strip())
    frame["rule"] = frame["rule"].str.upper().str.replace("-", "_").str.replace(" ", "_")
    problems = []
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        where = f"{path.name}:{i}"
        if not row.record_id_a or not row.record_id_b:
            problems.append(f"{where}: record_id_a and record_id_b are both required")
        elif row.record_id_a == row.record_id_b:
            problems.append(f"{where}: a rule needs two different records, got {row.record_id_a!r} twice")
        if row.rule not in RULES:
            problems.append(f"{where}: rule {row.rule!r} is not MUST_LINK or CANNOT_LINK")
        if not row.analyst:
            problems.append(f"{where}: analyst is required (who made this decision)")
        if not row.reason:
            problems.append(f"{where}: reason is required (why the records are or are not one person)")
        if row.recorded_at and not _ISO.match(row.recorded_at):
            problems.append(f"{where}: recorded_at {row.recorded_at!r} is not an ISO date (YYYY-MM-DD[THH:MM])")
    if problems:
        raise LinkRulesError("bad link-rules file:\n" + "\n".join(problems))
    check_consistent(frame, source=str(path))
    return frame.reset_index(drop=True)


def check_consistent(rules: pd.DataFrame, source: str = "link rules") -> None:
    """Refuse rules that contradict themselves: a cannot-link inside a must-link group."""
    if rules is None or rules.empty:
        return
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in rules.loc[rules["rule"] == "MUST_LINK", ["record_id_a", "record_id_b"]].itertuples(index=False):
        parent[find(a)] = find(b)
    bad = [
        f"CANNOT_LINK {a} / {b} contradicts MUST_LINK rules that join them"
        for a, b in rules.loc[rules["rule"] == "CANNOT_LINK", ["record_id_a", "record_id_b"]].itertuples(index=False)
        if find(a) == find(b)
    ]
    if bad:
        raise LinkRulesError(f"{source}: contradictory link rules:\n" + "\n".join(bad))
