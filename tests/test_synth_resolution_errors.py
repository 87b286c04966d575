"""The generator's person-record errors that resolution must weigh: twins, dates one digit
or one year off, swapped-and-misspelt names. Present, and the same for the same seed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csenet.synth import generate, scales
from csenet.synth.force import Force
from csenet.synth.people import populate


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "small"
    generate(out, scale="small", seed=7)
    return out


@pytest.fixture(scope="module")
def records(small) -> pd.DataFrame:
    out = small
    rec = pd.read_csv(out / "person_records.csv", dtype=str, keep_default_na=False)
    truth = pd.read_csv(out / "truth" / "persons.csv", dtype=str)
    return rec.merge(truth, on="record_id")


def test_population_has_twins_with_different_given_names():
    force = Force(scales.get("small"), 7)
    populate(force.pop, force.n_residents)
    people = pd.DataFrame({k: force.pop.table[k] for k in ("household", "dob", "family", "given")})
    groups = people.groupby(["household", "dob", "family"]).given
    twins = groups.nunique()[groups.size() >= 2]
    assert len(twins) and (twins >= 2).all()  # born the same day, one family name, never one name


def _pairs_within_person(records: pd.DataFrame) -> pd.DataFrame:
    pairs = records.merge(records, on="true_person_id", suffixes=("_a", "_b"))
    return pairs[pairs.record_id_a < pairs.record_id_b]


def test_records_carry_a_day_digit_slip_and_a_year_slip(records):
    p = _pairs_within_person(records)
    p = p[(p.date_of_birth_a.str.len() == 10) & (p.date_of_birth_b.str.len() == 10)]
    same_month = p.date_of_birth_a.str[:8] == p.date_of_birth_b.str[:8]
    one_digit = [sum(x != y for x, y in zip(a[8:], b[8:])) == 1 for a, b in zip(p.date_of_birth_a, p.date_of_birth_b)]
    assert (same_month & pd.Series(one_digit, index=p.index)).any()
    years = p.date_of_birth_a.str[:4].astype(int) - p.date_of_birth_b.str[:4].astype(int)
    assert ((years.abs() == 1) & (p.date_of_birth_a.str[4:] == p.date_of_birth_b.str[4:])).any()


def test_records_carry_swapped_and_misspelt_names(records):
    p = _pairs_within_person(records)
    fam_a, fn_a = p.family_name_a.str.upper(), p.given_names_a.str.split().str[0].str.upper()
    fam_b, fn_b = p.family_name_b.str.upper(), p.given_names_b.str.split().str[0].str.upper()
    swapped_typo = (fam_a != fn_b) & (fn_a == fam_b) | (fam_a == fn_b) & (fn_a != fam_b)
    swapped_typo &= (fam_a != fam_b)
    assert swapped_typo.any()


def test_same_seed_same_records(small, tmp_path: Path):
    generate(tmp_path / "again", scale="small", seed=7)
    for name in ("person_records.csv", "truth/persons.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (small / name).read_bytes()
