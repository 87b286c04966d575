"""Normalising names, dates of birth, postcodes, phones and ids so records compare fairly.

Every function here takes one raw value and returns the comparable form (or None), so
the resolvers, the explanation and the tests agree on what "the same name" means.
`prepare` applies them to a whole records frame, one call per distinct value.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from csenet.columns import isin

NICKNAMES_CSV = Path(__file__).with_name("nicknames.csv")

_TITLES = {"MR", "MRS", "MS", "MISS", "DR", "MX", "SIR", "REV"}
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_DOB = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_SOUNDEX = str.maketrans("BFPVCGJKQSXZDTLMNR", "111122222222334556")


def _ascii_upper(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = unicodedata.normalize("NFKD", str(value))
    return "".join(c for c in text if not unicodedata.combining(c)).upper()


# Latin letters that NFKD does not decompose (Łukasz, Søren, Đorđe, Straße, Ægir, Œuvre).
_FOLD = str.maketrans({"Ł": "L", "Ø": "O", "Đ": "D", "ß": "SS", "Æ": "AE", "Œ": "OE", "Þ": "TH", "Ð": "D"})


def name_tokens(value: object) -> list[str]:
    """Name words in capitals without accents or punctuation; O'Brien -> OBRIEN, titles dropped.

    Letters of other scripts (Arabic, Chinese, Cyrillic ...) are kept, so those names stay searchable."""
    text = _ascii_upper(value).replace("'", "").replace("\u2019", "").translate(_FOLD)
    return [t for t in re.split(r"[\W\d_]+", text) if t and t not in _TITLES]


def family_name(value: object) -> str | None:
    """One comparable token: Smith-Jones and Smith Jones are the same family name."""
    return "".join(name_tokens(value)) or None


def soundex(name: str | None) -> str | None:
    """Phonetic key, so Smith/Smyth and Thompson/Thomson share a blocking key."""
    if not name:
        return None
    codes = name.translate(_SOUNDEX)
    out, last = name[0], codes[0]
    for ch, code in zip(name[1:], codes[1:]):
        if code.isdigit() and code != last:
            out += code
        if ch not in "HW":
            last = code
    return (out + "000")[:4]


def date_of_birth(value: object) -> str | None:
    """ISO date, or the partial `YYYY` / `YYYY-MM`, or None when absent or impossible."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    m = _DOB.match(str(value).strip()[:10])
    if not m:
        return None
    year, month, day = m.groups()
    if not 1880 <= int(year) <= 2100:
        return None
    if month and not 1 <= int(month) <= 12:
        return year
    if day and not 1 <= int(day) <= 31:
        return f"{year}-{month}"
    return m.group(0)


def recorded_dob(value: object, raw: object = None) -> str | None:
    """The date of birth to compare: the valid date, else what the invalid raw value still says.

    A raw `1990-13-04` (day and month keyed the wrong way round) is kept whole, so it
    compares as the day/month swap of 1990-04-13; any other impossible date keeps only
    the part that is still a date (`1990-02-30` -> `1990-02`).
    """
    valid = date_of_birth(value)
    if valid or raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return valid
    m = _DOB.match(str(raw).strip()[:10])
    if m and m.group(3) and 12 < int(m.group(2)) <= 31 and 1 <= int(m.group(3)) <= 12 \
            and 1880 <= int(m.group(1)) <= 2100:
        return m.group(0)
    parsed = date_of_birth(raw)
    if parsed and len(parsed) == 10:
        try:
            date.fromisoformat(parsed)
        except ValueError:
            return parsed[:7]
    return parsed


def dob_key(dob: str | None) -> str | None:
    """Full date with day and month in sorted order: a date and its day/month swap share it."""
    if not dob or len(dob) != 10:
        return None
    a, b = sorted((dob[5:7], dob[8:10]))
    return f"{dob[:4]}-{a}-{b}"


