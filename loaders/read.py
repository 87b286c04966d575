"""Reading a bundle's CSV files into string DataFrames that remember each row's line number."""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml
from csenet.loaders.spec import FILES, FileSpec

from csenet.columns import TEXT
from csenet.errors import InputError


class BundleError(InputError):
    """The bundle cannot be loaded at all; nothing has been written."""


@dataclass
class RawFile:
    spec: FileSpec
    path: Path
    frame: pd.DataFrame  # every cell a str ('' = unknown), plus `_line`
    extra_columns: list[str]
    # column -> which rows hold a NUL byte / a formula-like value (only columns with a hit); found on
    # the Arrow table, where a search over every cell is vectorised C++
    nul: dict[str, np.ndarray] = field(default_factory=dict)
    formulas: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RawBundle:
    path: Path
    files: dict[str, RawFile]
    meta: dict = field(default_factory=dict)
    load_id: str = ""


ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "cp1252": "cp1252", "windows-1252": "cp1252",
             "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}


def codec_for(encoding: str | None) -> str:
    """The Python codec for a bundle's declared encoding (UTF-8 unless told otherwise)."""
    name = (encoding or "utf-8").strip().lower()
    if name not in ENCODINGS:
        raise BundleError("encoding %r is not supported: use utf-8, cp1252 or latin-1" % encoding)
    return ENCODINGS[name]


def find_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / (name + ".csv"), folder / (name + ".csv.gz")):
        if candidate.exists() or candidate.is_symlink():
            _inside(folder, candidate)
            return candidate
    return None


def _inside(folder: Path, path: Path) -> None:
    """A bundle file (or a symlink's target) outside the bundle folder is refused: loads read what was sent."""
    target = path.resolve()
    if not target.is_relative_to(folder.resolve()):
        raise BundleError("%s: links outside the bundle folder (to %s); copy the file into %s instead"
                          % (path.name, target, folder))
    if not target.is_file():
        raise BundleError("%s: is not a regular file" % path.name)


def _open_bytes(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _open_text(path: Path, codec: str = "utf-8-sig") -> io.TextIOBase:
    return io.TextIOWrapper(_open_bytes(path), encoding=codec, newline="")  # type: ignore[type-var]


def undecodable(path: Path, codec: str) -> BundleError:
    """Where the first byte that is not `codec` text is: file, line, byte offset, and the way forward."""
    decoder = codecs.getincrementaldecoder(codec)()
    offset, line = 0, 1
    with _open_bytes(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                pos = max(exc.start, 0)
                line += chunk.count(b"\n", 0, pos)
                return _decode_error(path, codec, line, offset + pos, chunk[pos:pos + 1])
            line += chunk.count(b"\n")
            offset += len(chunk)
    return BundleError("%s: not %s text" % (path.name, codec))


def _decode_error(path: Path, codec: str, line: int, offset: int, byte: bytes) -> BundleError:
    name = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252 (cp1252)"}.get(codec, codec)
    hint = ("if the extract came from a Windows system, load it with `csenet load --encoding cp1252` "
            "(or `encoding: cp1252` in bundle.yaml); latin-1 accepts every byte")
    if codec != "utf-8-sig":
        hint = "check the encoding the extract was written in (--encoding utf-8, cp1252 or latin-1)"
    return BundleError("%s: line %d, byte offset %d: byte 0x%s is not %s text; %s"
                       % (path.name, line, offset, byte.hex(), name, hint))


def utf8_copy(path: Path, codec: str, folder: Path) -> Path:
    """Stream a non-UTF-8 file into a UTF-8 copy under `folder` for pyarrow (which reads UTF-8 only)."""
    out = folder / (path.name.removesuffix(".gz"))
    try:
        with _open_text(path, codec) as src, open(out, "w", encoding="utf-8", newline="") as dst:
            for chunk in iter(lambda: src.read(1 << 20), ""):
                dst.write(chunk)
    except UnicodeDecodeError:
        raise undecodable(path, codec) from None
    return out


def read_header(path: Path, codec: str = "utf-8-sig") -> list[str]:
    try:
        with _open_text(path, codec) as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError:
        raise undecodable(path, codec) from None
    except csv.Error as exc:
        raise BundleError("%s: the header row cannot be read: %s" % (path.name, exc)) from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BundleError("%s: cannot be read: %s" % (path.name, exc)) from None
    if not header or not any(h.strip() for h in header):
        raise BundleError("%s: no header row" % path.name)
    return header


def read_file(spec: FileSpec, path: Path, codec: str = "utf-8-sig", scratch: Path | None = None) -> RawFile:
    """One file as strings; a non-UTF-8 file is transcoded (streaming) into `scratch` first."""
    header = read_header(path, codec)
    _check_header(spec, path, header)
    lowered = [h.strip().lower() for h in header]
    source = path
    if codec != "utf-8-sig":
        source = utf8_copy(path, codec, scratch or Path(tempfile.gettempdir()))
    table = _arrow_table(path, source, lowered, codec)
    nul, formulas = _cells_matching(table, "\x00", regex=False), _cells_matching(table, FORMULA, regex=True)
    lines = _line_numbers(table)
    # Arrow-backed text ("str"): a third of the memory of Python str objects; validation
    # takes each column as object once it checks it (validate._stripped)
    frame = table.to_pandas(types_mapper={pa.string(): TEXT}.get)
    del table
    frame["_line"] = lines
    for c in spec.column_names:
        if c not in frame.columns:
            frame[c] = ""
    extra = [c for c in lowered if c not in spec.column_names]
    return RawFile(spec=spec, path=path, frame=frame, extra_columns=extra, nul=nul, formulas=formulas)


# A cell a spreadsheet would run (after leading blanks): =..., @..., +/- followed by a letter, bracket or
# formula sign, or +/- with a DDE pipe or sheet reference (+1+cmd|' /C calc'!A0). "+44 (0)7700 900123"
# and "-3.5" are not.
FORMULA = r"^\s*(?:[=@]|[+-]\s*[A-Za-z_(=@\"']|[+-].*[|!])"


def _cells_matching(table: pa.Table, pattern: str, regex: bool) -> dict[str, np.ndarray]:
    out = {}
    for name in table.column_names:
        col = table.column(name)
        hit = pc.match_substring_regex(col, pattern) if regex else pc.match_substring(col, pattern)
        if pc.any(hit).as_py():
            out[name] = hit.to_numpy(zero_copy_only=False).astype(bool)
    return out


def _check_header(spec: FileSpec, path: Path, header: list[str]) -> None:
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


def _arrow_table(path: Path, source: Path, lowered: list[str], codec: str) -> pa.Table:
    try:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=lowered, skip_rows=1, block_size=64 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in lowered}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, null_values=[]),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise undecodable(path, codec) from None
        raise BundleError("%s: not a well-formed CSV file: %s" % (path.name, str(exc).splitlines()[0])) from None
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
        raise BundleError("%s: cannot be read: %s" % (path.name, exc)) from None


