"""The graph's person records, kept beside it as the resolver compares them.

A day's load resolves its few records with the people they could join
(resolution/incremental.py). To find those people it needs every record's comparison
columns, and reading millions of records back from the graph each day costs more than
the day itself. So each load leaves its records and their person ids in two Parquet
files: `records.parquet` (the fields the resolver reads) and `compared.parquet`
(normalise.prepare's columns). The graph stays the truth:
- the cache is used only when it matches the graph's loads and its counts of records
  and persons;
- its manifest is deleted before a load writes anything, and written again after the load.
A load cut short, or a load from another machine, therefore leaves no cache that
disagrees with the graph; the next load reads the graph instead and writes a new cache.
The files hold person data: the folder is private to the user (0700, files 0600).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from csenet.graph.store import GraphStore

STATE = """
MATCH (l:Load) WITH collect(l.load_id) AS loads
OPTIONAL MATCH (r:PersonRecord) WITH loads, count(r) AS records
OPTIONAL MATCH (p:Person) RETURN loads, records, count(p) AS persons
"""
MANIFEST = "manifest.json"


def graph_state(store: GraphStore) -> dict[str, Any]:
    row = store.read(STATE)[0]
    return {"loads": sorted(row["loads"]), "records": int(row["records"]), "persons": int(row["persons"])}


def rules_digest(path: Path | None) -> str | None:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


class RecordCache:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @property
    def records(self) -> Path:
        return self.folder / "records.parquet"

    @property
    def compared(self) -> Path:
        return self.folder / "compared.parquet"

    def manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / MANIFEST).read_text())
        except (OSError, ValueError):
            return None

    def matches(self, state: dict[str, Any], settings: dict[str, Any]) -> bool:
        """True when the files describe exactly this graph, made under these settings."""
        kept = self.manifest()
        return (kept is not None and kept.get("state") == state and kept.get("settings") == settings
                and self.records.exists() and self.compared.exists())

    def invalidate(self) -> None:
        """No load may use the files from now on (they stay readable for `write`'s `keep_from`)."""
        (self.folder / MANIFEST).unlink(missing_ok=True)

    def relation(self, con: duckdb.DuckDBPyConnection) -> str:
        """A view over the compared columns, for resolution/incremental.py's queries."""
        con.execute(f"CREATE OR REPLACE VIEW known AS SELECT * FROM read_parquet('{_quoted(self.compared)}')")
        return "known"

    def read(self, con: duckdb.DuckDBPyConnection, record_ids: set[str]) -> pd.DataFrame:
        """The cached records of `record_ids`, as the loader's `existing_records` gives them."""
        con.register("wanted", pa.table({"record_id": pa.array(sorted(record_ids), type=pa.string())}))
        frame = con.execute("SELECT r.* FROM read_parquet(?) AS r JOIN wanted USING (record_id) ORDER BY record_id",
                            [str(self.records)]).df()
        con.unregister("wanted")
        frame["phones"] = frame["phones"].map(lambda v: list(v) if v is not None and len(v) else [])
        return frame.astype(object).where(frame.notna(), None)

    def count(self, con: duckdb.DuckDBPyConnection) -> int:
        return int(con.execute("SELECT count(*) FROM read_parquet(?)", [str(self.records)]).fetchall()[0][0])

    @property
    def staging(self) -> Path:
        return self.folder.with_name(self.folder.name + ".writing")

    def stage(self, records: pd.DataFrame, compared: pa.Table, *, keep_from: RecordCache | None = None,
              replaced: set[str] | None = None) -> None:
        """Write `records` (RECORD_FIELDS + person_id) and their `compared` columns (with
        record_id and person_id) beside the cache, where no load reads them until `seal`;
        with `keep_from`, every record of that cache not in `replaced` is kept too."""
        tmp = self.staging
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True, mode=0o700)
        new_records = _arrow(records)
        con = duckdb.connect()
        try:
            for name, table, old in (("records", new_records, keep_from.records if keep_from else None),
                                     ("compared", compared, keep_from.compared if keep_from else None)):
                target = tmp / (name + ".parquet")
                if old is None:
                    pq.write_table(table, target)
                    continue
                con.register("fresh", table)
                con.register("gone", pa.table({"record_id": pa.array(sorted(replaced or ()), type=pa.string())}))
                con.execute(f"COPY (SELECT * FROM read_parquet('{_quoted(old)}') WHERE record_id NOT IN "
                            f"(SELECT record_id FROM gone) UNION ALL BY NAME SELECT * FROM fresh) "
                            f"TO '{_quoted(target)}' (FORMAT parquet)")
                con.unregister("fresh")
                con.unregister("gone")
        finally:
            con.close()
        for path in tmp.iterdir():
            os.chmod(path, 0o600)

    def seal(self, state: dict[str, Any], settings: dict[str, Any]) -> None:
        """The staged files become the cache of the graph in `state`, made under `settings`."""
        tmp = self.staging
        (tmp / MANIFEST).write_text(json.dumps({"state": state, "settings": settings}, sort_keys=True))
        shutil.rmtree(self.folder, ignore_errors=True)
        tmp.rename(self.folder)

    def write(self, records: pd.DataFrame, compared: pa.Table, state: dict[str, Any], settings: dict[str, Any],
              *, keep_from: RecordCache | None = None, replaced: set[str] | None = None) -> None:
        self.stage(records, compared, keep_from=keep_from, replaced=replaced)
        self.seal(state, settings)


def _arrow(records: pd.DataFrame) -> pa.Table:
    """Every field a string (None where unknown), phones a list of strings; typed so even
    when a day brings no records."""
    return pa.table({
        c: pa.array([list(v) if isinstance(v, (list, tuple)) else [] for v in records[c]], type=pa.list_(pa.string()))
        if c == "phones" else pa.array(records[c].astype(object), type=pa.string(), from_pandas=True)
        for c in records.columns})


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
