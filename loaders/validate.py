"""Validate every row of a bundle: each ends loaded or rejected with a reason a person can act on.

A required value missing or invalid, or a reference that does not resolve, rejects the
row. A bad value in an optional cell costs only that value: it becomes unknown, the raw
value is kept on the node (`<column>_raw`) and a warning names it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csenet.columns import compact_text, isin
from csenet.loaders import normalise
from csenet.loaders.read import RawBundle, RawFile
from csenet.loaders.spec import BY_NAME, FILES
from csenet.resolution.normalise import name_tokens as normalise_name

ISSUE_COLUMNS = ["file", "line", "severity", "column", "value", "reason"]
REJECT, WARNING = "REJECT", "WARNING"

_DATETIME = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$"
_DOB = r"^\d{4}(-\d{2}(-\d{2})?)?$"

# Which file's ids a reference column points at, and the graph label/key to look up
# ids that an earlier bundle loaded.
REF_TARGETS = {
    "incidents": ("incident_id", "Incident", "incident_id"),
    "person_records": ("record_id", "PersonRecord", "record_id"),
    "locations": ("location_id", "Location", "location_id"),
}

KnownInGraph = Callable[[str, str, list[str]], set[str]]


@dataclass
class FileCount:
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    warnings: int = 0


@dataclass
class ValidBundle:
    frames: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    counts: dict[str, FileCount]
    extra_columns: dict[str, list[str]] = field(default_factory=dict)


class _Issues:
    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, file: RawFile, rows: pd.DataFrame, severity: str, column: str, values: pd.Series,
            reasons: pd.Series | str | Callable[[str], str]) -> None:
        """`reasons`: one text, a Series aligned with the rows, or a function of the value
        (called only for the rows that have the issue)."""
        if rows.empty:
            return
        bad_values = values.loc[rows.index].astype(str)
        if callable(reasons):
            reason = [reasons(v) for v in bad_values]
        elif isinstance(reasons, pd.Series):
            reason = reasons.loc[rows.index].to_numpy()
        else:
            reason = reasons
        part = pd.DataFrame({
            "file": file.path.name, "line": rows["_line"].to_numpy(), "severity": severity, "column": column,
            "value": bad_values.to_numpy(), "reason": reason,
        })
        self.parts.append(part)

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=ISSUE_COLUMNS)
        return pd.concat(self.parts, ignore_index=True).sort_values(["file", "line", "column"], kind="stable",
                                                                     ignore_index=True)


def _stripped(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].astype(str).str.strip().astype(object)


def _valid_dates(values: pd.Series, pattern: str) -> pd.Series:
    """True where the text is a real calendar date/time in one of the ISO forms allowed."""
    ok = values.str.match(pattern)
    if ok.any():
        padded = values[ok].str.slice(0, 10)
        padded = padded.where(padded.str.len() == 10,
                              padded.where(padded.str.len() != 7, padded + "-01"))
        padded = padded.where(padded.str.len() != 4, padded + "-01-01")
        parsed = pd.to_datetime(padded, format="%Y-%m-%d", errors="coerce")
        times = values[ok].str.slice(11)
        time_ok = (times == "") | times.str.match(r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
        ok.loc[ok] = parsed.notna() & time_ok
    return ok


def validate(bundle: RawBundle, known_in_graph: KnownInGraph | None = None,
             today: _dt.date | None = None) -> ValidBundle:
    """Every row of every file checked in phases: cells, keys, references; then shaped for loading."""
    issues = _Issues()
    frames: dict[str, pd.DataFrame] = {}
    counts: dict[str, FileCount] = {}
    rejected: dict[str, pd.Series] = {}
    today = today or _dt.date.today()
    for spec in FILES:
        raw = bundle.files.get(spec.name)
        if raw is None:
            continue
        frames[spec.name], rejected[spec.name] = _check_file(raw, issues, today)
        counts[spec.name] = FileCount(read=len(frames[spec.name]))

    _check_references(bundle, frames, rejected, issues, known_in_graph)

    for name, df in frames.items():
        keep = df[~rejected[name]].copy()
        frames[name] = _shape(name, keep, bundle)
        counts[name].loaded = len(keep)
        counts[name].rejected = int(rejected[name].sum())
    issue_frame = issues.frame()
    _count_warnings(issue_frame, counts)
    extra = {name: bundle.files[name].extra_columns for name in frames if bundle.files[name].extra_columns}
    return ValidBundle(frames=frames, issues=issue_frame, counts=counts, extra_columns=extra)


def _count_warnings(issue_frame: pd.DataFrame, counts: dict[str, FileCount]) -> None:
    warn = issue_frame[issue_frame["severity"] == WARNING]
    if warn.empty:
        return
    stem = warn["file"].str.replace(r"\.csv(\.gz)?$", "", regex=True)
    for name, n in warn.groupby(stem).size().items():
        counts[name].warnings = int(n)


def _check_file(raw: RawFile, issues: _Issues, today: _dt.date) -> tuple[pd.DataFrame, pd.Series]:
    """One file's cells, NUL bytes, formulas, keys and identifiers; returns the frame and its rejected rows."""
    spec = raw.spec
    df = raw.frame.copy()
    bad = _check_nul(raw, df, issues)
    for col in spec.columns:
        values = _stripped(df, col.name)
        df[col.name] = values
        empty = values == ""
        if col.required:
            issues.add(raw, df[empty & ~bad], REJECT, col.name, values, "required value %s is empty" % col.name)
            bad |= empty
        checker = _CHECKERS.get(col.kind)
        if checker is not None:
            bad = checker(raw, df, col, values, ~empty, bad, issues, today)
    _check_formulas(raw, df, bad, issues)
    if spec.key:
        bad = _check_duplicates(raw, df, spec.key[0], bad, issues)
    if spec.name == "identifiers":
        bad = _check_identifiers(raw, df, bad, issues)
    return df, bad