def dob_near(a: str | None, b: str | None) -> bool:
    """Compatible, or two full dates one keyed character or one year apart (1989-07-05 / 1990-07-05);
    a changed decade (1968 / 1998) is no slip.

    Not enough to join two records (dates of birth dominate), but two such dates under
    one name are more likely a slip than two people, so an undated record fitting both
    is not ambiguous.
    """
    if dob_compatible(a, b):
        return True
    if len(a) != 10 or len(b) != 10:
        return False
    if a[4:] == b[4:] and abs(int(a[:4]) - int(b[:4])) == 1:
        return True
    return sum(x != y for x, y in zip(a, b)) == 1 and abs(int(a[:4]) - int(b[:4])) <= 1


def vouched(a: dict, b: dict) -> bool:
    """Two prepared rows agree on everything but a slip of the date: the same name (either
    order, or a short form), the same gender, and a postcode, phone or identifier in common.
    The Python twin of `splink_model.VOUCHED`, for explanations and tests."""
    names = (a["fam"] == b["fam"] and (a["fn"] == b["fn"] or bool(set(a["fn_forms"]) & set(b["fn_forms"])))) \
        or (a["fam"] == b["fn"] and a["fn"] == b["fam"])
    where = (a["pc"] and a["pc"] == b["pc"]) or bool(set(a["phones"]) & set(b["phones"])) \
        or (a["nid"] and a["nid"] == b["nid"])
    return bool(a["fam"] and a["fn"] and names and a["gender"] and a["gender"] == b["gender"] and where)


def dob_compatible(a: str | None, b: str | None) -> bool:
    """Could two recorded dates of birth belong to one person?

    Yes when either is unknown, one is a partial prefix of the other, they are equal, or
    they are the same full date with day and month swapped (a common keying error).
    """
    if not a or not b or a == b:
        return True
    if len(a) < 10 or len(b) < 10:
        short, long_ = sorted((a, b), key=len)
        return long_.startswith(short)
    return a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]


def postcode(value: object) -> dict[str, str | None]:
    """Full postcode plus its sector, district and area, for graded comparison."""
    text = re.sub(r"[^A-Z0-9]", "", _ascii_upper(value))
    m = _POSTCODE.match(text)
    if m:
        outward, inward = m.groups()
        return {"pc": outward + " " + inward, "pc_sector": outward + " " + inward[0],
                "pc_district": outward, "pc_area": re.match(r"[A-Z]+", outward).group(0)}
    if _OUTWARD.match(text):
        return {"pc": None, "pc_sector": None, "pc_district": text, "pc_area": re.match(r"[A-Z]+", text).group(0)}
    return {"pc": None, "pc_sector": None, "pc_district": None, "pc_area": None}


def phone(value: object) -> str | None:
    """UK numbers in national form (07700 900123, +44 7700 900123 and 447700900123 agree)."""
    digits = re.sub(r"\D", "", str(value or ""))
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    elif len(digits) == 10 and digits[0] in "123578":
        digits = "0" + digits
    return digits if 9 <= len(digits) <= 13 else None


def national_id(value: object) -> str | None:
    """Strong identifiers compared without case, spaces or punctuation."""
    text = re.sub(r"[^A-Z0-9]", "", _ascii_upper(value))
    return text or None


@lru_cache(maxsize=1)
def nickname_table() -> dict[str, frozenset[str]]:
    """Name -> the formal names it can stand for (Tom -> THOMAS), from nicknames.csv."""
    forms: dict[str, set[str]] = {}
    with NICKNAMES_CSV.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            nick, formal = family_name(row["name"]), family_name(row["formal"])
            if nick and formal:
                forms.setdefault(nick, set()).add(formal)
    # a formal name that is itself short for another (MOHAMMED -> MUHAMMAD) passes it on
    for nick, formals in forms.items():
        for f in list(formals):
            formals |= forms.get(f, set())
    return {k: frozenset(v) for k, v in forms.items()}


def name_forms(first_name: str | None) -> list[str]:
    """The name itself and every formal name it may be short for; overlap = nickname match."""
    if not first_name:
        return []
    return sorted({first_name} | nickname_table().get(first_name, frozenset()))


def _map_unique(series: pd.Series, fn: Callable[[object], object]) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = [fn(u) for u in uniques]
    return codes, mapped


