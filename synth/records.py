"""Person records: every time a system writes a person down it makes (or reuses) a
nominal record, and each new record carries the slips real records carry: typos,
nicknames, swapped names, day/month-swapped or partial dates of birth, old postcodes,
phones in different notations. Resolving them back to people is csenet's job."""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from .force import OFFENDER, SUSPECT, Force
from .names import typo
from .people import age_on
from .scales import END

CTX_INVOLVEMENT, CTX_ASSOCIATION, CTX_IDENTIFIER, CTX_OCG, CTX_MISSING = range(5)
# Chance that a later appearance makes a new record rather than reusing one, by context,
# for [background people, people in planted cases].
P_NEW = np.array([[0.85, 0.85], [0.6, 0.6], [0.12, 0.12], [0.35, 0.35], [0.5, 0.55]])
SOURCES = np.array(["RMS", "CUSTODY", "INTEL", "SOCIAL_CARE"], dtype=object)


@dataclass
class Records:
    columns: dict[str, np.ndarray]      # person_records.csv columns, plus "person"
    of_involvement: np.ndarray           # record id per involvement row
    of_association: tuple[np.ndarray, np.ndarray]
    of_identifier: np.ndarray
    of_ocg: np.ndarray
    of_missing: np.ndarray
    invalid_dob: np.ndarray              # bool per record: date of birth is not a real date
    involvement_index: np.ndarray        # record index (into columns) per involvement row


