"""The Splink model: comparisons for UK person records, guarded blocking, unsupervised training.

Kept apart from clustering so the same settings can run on another Splink backend
(SparkAPI for a national dataset): every comparison level is either a Splink library
level, which Splink writes in each backend's SQL, or a DuckDB condition Splink
translates with sqlglot.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink import comparison_level_library as cll
from splink import comparison_library as cl
from splink.blocking_analysis import count_comparisons_from_blocking_rules

SEED = 7
DEFAULT_MODEL = Path(__file__).with_name("default_model.json")
MIN_RECORDS_TO_TRAIN = 5_000  # below this EM has too few pairs: use the shipped parameters
U_MAX_PAIRS = 2e6
"""Random pairs u is estimated from. Splink samples them once per comparison; 5e6 took a
third of a medium force's resolution and gave the same pairwise precision and recall to
four places (stop 32: medium seeds 7 and 11, and large)."""
EM_MAX_PAIRS = 1.5e6

logging.getLogger("splink").setLevel(logging.WARNING)


def _lvl(level, label: str, **config):
    return level.configure(label_for_charts=label, **config)


def _duck(sql: str) -> cll.CustomLevel:
    return cll.CustomLevel(sql, base_dialect_str="duckdb")


FULL_BOTH = "length(dob_l) = 10 AND length(dob_r) = 10"
DOB_SWAP = (f"{FULL_BOTH} AND substr(dob_l, 1, 4) = substr(dob_r, 1, 4) "
            "AND substr(dob_l, 6, 2) = substr(dob_r, 9, 2) AND substr(dob_l, 9, 2) = substr(dob_r, 6, 2)")
DOB_PREFIX = "(substr(dob_l, 1, length(dob_r)) = dob_r OR substr(dob_r, 1, length(dob_l)) = dob_l)"
DOB_DIGIT = f"{FULL_BOTH} AND levenshtein(dob_l, dob_r) = 1"
DOB_YEAR = (f"{FULL_BOTH} AND substr(dob_l, 5) = substr(dob_r, 5) "
            "AND abs(CAST(substr(dob_l, 1, 4) AS INTEGER) - CAST(substr(dob_r, 1, 4) AS INTEGER)) = 1")
NAMES_SWAPPED_TYPO = ("fam_l <> fam_r AND jaro_winkler_similarity(fam_l, fn_r) >= 0.88 "
                      "AND jaro_winkler_similarity(fn_l, fam_r) >= 0.88")
# A date of birth one slip away (one digit, the years at most one apart; or the year
# keyed one out) may still be one person's when the rest of the record
# vouches for it: the same name (either order), the same gender, and a postcode, phone
# or identifier in common. Such pairs are scored, not vetoed (see `predictions_sql`).
YEARS_CLOSE = "abs(CAST(substr(dob_l, 1, 4) AS INTEGER) - CAST(substr(dob_r, 1, 4) AS INTEGER)) <= 1"
DOB_SLIP = f"((({DOB_DIGIT}) AND {YEARS_CLOSE}) OR ({DOB_YEAR}))"  # 1968 / 1998 is one digit, not a slip
VOUCHED = ("((fam_l = fam_r AND (fn_l = fn_r OR len(list_intersect(fn_forms_l, fn_forms_r)) > 0)) "
           "OR (fam_l = fn_r AND fn_l = fam_r)) AND gender_l = gender_r "
           "AND (pc_l = pc_r OR len(list_intersect(phones_l, phones_r)) > 0 OR nid_l = nid_r)")

# Twins share a family name, a date of birth and a home, so those three agreements,
# which the model scores as independent, outweigh the different first names. Clearly
# different first names (not a short form, typo, initial or middle name) under one
# family name and date of birth are two people: a veto, like conflicting dates.
TWINS = ("fam_l = fam_r AND dob_l = dob_r AND length(fn_l) > 1 AND length(fn_r) > 1 AND fn_l <> fn_r "
         "AND len(list_intersect(fn_forms_l, fn_forms_r)) = 0 AND jaro_winkler_similarity(fn_l, fn_r) < 0.8 "
         "AND NOT list_contains(given_all_r, fn_l) AND NOT list_contains(given_all_l, fn_r)")


def comparisons() -> list:
    """One comparison per kind of evidence, levels best first; labels are what explanations say."""
    family = cl.CustomComparison(output_column_name="family_name", comparison_description="Family name", comparison_levels=[
        cll.NullLevel("fam"),
        _lvl(cll.ExactMatchLevel("fam", term_frequency_adjustments=True), "identical family names"),
        _lvl(cll.ColumnsReversedLevel("fam", "fn", symmetrical=True), "family and given names swapped"),
        _lvl(_duck(NAMES_SWAPPED_TYPO), "family and given names swapped, one misspelt"),
        _lvl(cll.JaroWinklerLevel("fam", 0.92), "family names differ by a small typo"),
        _lvl(_duck("fam_sx_l = fam_sx_r"), "family names sound alike"),
        _lvl(cll.JaroWinklerLevel("fam", 0.8), "family names fairly similar"),
        _lvl(cll.ElseLevel(), "different family names"),
    ])
    given = cl.CustomComparison(output_column_name="given_name", comparison_description="First given name", comparison_levels=[
        cll.NullLevel("fn"),
        _lvl(cll.ExactMatchLevel("fn", term_frequency_adjustments=True), "identical first names"),
        _lvl(cll.ColumnsReversedLevel("fam", "fn", symmetrical=True), "family and given names swapped"),
        _lvl(_duck(NAMES_SWAPPED_TYPO), "family and given names swapped, one misspelt"),
        _lvl(cll.ArrayIntersectLevel("fn_forms", 1), "one first name is a short form of the other"),
        _lvl(cll.JaroWinklerLevel("fn", 0.92), "first names differ by a small typo"),
        _lvl(_duck("list_contains(given_all_r, fn_l) OR list_contains(given_all_l, fn_r)"),
             "first name recorded as the other's middle name"),
        _lvl(_duck("(length(fn_l) = 1 OR length(fn_r) = 1) AND substr(fn_l, 1, 1) = substr(fn_r, 1, 1)"),
             "only an initial recorded, and it agrees"),
        _lvl(cll.JaroWinklerLevel("fn", 0.8), "first names fairly similar"),
        _lvl(cll.ElseLevel(), "different first names"),
    ])
    dob = cl.CustomComparison(output_column_name="date_of_birth", comparison_description="Date of birth", comparison_levels=[
        cll.NullLevel("dob"),
        _lvl(_duck(f"dob_l = dob_r AND {FULL_BOTH}"), "identical dates of birth"),
        _lvl(_duck(DOB_SWAP), "same date of birth with day and month swapped"),
        _lvl(_duck("dob_l = dob_r"), "same partial date of birth"),
        _lvl(_duck(DOB_PREFIX), "dates of birth agree as far as both are recorded"),
        _lvl(_duck(DOB_DIGIT), "full dates of birth one digit apart"),
        _lvl(_duck(DOB_YEAR), "same day and month, years one apart"),
        _lvl(cll.ElseLevel(), "clearly different dates of birth"),
    ])
    postcode = cl.CustomComparison(output_column_name="postcode", comparison_description="Home postcode", comparison_levels=[
        _lvl(_duck("pc_district_l IS NULL OR pc_district_r IS NULL"), "postcode missing", is_null_level=True),
        _lvl(cll.ExactMatchLevel("pc"), "same postcode"),
        _lvl(cll.ExactMatchLevel("pc_sector"), "same postcode sector"),
        _lvl(cll.ExactMatchLevel("pc_district"), "same postcode district"),
        _lvl(cll.ExactMatchLevel("pc_area"), "same postcode area"),
        _lvl(cll.ElseLevel(), "different postcode areas"),
    ])
    phone = cl.CustomComparison(output_column_name="phone", comparison_description="Phone numbers", comparison_levels=[
        _lvl(_duck("len(phones_l) = 0 OR len(phones_r) = 0"), "phone missing", is_null_level=True),
        _lvl(cll.ArrayIntersectLevel("phones", 1), "a phone number in common"),
        _lvl(cll.ElseLevel(), "no phone number in common"),
    ])
    gender = cl.CustomComparison(output_column_name="gender", comparison_description="Gender", comparison_levels=[
        cll.NullLevel("gender"),
        _lvl(cll.ExactMatchLevel("gender"), "same gender"),
        _lvl(cll.ElseLevel(), "different gender"),
    ])
    nid = cl.CustomComparison(output_column_name="national_id", comparison_description="National id", comparison_levels=[
        cll.NullLevel("nid"),
        _lvl(cll.ExactMatchLevel("nid"), "same national id"),
        _lvl(cll.ElseLevel(), "different national ids"),
    ])
    return [family, given, dob, postcode, phone, gender, nid]


# Candidate-pair rules, each a ladder from loosest to tightest: the guard takes the
# loosest rung whose comparison count fits the budget, so one common name cannot
# generate a billion pairs. SQL is DuckDB; l./r. are the two records.
BLOCKING_LADDERS: list[tuple[str, list]] = [
    ("sounds-like family name + birth year", [
        block_on("fam_sx", "dob_year"),
        block_on("fam_sx", "dob_year", "substr(fn, 1, 1)"),
        block_on("fam_sx", "dob_year", "fn"),
    ]),
    ("full date of birth, day and month either way round, + initials (either name order)", [
        block_on("dob_key", "initials"),
        block_on("dob_key", "initials", "pc_area"),
    ]),
    ("full date of birth, either way round, + a first-name form (Becca / Rebecca)", [
        block_on("fn_forms", "dob_key", arrays_to_explode=["fn_forms"]),
        block_on("fn_forms", "dob_key", "substr(fam, 1, 1)", arrays_to_explode=["fn_forms"]),
    ]),
    ("postcode + initials, either name order", [
        block_on("pc", "initials"),
        block_on("pc", "initials", "fam_sx"),
    ]),
    ("postcode + first initial", [
        "l.pc = r.pc AND substr(l.fn, 1, 1) = substr(r.fn, 1, 1)",
        "l.pc = r.pc AND substr(l.fn, 1, 1) = substr(r.fn, 1, 1) AND l.fam_sx = r.fam_sx",
    ]),
    ("family + first name", [
        block_on("fam", "fn"),
        block_on("fam", "fn", "pc_area"),
        block_on("fam", "fn", "pc_district"),
        block_on("fam", "fn", "dob_year"),
    ]),
    ("shared phone number", [
        block_on("phones", arrays_to_explode=["phones"]),
        block_on("phones", "substr(fn, 1, 1)", arrays_to_explode=["phones"]),
    ]),
]

# EM needs passes where most pairs are true matches, or it learns some other pattern
# (households, common names) as "the same person".
# A pass learns only comparisons whose columns its rule does not use (the name
# comparisons share fam and fn through the swapped-names level), hence three passes.
TRAINING_RULES = [
    "l.dob = r.dob AND length(l.dob) = 10 AND l.pc = r.pc",  # learns names, phone, gender
    "l.fam = r.fam AND l.fn = r.fn AND l.pc_district = r.pc_district",  # learns date of birth
    "l.fam = r.fam AND l.dob = r.dob AND length(l.dob) = 10",  # learns postcode
]


def _rule_sql(rule) -> str:
    return rule if isinstance(rule, str) else rule.get_blocking_rule("duckdb").blocking_rule_sql


def comparison_budget(n: int) -> int:
    """Most candidate pairs one blocking rule may generate: linear in the record count."""
    return max(1_000_000, 25 * n)


def choose_blocking_rules(sdf, n: int, progress: Callable[[str], None]) -> tuple[list, list[dict]]:
    """Count each rung with Splink's counter and keep the loosest that fits the budget."""
    budget = comparison_budget(n)
    sample = 1.0 if n <= 200_000 else 0.1
    chosen, report = [], []
    for name, ladder in BLOCKING_LADDERS:
        for i, rule in enumerate(ladder):
            count = count_comparisons_from_blocking_rules(
                sdf, blocking_rules=rule, link_type="dedupe_only", record_sample_proportion=sample,
            )[0]["marginal_comparison_count"]
            ok = count <= budget
            report.append({"rule": name, "sql": _rule_sql(rule), "comparisons": int(count), "used": ok})
            if ok:
                chosen.append(rule)
                progress(f"blocking '{name}': {count:,.0f} comparisons")
                break
            progress(f"blocking '{name}' rung {i + 1}: {count:,.0f} comparisons > budget {budget:,}; tightening")
        else:
            progress(f"blocking '{name}' dropped: even its tightest rule exceeds {budget:,} comparisons")
    return chosen, report


