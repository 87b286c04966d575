"""A day's records resolved with the people they could join, not with every record.

With a kept model a pair's score depends only on its two records and on how common
their names are. So new records can change only the people linked to them, closely
enough to matter, and the people linked to those. `neighbourhood` finds them with the
model's own blocking rules and scores; `term_frequencies` gives the name frequencies
of every record, so the neighbourhood is scored exactly as among all records.
Resolving the neighbourhood then gives the people that resolving every record with
that model gives (tests/test_incremental_resolution.py).

The statements are DuckDB SQL assembled from csenet's own table and column names and the
kept model's own blocking rules (the SQL Splink runs from the same file); no record value
is ever spliced in: record ids travel as parameters or as registered Arrow tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import duckdb
import pandas as pd
import pyarrow as pa

from . import splink_model as sm


def _exploded(table: str, arrays: Iterable[str]) -> str:
    arrays = list(arrays)
    if not arrays:
        return "SELECT * FROM %s" % table
    return "SELECT * EXCLUDE (%s), %s FROM %s" % (
        ", ".join(arrays), ", ".join("unnest(%s) AS %s" % (a, a) for a in arrays), table)


def _joined(known: str, rules: list[tuple[str, list[str]]]) -> str:
    """Records of `known` paired with a `frontier` record by any of `rules`."""
    return " UNION ".join("SELECT r.record_id FROM (%s) AS l JOIN (%s) AS r ON (%s)" % (
        _exploded("frontier", arrays), _exploded(known, arrays), sql) for sql, arrays in rules)


def _people_of(known: str, ids: str) -> str:
    """Every record of the people holding `ids`, and `ids` themselves."""
    return (f"SELECT record_id FROM {known} WHERE person_id IN (SELECT person_id FROM {known} "
            f"WHERE person_id IS NOT NULL AND record_id IN ({ids})) UNION {ids}")


LINKED = ("SELECT b AS record_id FROM pairs WHERE a IN (SELECT record_id FROM picked) "
          "AND b NOT IN (SELECT record_id FROM picked) AND ({keep}) "
          "UNION SELECT a FROM pairs WHERE b IN (SELECT record_id FROM picked) "
          "AND a NOT IN (SELECT record_id FROM picked) AND ({keep})")


def _closure(con: duckdb.DuckDBPyConnection, known: str, seeds: pa.Table, pinned: Iterable[str],
             reach: Callable[[], str], rounds: int) -> set[str]:
    """Record ids in `known` of the people holding the seeds or `pinned`, and of everyone
    `reach` (SQL of record ids linked to the `frontier` records) finds from them, round by
    round until nobody new is reached. Each round's frontier is the people it added."""
    # The graph's records with the seeds' columns, under a fixed name, so each round's
    # statements are constant; `reach` is SQL made of the model's blocking rules.
    con.table(known).select(*seeds.schema.names).create_view("known_rows", replace=True)
    con.register("seed_rows", seeds)
    con.execute("CREATE OR REPLACE TEMP TABLE seed_table AS SELECT * FROM seed_rows")
    con.unregister("seed_rows")
    con.execute("CREATE OR REPLACE TEMP TABLE pinned AS SELECT unnest(?::VARCHAR[]) AS record_id",
                [sorted(set(pinned))])
    con.execute("CREATE OR REPLACE TEMP TABLE picked AS " + _people_of(
        known, "SELECT record_id FROM seed_table UNION SELECT record_id FROM pinned"))
    con.execute("CREATE OR REPLACE TEMP TABLE fresh AS SELECT * FROM picked")
    for _ in range(rounds):
        # the seeds as the bundle sends them, everyone else as the graph holds them
        con.execute("CREATE OR REPLACE TEMP TABLE frontier AS SELECT * FROM seed_table "
                    "WHERE record_id IN (SELECT record_id FROM fresh) UNION ALL BY NAME "
                    "SELECT * FROM known_rows WHERE record_id IN (SELECT record_id FROM fresh) "
                    "AND record_id NOT IN (SELECT record_id FROM seed_table)")
        found = con.sql(reach()).except_(con.table("picked").select("record_id"))
        con.execute("DROP TABLE IF EXISTS fresh")
        found.create("fresh")
        if con.execute("SELECT count(*) FROM fresh").fetchall()[0][0] == 0:
            break
        con.execute("INSERT INTO picked SELECT record_id FROM fresh")
    else:
        raise RuntimeError("the neighbourhood did not close in %d rounds" % rounds)
    out = {r for (r,) in con.execute("SELECT record_id FROM known_rows WHERE record_id IN "
                                     "(SELECT record_id FROM picked)").fetchall()}
    for table in ("frontier", "fresh", "picked", "pinned", "near", "seed_table"):
        con.execute("DROP TABLE IF EXISTS " + table)
    con.execute("DROP VIEW IF EXISTS known_rows")
    return out


