"""Reading a bundle's CSV files into string DataFrames that remember each row's line number."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml
from csenet.loaders.spec import FILES, FileSpec

from csenet.errors import InputError


class BundleError(InputError):
    """The bundle cannot be loaded at all; nothing has been written."""


@dataclass
class RawFile:
    spec: FileSpec
    path: Path
    frame: pd.DataFrame  # every cell a str ('' = unknown), plus `_line`
    extra_columns: list[str]


@dataclass
class RawBundle:
    path: Path
    files: dict[str, RawFile]
    meta: dict = field(default_factory=dict)
    load_id: str = ""


def find_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / (name + ".csv"), folder / (name + ".csv.gz")):
        if candidate.exists():
            return candidate
    return None


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def read_header(path: Path) -> list[str]:
    try:
        with _open_text(path) as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise BundleError("%s: not UTF-8 text (%s)" % (path.name, exc.reason)) from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BundleError("%s: cannot be read: %s" % (path.name, exc)) from None
    if not header or not any(h.strip() for h in header):
        raise BundleError("%s: no header row" % path.name)
    return header


def read_file(spec: FileSpec, path: Path) -> RawFile:
    header = read_header(path)
    lowered = [h.strip().lower() for h in header]
    seen: set[str] = set()
    for name in lowered:
        if not name:
            raise BundleError("%s: a header cell is empty" % path.name)
        if name in seen:
            raise BundleError("%s: column %r appears twice (names are case-insensitive)" % (path.name, name))
        seen.add(name)
    missing = [c for c in spec.required_columns if c not in seen]
    if missing:
        raise BundleError("%s: required column%s %s missing from the header (found: %s)"
                          % (path.name, "s" if len(missing) > 1 else "", ", ".join(missing), ", ".join(lowered)))
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=lowered, skip_rows=1, block_size=64 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in lowered}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[]),
        )
    except pa.ArrowInvalid as exc:
        raise BundleError("%s: not a well-formed CSV file: %s" % (path.name, str(exc).splitlines()[0])) from None
    frame = table.to_pandas()
    for c in lowered:
        frame[c] = frame[c].astype(object)
    frame["_line"] = _line_numbers(frame, lowered)
    for c in spec.column_names:
        if c not in frame.columns:
            frame[c] = ""
    extra = [c for c in lowered if c not in spec.column_names]
    return RawFile(spec=spec, path=path, frame=frame, extra_columns=extra)


def _line_numbers(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Physical line of each row: 2 for the first, advanced by newlines inside quoted cells."""
    n = len(frame)
    if n == 0:
        return pd.Series([], dtype="int64")
    embedded = pd.Series(0, index=frame.index, dtype="int64")
    for c in columns:
        col = frame[c]
        if col.str.contains("\n", regex=False).any():
            embedded = embedded + col.str.count("\n").astype("int64")
    previous = embedded.cumsum().shift(1, fill_value=0)
    return pd.Series(range(2, n + 2), index=frame.index, dtype="int64") + previous


def bundle_digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda p: p.name):
        h.update(p.name.encode())
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def read_bundle(folder: Path) -> RawBundle:
    """Every file of the bundle, or BundleError before anything is written."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError("%s is not a folder holding a record bundle" % folder)
    files: dict[str, RawFile] = {}
    used: list[Path] = []
    for spec in FILES:
        path = find_file(folder, spec.name)
        if path is None:
            if spec.required:
                raise BundleError("%s: required file %s.csv (or .csv.gz) is missing" % (folder, spec.name))
            continue
        files[spec.name] = read_file(spec, path)
        used.append(path)
    meta: dict = {}
    meta_path = folder / "bundle.yaml"
    if meta_path.exists():
        try:
            meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise BundleError("bundle.yaml is not valid YAML: %s" % exc) from None
        if not isinstance(meta, dict):
            raise BundleError("bundle.yaml must be a mapping with source, force, extracted_at")
        meta = {k: str(v) for k, v in meta.items() if v is not None}
        used.append(meta_path)
    return RawBundle(path=folder, files=files, meta=meta, load_id="LOAD-" + bundle_digest(used))