def _check_nul(raw: RawFile, df: pd.DataFrame, issues: _Issues) -> pd.Series:
    """A NUL byte is never data (and truncates C strings in a store): the row is rejected."""
    bad = pd.Series(False, index=df.index)
    for name, rows in raw.nul.items():
        has = pd.Series(rows, index=df.index)
        issues.add(raw, df[has & ~bad], REJECT, name, df[name].astype(str).str.replace("\x00", "\\0"),
                   "%s contains a NUL byte (\\0), which is never part of a record" % name)
        bad |= has
    return bad


def _check_formulas(raw: RawFile, df: pd.DataFrame, bad: pd.Series, issues: _Issues) -> None:
    """Values that look like spreadsheet formulas are kept as written and reported (exports neutralise them)."""
    for col in raw.spec.columns:
        if col.kind in ("datetime", "dob", "enum", "float") or col.name not in raw.formulas:
            continue
        hit = pd.Series(raw.formulas[col.name], index=df.index) & ~bad
        issues.add(raw, df[hit], WARNING, col.name, df[col.name].astype(str),
                   lambda v, c=col.name: '%s "%s" looks like a spreadsheet formula; kept as text '
                                         '(csenet\'s CSV exports neutralise it)' % (c, v))


def _check_duplicates(raw: RawFile, df: pd.DataFrame, key: str, bad: pd.Series, issues: _Issues) -> pd.Series:
    dup = df[key].duplicated(keep="first") & ~bad & (df[key] != "")
    if dup.any():
        first_line = df[~bad].drop_duplicates(key).set_index(key)["_line"]
        issues.add(raw, df[dup], REJECT, key, df[key],
                   lambda v, k=key: 'duplicate %s "%s" (first at line %d)' % (k, v, first_line[v]))
        bad = bad | dup
    return bad


def _check_identifiers(raw: RawFile, df: pd.DataFrame, bad: pd.Series, issues: _Issues) -> pd.Series:
    keys = pd.Series([normalise.identifier_key(k, v) if k in normalise.IDENTIFIER else ""
                      for k, v in zip(df["kind"], df["value"])], index=df.index, dtype=object)
    wrong = ~bad & (keys == "")
    issues.add(raw, df[wrong], REJECT, "value", df["value"],
               lambda v: 'value "%s" has nothing left to compare after normalising' % v)
    df["identifier_key"] = keys
    return bad | wrong


def _check_datetime(raw, df, col, values, present, bad, issues, today) -> pd.Series:
    wrong = present & ~_valid_dates(values, _DATETIME)
    reason = "%s %s is not an ISO date or date-time (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS])"
    rows = df[wrong & ~bad]
    if col.required:
        issues.add(raw, rows, REJECT, col.name, values, lambda v, c=col.name: reason % (c, '"%s"' % v))
        return bad | wrong
    issues.add(raw, rows, WARNING, col.name, values,
               lambda v, c=col.name: (reason % (c, '"%s"' % v)) + "; kept as unknown")
    _keep_raw(df, col.name, wrong)
    return bad