def _digit_slip(iso: str, r: random.Random) -> str:
    """One digit of the day keyed wrong, still a real date (1990-04-13 -> 1990-04-18)."""
    day = int(iso[8:10])
    options = [d for d in range(1, 29) if d != day and (d // 10 == day // 10 or d % 10 == day % 10)]
    return f"{iso[:8]}{r.choice(options):02d}"


def build(force: Force, special_victims: np.ndarray) -> Records:
    rng = force.rng
    r = random.Random(int(rng.integers(2**62)))
    P = force.pop.table
    I, V, A, D, O, Mi = (force.incidents, force.involvements, force.associations, force.identifiers,
                         force.ocg, force.missing)
    inc_day = I["reported"] // 1440
    parts = [
        (V["person"], inc_day[V["incident"]], CTX_INVOLVEMENT, V["role"]),
        (A["a"], A["day"], CTX_ASSOCIATION, None),
        (A["b"], A["day"], CTX_ASSOCIATION, None),
        (D["person"], D["day"], CTX_IDENTIFIER, None),
        (O["person"], O["day"], CTX_OCG, None),
        (Mi["person"], Mi["start"] // 1440, CTX_MISSING, None),
    ]
    person = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    ctx = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    role = np.concatenate([p[3] if p[3] is not None else np.full(len(p[0]), -1) for p in parts])
    sizes = [len(p[0]) for p in parts]

    kind = P["kind"][person]
    order = np.lexsort((rng.random(len(person)), day, person))
    ps = person[order]
    first = np.r_[True, ps[1:] != ps[:-1]]
    new = first | (rng.random(len(ps)) < P_NEW[ctx[order], kind])
    rec_sorted = np.cumsum(new) - 1
    rec_of_app = np.empty(len(person), dtype=np.int64)
    rec_of_app[order] = rec_sorted

    rp = ps[new]
    rday = day[order][new]
    rctx = ctx[order][new]
    rrole = role[order][new]
    rfirst = first[new]
    n = len(rp)

    src = np.zeros(n, dtype=np.int64)
    src[(rctx == CTX_INVOLVEMENT) & np.isin(rrole, [SUSPECT, OFFENDER]) & (rng.random(n) < 0.25)] = 1
    src[np.isin(rctx, [CTX_ASSOCIATION, CTX_OCG])] = 2
    src[(rctx == CTX_IDENTIFIER) & (rng.random(n) < 0.5)] = 2
    src[(rctx == CTX_MISSING) & (rng.random(n) < 0.65)] = 3

    names = force.names
    given_i = P["given"][rp]
    family_i = P["family"][rp]
    middle_i = P["middle"][rp]
    given = names.given_arr[given_i].copy()
    family = names.family_arr[family_i].copy()

    u = rng.random(n)
    nick = names.has_nickname[given_i] & (u < 0.12)
    for i in np.flatnonzero(nick):
        opts = names.nicknames[given_i[i]]
        given[i] = opts[r.randrange(len(opts))]
    var = names.has_variant[family_i] & (rng.random(n) < 0.15)
    for i in np.flatnonzero(var):
        opts = names.family_variants[family_i[i]]
        family[i] = opts[r.randrange(len(opts))]
    with_middle = (middle_i >= 0) & (rng.random(n) < 0.35)
    given[with_middle] = given[with_middle] + " " + names.given_arr[middle_i[with_middle]]
    for i in np.flatnonzero(rng.random(n) < 0.025):
        family[i] = typo(family[i], r)
    for i in np.flatnonzero(rng.random(n) < 0.025):
        given[i] = typo(given[i], r)
    upper = rng.random(n) < 0.05
    family[upper] = np.array([s.upper() for s in family[upper]], dtype=object)
    swap = rng.random(n) < 0.01
    given[swap], family[swap] = family[swap], given[swap].copy()
    # a name keyed into the wrong box is often mistyped too
    swap_typo = swap & (rng.random(n) < 0.4)
    for i in np.flatnonzero(swap_typo):
        if r.random() < 0.5:
            family[i] = typo(family[i], r)
        else:
            given[i] = typo(given[i], r)

    # Dates of birth.
    dob = P["dob"][rp]
    full = np.datetime_as_string(dob.astype("datetime64[D]"), unit="D").astype(object)
    u = rng.random(n)
    dob_s = full.copy()
    forced = rfirst & np.isin(rp, special_victims)
    missing = (u < 0.19) & ~forced
    year_only = (u >= 0.19) & (u < 0.215) & ~forced
    month_only = (u >= 0.215) & (u < 0.24) & ~forced
    swapped = (u >= 0.24) & (u < 0.26) & ~forced
    slip = (u >= 0.26) & (u < 0.27) & ~forced
    digit = (u >= 0.27) & (u < 0.28) & ~forced
    dob_s[missing] = ""
    dob_s[year_only] = np.array([s[:4] for s in full[year_only]], dtype=object)
    dob_s[month_only] = np.array([s[:7] for s in full[month_only]], dtype=object)
    dob_s[swapped] = np.array([f"{s[:4]}-{s[8:10]}-{s[5:7]}" for s in full[swapped]], dtype=object)
    dob_s[slip] = np.array([f"{int(s[:4]) + r.choice((-1, 1))}{s[4:]}" for s in full[slip]], dtype=object)
    dob_s[digit] = np.array([_digit_slip(s, r) for s in full[digit]], dtype=object)
    dd = dob.astype("datetime64[D]")
    day_of_month = (dd - dd.astype("datetime64[M]")).astype(np.int64) + 1
    month = dd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    # A leap day moved to a year without one is not a date either.
    invalid = (swapped & (day_of_month > 12)) | (slip & (month == 2) & (day_of_month == 29))

    gender = np.where(P["gender"][rp] == 1, "F", "M").astype(object)
    gender[rng.random(n) < 0.04] = ""

    # Where they lived when this record was made.
    home, old, move = P["home"][rp], P["old_home"][rp], P["move_day"][rp]
    before = (old != -1) & (rday < move)
    stale = (old != -1) & ~before & (rng.random(n) < 0.12)
    at = np.where(before | stale, old, home)
    postcode, address = force.geo.place_text(at)
    no_pc = rng.random(n) < 0.12
    postcode[no_pc] = ""
    squash = ~no_pc & (rng.random(n) < 0.05)
    postcode[squash] = np.array([s.replace(" ", "") for s in postcode[squash]], dtype=object)
    lower = ~no_pc & (rng.random(n) < 0.03)
    postcode[lower] = np.array([s.lower() for s in postcode[lower]], dtype=object)
    address[rng.random(n) < 0.45] = ""

    phone = np.full(n, "", dtype=object)
    ph, oph = P["phone"][rp], P["old_phone"][rp]
    from .background import phone_text
    show = (ph >= 0) & (rng.random(n) < 0.4)
    use_old = show & (oph >= 0) & (rng.random(n) < 0.4)
    both = show & (oph >= 0) & ~use_old & (rng.random(n) < 0.2)
    for i in np.flatnonzero(show):
        num = oph[i] if use_old[i] else ph[i]
        phone[i] = phone_text(int(num), rng)
        if both[i]:
            phone[i] += ";" + phone_text(int(oph[i]), rng)

    # PNC ids: adult offenders only, mostly on custody records.
    off = np.zeros(len(P), dtype=bool)
    off[V["person"][np.isin(V["role"], [SUSPECT, OFFENDER])]] = True
    pnc_people = off & (age_on(P["dob"], END) >= 18) & (rng.random(len(P)) < 0.65)
    pnc_of = np.full(len(P), "", dtype=object)
    for p in np.flatnonzero(pnc_people):
        yy = int(rng.integers(0, 24))
        pnc_of[p] = f"{yy:02d}/{int(rng.integers(1, 999999)):06d}{'ABCDEFGHJKLMNPQRTUVWXYZ'[int(rng.integers(23))]}"
    adult_then = age_on(dob, rday) >= 18
    show_pnc = pnc_people[rp] & adult_then & (rng.random(n) < np.where(src == 1, 0.9, 0.08))
    national_id = np.where(show_pnc, pnc_of[rp], "").astype(object)

    # Record ids in an order unrelated to the person.
    numbers = rng.permutation(n) + 100_000
    rid = np.array([f"P-{k}" for k in numbers], dtype=object)
    app_rid = rid[rec_of_app]
    offs = np.cumsum([0] + sizes)
    seg = [app_rid[offs[i]:offs[i + 1]] for i in range(len(sizes))]
    cols = {"record_id": rid, "source": SOURCES[src], "family_name": family, "given_names": given,
            "date_of_birth": dob_s, "gender": gender, "postcode": postcode, "address": address, "phone": phone,
            "national_id": national_id, "person": rp, "sort": numbers}
    return Records(cols, seg[0], (seg[1], seg[2]), seg[3], seg[4], seg[5], invalid, rec_of_app[: sizes[0]])