def _line_numbers(table: pa.Table) -> np.ndarray:
    """Physical line of each row: 2 for the first, advanced by newlines inside quoted cells."""
    embedded = np.zeros(table.num_rows, dtype=np.int64)
    for name in table.column_names:
        col = table.column(name)
        if pc.any(pc.match_substring(col, "\n")).as_py():
            embedded += pc.count_substring(col, "\n").to_numpy(zero_copy_only=False).astype(np.int64)
    previous = np.cumsum(embedded) - embedded
    return np.arange(2, table.num_rows + 2, dtype=np.int64) + previous


def bundle_digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda p: p.name):
        h.update(p.name.encode())
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def read_bundle(folder: Path, encoding: str | None = None) -> RawBundle:
    """Every file of the bundle, or BundleError before anything is written.

    `encoding` (the CLI's --encoding) wins over bundle.yaml's `encoding:`; UTF-8 otherwise."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BundleError("%s is not a folder holding a record bundle" % folder)
    meta, used = _read_meta(folder)
    codec = codec_for(encoding or meta.get("encoding"))
    files: dict[str, RawFile] = {}
    with tempfile.TemporaryDirectory(prefix="csenet-utf8-") as scratch:
        for spec in FILES:
            path = find_file(folder, spec.name)
            if path is None:
                if spec.required:
                    raise BundleError("%s: required file %s.csv (or .csv.gz) is missing" % (folder, spec.name))
                continue
            files[spec.name] = read_file(spec, path, codec, Path(scratch))
            used.append(path)
    return RawBundle(path=folder, files=files, meta=meta, load_id="LOAD-" + bundle_digest(used))


def _read_meta(folder: Path) -> tuple[dict, list[Path]]:
    meta: dict = {}
    meta_path = folder / "bundle.yaml"
    if meta_path.exists() or meta_path.is_symlink():
        _inside(folder, meta_path)
        try:
            meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise BundleError("bundle.yaml is not valid YAML: %s" % exc) from None
        if not isinstance(meta, dict):
            raise BundleError("bundle.yaml must be a mapping with source, force, extracted_at")
        meta = {k: str(v) for k, v in meta.items() if v is not None}
        return meta, [meta_path]
    return meta, []