def settings(blocking_rules: list, parameters: dict | None = None, dialect: str = "duckdb") -> dict:
    """The settings dict for `dialect`, starting from `parameters` (e.g. the shipped defaults)."""
    creator = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=True,
        max_iterations=20,
        em_convergence=0.001,
    )
    out = creator.create_settings_dict(dialect)
    if parameters:
        out["probability_two_random_records_match"] = parameters["probability_two_random_records_match"]
        for comp in out["comparisons"]:
            levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
            for lv, (m, u) in zip(levels, parameters["levels"][comp["output_column_name"]]):
                lv["m_probability"], lv["u_probability"] = m, u
    return out


def parameters_of(settings_dict: dict) -> dict:
    """The learned numbers only (m and u per non-null level, and the prior), rounded."""
    out = {"probability_two_random_records_match": round(settings_dict["probability_two_random_records_match"], 8),
           "levels": {}}
    for comp in settings_dict["comparisons"]:
        out["levels"][comp["output_column_name"]] = [
            [round(lv.get("m_probability", 0.0) or 0.0, 6), round(lv.get("u_probability", 0.0) or 0.0, 6)]
            for lv in comp["comparison_levels"] if not lv.get("is_null_level")
        ]
    return out


def model_version(settings_dict: dict, threshold: float) -> str:
    """Short hash of the parameters, levels, blocking and threshold that made a link."""
    key = {
        "parameters": parameters_of(settings_dict),
        "levels": [[lv["sql_condition"] for lv in c["comparison_levels"]] for c in settings_dict["comparisons"]],
        "blocking": [b["blocking_rule"] for b in settings_dict["blocking_rules_to_generate_predictions"]],
        "threshold": threshold,
    }
    return "splink-" + hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:10]


