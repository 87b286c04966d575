"""Explanations an investigator can read: what each comparison contributed to a link.

Each comparison (family name, date of birth, ...) adds a match weight: log2 of how many
times more likely the observed agreement is for one person than for two strangers.
Weights add up with the prior to the final match weight, which converts to the
probability the resolver compares with its threshold.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import asdict, dataclass, field

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
from splink import DuckDBAPI, Linker

from . import splink_model as sm
from .normalise import dob_compatible, dob_near, family_name, name_tokens, prepare, vouched


@dataclass
class Evidence:
    comparison: str
    outcome: str
    match_weight: float
    value_a: str
    value_b: str
    note: str = ""

    @property
    def words(self) -> str:
        w = self.match_weight
        if w >= 5:
            return "strong evidence they are the same person"
        if w >= 1:
            return "some evidence they are the same person"
        if w > -1:
            return "little either way"
        if w > -5:
            return "some evidence they are different people"
        return "strong evidence they are different people"

    def to_text(self) -> str:
        factor = 2 ** abs(self.match_weight)
        direction = "more" if self.match_weight >= 0 else "less"
        note = f" [{self.note}]" if self.note else ""
        return (f"{self.comparison}: {self.outcome} ({self.value_a or '-'} / {self.value_b or '-'}){note} "
                f"{self.match_weight:+.1f}: {self.words}; a match is {factor:,.1f} times {direction} likely")


@dataclass
class Explanation:
    record_a: str
    record_b: str
    prior_weight: float
    evidence: list[Evidence]
    match_weight: float
    match_probability: float
    threshold: float
    model_version: str
    notes: list[str] = field(default_factory=list)

    @property
    def would_link(self) -> bool:
        """The pair's own verdict; chains through other records are the resolver's business."""
        if any(n.startswith("NEVER: CANNOT_LINK") for n in self.notes):
            return False
        if any(n.startswith("ALWAYS") for n in self.notes):
            return True
        return self.match_probability >= self.threshold and not any(n.startswith("NEVER") for n in self.notes)

    def to_text(self) -> str:
        lines = [f"Records {self.record_a} and {self.record_b} (model {self.model_version})",
                 f"Starting point: two records picked at random are one person {self.prior_weight:+.1f}"]
        lines += ["  " + e.to_text() for e in self.evidence]
        lines.append(f"Total match weight {self.match_weight:+.1f} -> match probability {self.match_probability:.4f} "
                     f"({'at or above' if self.match_probability >= self.threshold else 'below'} "
                     f"the threshold {self.threshold})")
        lines += ["Rule: " + n for n in self.notes]
        lines.append("Verdict: " + ("linked as one person" if self.would_link else "not linked by this pair"))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["would_link"] = self.would_link
        for e, d in zip(self.evidence, out["evidence"]):
            d["words"] = e.words
        return out


_TITLES = {
    "family_name": "Family name", "given_name": "First given name", "date_of_birth": "Date of birth",
    "postcode": "Postcode", "phone": "Phone", "gender": "Gender", "national_id": "National id",
}
_SHOWN = {
    "family_name": ("fam",), "given_name": ("fn",), "date_of_birth": ("dob",),
    "postcode": ("pc", "pc_district"), "phone": ("phones",), "gender": ("gender",), "national_id": ("nid",),
}


def _shown(row: dict, comp: str) -> str:
    for col in _SHOWN[comp]:
        v = row.get(col)
        if v is not None and not (isinstance(v, (list, np.ndarray)) and len(v) == 0):
            return ";".join(v) if isinstance(v, (list, np.ndarray)) else str(v)
    return ""


def _tf(records: pd.DataFrame, column: str, norm, value: str | None) -> float | None:
    if not value:
        return None
    codes, uniques = pd.factorize(records[column])
    hits = [i for i, u in enumerate(uniques) if norm(u) == value]
    return float(np.isin(codes, hits).sum()) / len(records)


def _first_given(v) -> str | None:
    t = name_tokens(v)
    return t[0] if t else None


def explain_pair(records: pd.DataFrame, a: str, b: str, settings: dict, threshold: float,
                 link_rules: pd.DataFrame | None) -> Explanation:
    ids = records["record_id"].astype(str)
    missing = [r for r in (a, b) if r not in set(ids)]
    if missing:
        raise KeyError(f"record(s) not in the records given: {', '.join(missing)}")
    pair = records.loc[[ids[ids == a].index[0], ids[ids == b].index[0]]].reset_index(drop=True)
    table = prepare(pair)
    rows = table.to_pylist()
    tf = {"tf_fam": [_tf(records, "family_name", family_name, r["fam"]) for r in rows],
          "tf_fn": [_tf(records, "given_names", _first_given, r["fn"]) for r in rows]}
    for col, values in tf.items():
        table = table.append_column(col, pa.array(values, type=pa.float64()))
    con = duckdb.connect()
    con.register("pair_arrow", table)
    con.execute("CREATE TABLE pair AS SELECT * FROM pair_arrow")
    db = DuckDBAPI(connection=con)
    s = copy.deepcopy(settings)
    s["retain_intermediate_calculation_columns"] = True
    s["blocking_rules_to_generate_predictions"] = []
    s.pop("linker_uid", None)
    linker = Linker(db.register("pair", table_name="pair_records"), s, log_level=logging.WARNING)
    left = db.register(con.sql("SELECT * FROM pair WHERE unique_id = 0").arrow().read_all(), table_name="left_record")
    right = db.register(con.sql("SELECT * FROM pair WHERE unique_id = 1").arrow().read_all(), table_name="right_record")
    scored = linker.inference.score_pair(left, right).as_pandas_dataframe().iloc[0].to_dict()

    evidence = []
    for comp in settings["comparisons"]:
        name = comp["output_column_name"]
        gamma = int(scored[f"gamma_{name}"])
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        level = levels[len(levels) - 1 - gamma] if gamma >= 0 else {}
        tf_adj = float(scored.get(f"mw_tf_adj_{name}") or 0.0)
        outcome = "not recorded on one or both" if gamma == -1 else level.get("label_for_charts", level["sql_condition"])
        note = f"a {'common' if tf_adj < 0 else 'rare'} name: {tf_adj:+.1f} of the weight" if abs(tf_adj) >= 0.5 else ""
        evidence.append(Evidence(_TITLES.get(name, name), outcome, float(scored[f"mw_{name}"]) + tf_adj,
                                 _shown(rows[0], name), _shown(rows[1], name), note))
    lam = settings["probability_two_random_records_match"]
    notes = _rule_notes(rows, a, b, link_rules)
    return Explanation(a, b, float(np.log2(lam / (1 - lam))), evidence, float(scored["match_weight"]),
                       float(scored["match_probability"]), threshold, sm.model_version(settings, threshold), notes)


def _rule_notes(rows: list[dict], a: str, b: str, link_rules: pd.DataFrame | None) -> list[str]:
    notes = []
    if rows[0]["nid"] and rows[0]["nid"] == rows[1]["nid"]:
        notes.append(f"ALWAYS: same national id {rows[0]['nid']}; linked whatever the model says")
    da, db = rows[0]["dob"], rows[1]["dob"]
    if not dob_compatible(da, db) and dob_near(da, db) and vouched(rows[0], rows[1]):
        notes.append(f"dates of birth {da} and {db} are one keying slip apart and name, gender and a postcode, "
                     "phone or identifier agree: the model's weight decides, not a veto")
    elif not dob_compatible(da, db):
        notes.append(f"NEVER (unless an identifier or analyst joins them): dates of birth {da} and {db} cannot be one "
                     "person's (only equal dates, day and month swapped, or a slip of one digit or one year "
                     "when name, gender and a postcode, phone or identifier agree, can)")
    if link_rules is not None and not link_rules.empty:
        hit = link_rules[((link_rules.record_id_a == a) & (link_rules.record_id_b == b))
                         | ((link_rules.record_id_a == b) & (link_rules.record_id_b == a))]
        for r in hit.itertuples(index=False):
            word = "ALWAYS" if r.rule == "MUST_LINK" else "NEVER"
            notes.append(f"{word}: {r.rule} by {r.analyst} on {r.recorded_at or 'unknown date'}: {r.reason}")
    return notes