def _check_dob(raw, df, col, values, present, bad, issues, today) -> pd.Series:
    ok = _valid_dates(values, _DOB)
    future = ok & (values.str.slice(0, 4).where(ok, "0").astype(int) > today.year)
    full_future = ok & (values.str.len() == 10) & (values > today.isoformat())
    ancient = ok & (values.str.slice(0, 4).where(ok, "9999").astype(int) < 1900)
    wrong = present & (~ok | future | full_future | ancient)
    flagged = df[wrong & ~bad]
    why = pd.Series("date of birth %s is not a real date (YYYY, YYYY-MM or YYYY-MM-DD)",
                    index=flagged.index, dtype=object)
    why = why.where(~(future | full_future).loc[flagged.index], "date of birth %s is in the future")
    why = why.where(~ancient.loc[flagged.index], "date of birth %s is before 1900")
    msg = pd.Series([w % ('"%s"' % v) + "; kept as unknown" for w, v in zip(why, values.loc[flagged.index])],
                    index=flagged.index, dtype=object)
    issues.add(raw, flagged, WARNING, col.name, values, msg)
    _keep_raw(df, col.name, wrong)
    return bad


def _check_enum(raw, df, col, values, present, bad, issues, today) -> pd.Series:
    upper = values.str.upper()
    wrong = present & ~isin(upper, col.enum)
    reason = "%s must be one of %s" % (col.name, ", ".join(col.enum))
    rows = df[wrong & ~bad]
    if col.required:
        issues.add(raw, rows, REJECT, col.name, values, lambda v, r=reason: '"%s": %s' % (v, r))
        bad = bad | wrong
    else:
        issues.add(raw, rows, WARNING, col.name, values, lambda v, r=reason: '"%s": %s; kept as unknown' % (v, r))
        _keep_raw(df, col.name, wrong)
    df[col.name] = upper.where(~wrong, "")
    return bad


def _check_float(raw, df, col, values, present, bad, issues, today) -> pd.Series:
    number = pd.to_numeric(values.where(present, np.nan), errors="coerce")
    limit = 90 if col.name == "latitude" else 180
    wrong = present & (number.isna() | (number.abs() > limit))
    issues.add(raw, df[wrong & ~bad], WARNING, col.name, values,
               lambda v, c=col.name, lim=limit: '%s "%s" is not a number within ±%d; kept as unknown' % (c, v, lim))
    _keep_raw(df, col.name, wrong)
    df[col.name] = number.where(~wrong)
    return bad


_CHECKERS = {"datetime": _check_datetime, "dob": _check_dob, "enum": _check_enum, "float": _check_float}


def _keep_raw(df: pd.DataFrame, column: str, wrong: pd.Series) -> None:
    raw_col = column + "_raw"
    if wrong.any():
        df[raw_col] = df[column].where(wrong, "")
        df[column] = df[column].where(~wrong, "")
    elif raw_col not in df.columns:
        df[raw_col] = ""


def _check_references(bundle: RawBundle, frames: dict[str, pd.DataFrame], rejected: dict[str, pd.Series],
                      issues: _Issues, known_in_graph: KnownInGraph | None) -> None:
    """Resolve references against this bundle's accepted rows, then the graph (a later extract)."""
    accepted: dict[str, set[str]] = {}
    rejected_ids: dict[str, set[str]] = {}
    for target, (key, _label, _prop) in REF_TARGETS.items():
        if target in frames:
            df = frames[target]
            accepted[target] = set(df.loc[~rejected[target], key])
            rejected_ids[target] = set(df.loc[rejected[target], key]) - accepted[target]
        else:
            accepted[target], rejected_ids[target] = set(), set()
    for spec in FILES:
        if spec.name not in frames:
            continue
        for col in spec.columns:
            if col.kind == "ref":
                _check_ref_column(bundle.files[spec.name], frames[spec.name], col, rejected, issues,
                                  accepted[col.ref], rejected_ids[col.ref], known_in_graph)