@dataclass
class TrainedModel:
    """A linker over the prepared records, and the settings (parameters) it was built with."""

    linker: Linker
    db: DuckDBAPI
    settings: dict
    trained: bool
    blocking_report: list[dict] = field(default_factory=list)


def load_default_parameters(path: Path = DEFAULT_MODEL) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def _memory_limit_mb() -> int:
    """DuckDB may use 40 % of RAM and spills beyond it: other services share the machine."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1024, int(total * 0.4) // 2**20)


def build(prepared: pa.Table, *, progress: Callable[[str], None], train: bool | None = None,
          settings_dict: dict | None = None, choose_blocking: bool = True,
          term_frequencies: dict[str, pd.DataFrame] | None = None) -> TrainedModel:
    """A linker for `prepared`: trained unsupervised, or from shipped / given parameters.

    `term_frequencies` (column -> value, tf_<column>) replace the frequencies Splink would
    count in `prepared`: a neighbourhood of records is then scored as among all of them."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{_memory_limit_mb()}MB'")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET temp_directory = '{tempfile.gettempdir()}/csenet-duckdb'")
    con.register("prepared_arrow", prepared)
    con.execute("CREATE TABLE prepared AS SELECT * FROM prepared_arrow")
    con.unregister("prepared_arrow")
    db = DuckDBAPI(connection=con)
    sdf = db.register("prepared", table_name="records")
    n = prepared.num_rows
    if settings_dict is not None:
        linker = Linker(sdf, settings_dict, log_level=logging.WARNING)
        for col, table in (term_frequencies or {}).items():
            linker.table_management.register_term_frequency_lookup(db.register(table, table_name="tf_lookup_" + col), col)
        return TrainedModel(linker, db, linker.misc.save_model_to_json(), trained=False)
    rules, report = choose_blocking_rules(sdf, n, progress) if choose_blocking else ([], [])
    train = n >= MIN_RECORDS_TO_TRAIN if train is None else train
    defaults = load_default_parameters()
    linker = Linker(sdf, settings(rules, None if train else defaults), log_level=logging.WARNING)
    if train:
        _train(linker, progress)
    return TrainedModel(linker, db, linker.misc.save_model_to_json(), trained=train, blocking_report=report)