def neighbourhood(con: duckdb.DuckDBPyConnection, known: str, seeds: pa.Table, model: dict, *, threshold: float,
                  floor: float, term_frequencies: dict[str, pd.DataFrame], link_on_shared_phone: bool = False,
                  pinned: Iterable[str] = (), rounds: int = 50) -> set[str]:
    """Record ids in `known` whose people must be resolved again with `seeds`.

    Whole people, closed under every link that could change how they resolve: records
    joined outright (national id; phone when it is a strong identifier), pairs at or
    above `threshold` without conflicting dates (they chain people together, or split
    them), and pairs down to `floor` where one record lacks a full date of birth (it
    joins the one person it fits, so every person it could fit must be there). Nobody
    outside has such a link inside, so resolving inside alone gives what resolving every
    record would.

    `known` names a relation of the graph's records with `record_id`, `person_id` and
    the comparison columns of `normalise.prepare`; `seeds` holds the incoming records'
    comparison columns and `record_id`. Records in `pinned` (named by link rules) and
    their people are always included.
    """
    blocking = [(r["blocking_rule"], list(r.get("arrays_to_explode") or []))
                for r in model["blocking_rules_to_generate_predictions"]]
    strong = [("l.nid = r.nid", [])] + ([("l.phones = r.phones", ["phones"])] if link_on_shared_phone else [])
    keep = f"(p >= {float(threshold)!r} AND NOT dob_conflict) OR undated"
    columns = ", ".join(seeds.schema.names)
    con.execute("CREATE OR REPLACE TEMP TABLE near (record_id VARCHAR)")

    def reach() -> str:
        # every candidate of the newest people joins `near`, so each pair of a picked record is scored
        con.execute("INSERT INTO near SELECT record_id FROM frontier UNION "
                    f"SELECT * FROM ({_joined(known, blocking)}) EXCEPT SELECT record_id FROM near")
        con.register("pairs", _scored(con, known, columns, model, term_frequencies, floor))
        return (f"{_people_of(known, _joined(known, strong))} "
                f"UNION {_people_of(known, LINKED.format(keep=keep))}")

    try:
        return _closure(con, known, seeds, pinned, reach, rounds)
    finally:
        con.unregister("pairs")


def linked_neighbourhood(con: duckdb.DuckDBPyConnection, known: str, seeds: pa.Table,
                         rules: list[tuple[str, list[str]]], rounds: int = 50) -> set[str]:
    """Record ids in `known` whose people must be resolved again with `seeds` by a resolver
    that links records only when a rule holds (resolution/deterministic.py): the people
    reached from the seeds through `rules`, until no one new is reached."""
    return _closure(con, known, seeds, (), lambda: _people_of(known, _joined(known, rules)), rounds)


def _scored(con: duckdb.DuckDBPyConnection, known: str, columns: str, model: dict,
            term_frequencies: dict[str, pd.DataFrame], floor: float) -> pd.DataFrame:
    """Every pair among the `near` records scored down to `floor`, by record id, with
    whether their dates conflict and whether either lacks a full date of birth."""
    table = con.sql(f"""
        SELECT {columns} FROM seed_table
        UNION ALL BY NAME SELECT {columns} FROM {known}
        WHERE record_id IN (SELECT record_id FROM near) AND record_id NOT IN (SELECT record_id FROM seed_table)
        ORDER BY record_id""").to_arrow_table()
    ids = pd.Series(table.column("record_id").to_pylist(), dtype=object)
    prepared = table.drop_columns(["record_id"]).append_column(
        "unique_id", pa.array(range(len(ids)), type=pa.int64()))
    tm = sm.build(prepared, progress=lambda _m: None, settings_dict=model, term_frequencies=term_frequencies)
    pred = tm.linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    pairs = tm.db.duckdb_con.sql(
        "SELECT s.a, s.b, s.p, s.dob_conflict, (length(coalesce(t.dob_l, '')) < 10 "
        "OR length(coalesce(t.dob_r, '')) < 10) AS undated FROM (%s) AS s JOIN %s AS t "
        "ON s.a = t.unique_id_l AND s.b = t.unique_id_r"
        % (sm.predictions_sql(pred.physical_name, floor), pred.physical_name)).df()
    tm.db.duckdb_con.close()
    return pd.DataFrame({"a": ids[pairs["a"].to_numpy()].to_numpy(), "b": ids[pairs["b"].to_numpy()].to_numpy(),
                         "p": pairs["p"].to_numpy(float), "dob_conflict": pairs["dob_conflict"].to_numpy(bool),
                         "undated": pairs["undated"].to_numpy(bool)})


def tf_columns(model: dict) -> list[str]:
    """The columns whose exact agreement the model weighs by how common the value is."""
    return sorted({lv["tf_adjustment_column"] for comp in model["comparisons"]
                   for lv in comp["comparison_levels"] if lv.get("tf_adjustment_column")})


def term_frequencies(con: duckdb.DuckDBPyConnection, known: str, seeds: pa.Table,
                     model: dict) -> dict[str, pd.DataFrame]:
    """Each tf column's frequencies over every record: the graph's, with the seeds' versions
    of any record the bundle re-sends (Splink's own formula, over all records)."""
    con.register("seed_rows", seeds)
    out = {}
    for col in tf_columns(model):
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE tf_values AS
            SELECT {col} AS v FROM {known} WHERE record_id NOT IN (SELECT record_id FROM seed_rows)
            UNION ALL SELECT {col} FROM seed_rows""")
        out[col] = con.execute(f"""
            SELECT v AS {col}, CAST(count(*) AS DOUBLE) / (SELECT count(v) FROM tf_values) AS tf_{col}
            FROM tf_values WHERE v IS NOT NULL GROUP BY v""").df()
    con.execute("DROP TABLE IF EXISTS tf_values")
    con.unregister("seed_rows")
    return out