def _check_ref_column(raw: RawFile, df: pd.DataFrame, col, rejected: dict[str, pd.Series], issues: _Issues,
                      accepted: set[str], rejected_ids: set[str], known_in_graph: KnownInGraph | None) -> None:
    """One reference column: a required one rejects its row, an optional one loses only the link."""
    name, target = raw.spec.name, col.ref
    values = df[col.name]
    unresolved = (values != "") & ~isin(values, accepted)
    if unresolved.any() and known_in_graph is not None:
        _key, label, prop = REF_TARGETS[target]
        candidates = sorted(set(values[unresolved]) - rejected_ids)
        found = known_in_graph(label, prop, candidates) if candidates else set()
        unresolved &= ~isin(values, found)
    if not unresolved.any():
        return
    target_file = target + ".csv"

    def why(v: str) -> str:
        if v in rejected_ids:
            return '%s "%s" refers to a row of %s that was rejected' % (col.name, v, target_file)
        return '%s "%s" not in %s' % (col.name, v, target_file)

    rows = df[unresolved & ~rejected[name]]
    if col.required:
        issues.add(raw, rows, REJECT, col.name, values, why)
        rejected[name] = rejected[name] | unresolved
    else:
        issues.add(raw, rows, WARNING, col.name, values, lambda v: why(v) + "; link left out")
        df.loc[unresolved, col.name + "_raw"] = values[unresolved]
        df.loc[unresolved, col.name] = ""


def _none(series: pd.Series) -> pd.Series:
    obj = series.astype(object)
    return obj.where(obj.notna() & (obj != ""), None)


def _list(series: pd.Series) -> pd.Series:
    return series.map(lambda v: [p.strip() for p in v.split(";") if p.strip()] if v else [])


def _per_unique(values: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """fn once per distinct value (names repeat a lot across a force's records)."""
    return values.map({v: fn(v) for v in values.unique()})


def _shape_person_records(out: pd.DataFrame, df: pd.DataFrame, source_default: str) -> None:
    phones = _list(df["phone"])
    out["phones"] = phones.map(lambda ps: sorted({q for q in map(normalise.phone, ps) if q}))
    out["source"] = out["source"].where(out["source"].notna(), source_default)
    # Indexed look-up keys for person search: misspellings rarely touch the first letters.
    # The same folding person search applies to a query (Ó Súilleabháin -> os, Łukasz -> lu).
    out["family_prefix"] = _none(_per_unique(df["family_name"], lambda v: "".join(normalise_name(v))[:2].lower()))
    out["given_prefix"] = _none(_per_unique(df["given_names"], lambda v: (normalise_name(v) or [""])[0][:2].lower()))
    out["postcode"] = out["postcode"].map(lambda v: normalise.postcode(v) if v else None)


def _shape(name: str, df: pd.DataFrame, bundle: RawBundle) -> pd.DataFrame:
    """Typed, normalised frames: '' becomes None (unknown is absent), lists become lists."""
    spec = BY_NAME[name]
    raw = bundle.files[name]
    out = pd.DataFrame(index=df.index)
    for col in spec.columns:
        if col.kind == "list":
            continue
        if col.kind == "float":
            out[col.name] = df[col.name].astype(object).where(df[col.name].notna(), None)
        else:
            out[col.name] = _none(df[col.name])
        if col.name + "_raw" in df.columns:
            out[col.name + "_raw"] = _none(df[col.name + "_raw"])
    source_default = bundle.meta.get("source", bundle.path.name)
    out["source_row"] = raw.path.name + ":" + df["_line"].astype(str)
    if name == "incidents":
        flags = _list(df["flags"]).map(lambda fs: [f.upper() for f in fs])
        out["flags"] = flags
        out["flagged_cse"] = flags.map(lambda fs: "CSE" in fs)
        when = out["occurred_at"].where(out["occurred_at"].notna(), out["reported_at"])
        out["year"] = when.str.slice(0, 4).astype(int)
    elif name == "person_records":
        _shape_person_records(out, df, source_default)
    elif name == "identifiers":
        out["identifier_key"] = df["identifier_key"]
        out["raw_value"] = out["value"]
        out["value"] = df["identifier_key"].str.split(":", n=1).str[1]
    elif name == "missing_episodes":
        out["episode_id"] = df["record_id"] + "@" + df["started_at"]
    elif name == "locations":
        out["postcode"] = out["postcode"].map(lambda v: normalise.postcode(v) if v else None)
    if name != "person_records":
        out["source"] = source_default
    for extra in raw.extra_columns:
        out[normalise.property_name(extra)] = _none(_stripped(df, extra))
    out["_line"] = df["_line"]
    return compact_text(out.reset_index(drop=True))