def _take(codes: np.ndarray, mapped: list, missing: object = None) -> list:
    values = np.empty(len(mapped) + 1, dtype=object)
    values[:] = mapped + [missing]
    return values[np.where(codes < 0, len(mapped), codes)].tolist()


def _list_column(codes: np.ndarray, mapped: list[list[str]]) -> pa.Array:
    uniq = pa.array(mapped + [[]], type=pa.list_(pa.string()))
    idx = np.where(codes < 0, len(mapped), codes)
    return uniq.take(pa.array(idx))


def _phones_column(phones: pd.Series) -> pa.Array:
    def as_list(v: object) -> list[str]:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return []
        if isinstance(v, str):
            return [p for p in v.split(";") if p.strip()]
        return [str(p) for p in v]

    raw = pa.array([as_list(v) for v in phones], type=pa.list_(pa.string()))
    flat = raw.flatten().to_pandas()
    codes, mapped = _map_unique(flat, phone)
    values = pa.array(_take(codes, mapped), type=pa.string())
    lists = pa.ListArray.from_arrays(raw.offsets, values)
    con = duckdb.connect()
    con.register("l", pa.table({"p": lists}))
    out = con.sql("SELECT list_sort(list_distinct(list_filter(p, lambda x: x IS NOT NULL))) AS p FROM l").arrow().read_all()
    return out.column("p").combine_chunks()


def prepare(records: pd.DataFrame) -> pa.Table:
    """The normalised comparison table, one row per record, `unique_id` = row position.

    Columns: fam, fam_sx, fn, fn_forms, given_all, dob (from `date_of_birth`, else what
    `date_of_birth_raw` still says), dob_year, dob_key, gender, pc, pc_sector,
    pc_district, pc_area, phones, nid, initials (first letters of family and first given
    name in sorted order, so a swapped name order still blocks together).
    """
    n = len(records)
    get = lambda c: records[c] if c in records.columns else pd.Series([None] * n)  # noqa: E731
    codes, fams = _map_unique(get("family_name"), family_name)
    fam = _take(codes, fams)
    fam_sx = _take(codes, [soundex(f) for f in fams])
    gcodes, tokens = _map_unique(get("given_names"), name_tokens)
    fn = _take(gcodes, [t[0] if t else None for t in tokens])
    forms = _list_column(gcodes, [name_forms(t[0] if t else None) for t in tokens])
    given_all = _list_column(gcodes, tokens)
    raw = get("date_of_birth_raw")
    given_dob = get("date_of_birth")
    pairs = pd.Series(list(zip(given_dob.where(given_dob.notna(), None), raw.where(raw.notna(), None))), dtype=object)
    dcodes, dobs = _map_unique(pairs, lambda vr: recorded_dob(*vr))
    dob = _take(dcodes, dobs)
    pcodes, pcs = _map_unique(get("postcode"), postcode)
    pc = _take(pcodes, pcs, postcode(None))
    ncodes, nids = _map_unique(get("national_id"), national_id)
    gender = get("gender").astype("string").str.strip().str.upper().str[:1]
    gender = gender.where(isin(gender, ["M", "F", "X"]))
    initials = [None if not (a and b) else "".join(sorted((a[0], b[0]))) for a, b in zip(fam, fn)]
    return pa.table({
        "unique_id": pa.array(np.arange(n, dtype=np.int64)),
        "fam": pa.array(fam, type=pa.string()),
        "fam_sx": pa.array(fam_sx, type=pa.string()),
        "fn": pa.array(fn, type=pa.string()),
        "fn_forms": forms,
        "given_all": given_all,
        "dob": pa.array(dob, type=pa.string()),
        "dob_year": pa.array([d[:4] if d else None for d in dob], type=pa.string()),
        "dob_key": pa.array([dob_key(d) for d in dob], type=pa.string()),
        "gender": pa.array(gender.astype(object).where(gender.notna(), None).tolist(), type=pa.string()),
        **{k: pa.array([p[k] for p in pc], type=pa.string()) for k in ("pc", "pc_sector", "pc_district", "pc_area")},
        "phones": _phones_column(get("phones")),
        "nid": pa.array(_take(ncodes, nids), type=pa.string()),
        "initials": pa.array(initials, type=pa.string()),
    })