def _train(linker: Linker, progress: Callable[[str], None]) -> None:
    """u from random pairs (seeded), m by EM over two blocking passes; no labels needed."""
    t = linker.training
    t.estimate_probability_two_random_records_match(
        ["l.fam = r.fam AND l.fn = r.fn AND l.dob = r.dob AND length(l.dob) = 10"], recall=0.7)
    progress("estimating u from random pairs")
    t.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=SEED)
    for rule in TRAINING_RULES:
        progress(f"EM pass blocked on {_rule_sql(rule)}")
        t.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS)


def predictions_sql(table: str, floor: float) -> str:
    """Scored pairs at or above `floor` with their match weight (which, unlike the
    probability, does not saturate at 1.0), whether their dates of birth conflict, and
    whether they differ by a slip the rest of the record vouches for (not a conflict)."""
    slip = f"coalesce({DOB_SLIP} AND NOT ({DOB_SWAP}) AND {VOUCHED}, false)"
    conflict = (f"CASE WHEN dob_l IS NULL OR dob_r IS NULL OR dob_l = dob_r THEN false "
                f"WHEN {FULL_BOTH} THEN NOT ({DOB_SWAP} OR {slip}) ELSE NOT {DOB_PREFIX} END")
    return (f"SELECT unique_id_l AS a, unique_id_r AS b, match_probability AS p, match_weight AS w, "
            f"{conflict} AS dob_conflict, {slip} AS dob_slip, coalesce({TWINS}, false) AS twins, "
            f"coalesce(pc_l = pc_r OR len(list_intersect(phones_l, phones_r)) > 0, false) AS place "
            f"FROM {table} WHERE match_probability >= {floor}")


MIN_SHIPPED_M, MIN_SHIPPED_U = 1e-4, 1e-6


def export_parameters(settings_dict: dict, path: Path = DEFAULT_MODEL) -> None:
    """Save learned parameters as the shipped defaults for inputs too small to train on.

    A level the training data never showed (m or u of 0) keeps the previous shipped value,
    and every m is at least 1e-4: a synthetic force that never mistypes gender must not
    teach small real loads that one different gender rules a link out.
    """
    params = parameters_of(settings_dict)
    old = load_default_parameters(path)
    for name, levels in params["levels"].items():
        for i, (m, u) in enumerate(levels):
            if (m <= 0 or u <= 0) and old and len(old["levels"][name]) == len(levels):
                m, u = old["levels"][name][i]
            levels[i] = [max(m, MIN_SHIPPED_M), max(u, MIN_SHIPPED_U)]
    lines = ",\n".join(f'  "{k}": {json.dumps(v)}' for k, v in params["levels"].items())
    path.write_text("{\n"
                    f' "probability_two_random_records_match": {params["probability_two_random_records_match"]},\n'
                    ' "levels": {\n' + lines + "\n }\n}\n")
