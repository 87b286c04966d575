"""The force's residents: households of adults and children with true dates of birth,
homes, phones and the propensities that decide who turns up in crime records."""

from __future__ import annotations

from datetime import date

import numpy as np

from .geography import Geography, address_ref
from .names import NameBook
from .scales import END, REFERENCE, START, YEAR
from .table import Table

M, F = 0, 1


def new_people_table() -> Table:
    return Table(gender="i8", dob="i8", origin="i8", given="i8", middle="i8", family="i8", home="i8",
                 old_home="i8", move_day="i8", phone="i8", old_phone="i8", pnc="O", kind="i8",
                 district="i8", household="i8", offender="f8", victim="f8", crew="i8")


def birth_year(dob_days: np.ndarray) -> np.ndarray:
    return np.asarray(dob_days).astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970


def age_on(dob: np.ndarray | int, day: np.ndarray | int):
    """Whole years of age on `day` (both as days since 1970); birthdays count on the day."""
    d = np.asarray(dob).astype("datetime64[D]")
    t = np.asarray(day).astype("datetime64[D]")
    years = t.astype("datetime64[Y]").astype(int) - d.astype("datetime64[Y]").astype(int)
    tm = t.astype("datetime64[M]").astype(int) % 12
    dm = d.astype("datetime64[M]").astype(int) % 12
    td = (t - t.astype("datetime64[M]")).astype(int)
    dd = (d - d.astype("datetime64[M]")).astype(int)
    had_birthday = (tm > dm) | ((tm == dm) & (td >= dd))
    return years - (~had_birthday).astype(int)


_EPOCH_ORDINAL = 719163  # date(1970, 1, 1).toordinal()


def age_years(dob: int, day: int) -> int:
    """Scalar age_on, for the planted cases' many single look-ups."""
    b = date.fromordinal(int(dob) + _EPOCH_ORDINAL)
    t = date.fromordinal(int(day) + _EPOCH_ORDINAL)
    return t.year - b.year - ((t.month, t.day) < (b.month, b.day))


def _date(day: int) -> date:
    return date.fromordinal(int(day) + _EPOCH_ORDINAL)


def _day(d: date) -> int:
    return d.toordinal() - _EPOCH_ORDINAL


def _anniversary(d: date, year: int) -> date:
    """`d`'s month and day in `year`; a 29 February falls on 1 March in a common year
    (the convention age_on and age_years use: a leapling comes of age on 1 March)."""
    try:
        return d.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def birthday(dob: int, years: int) -> int:
    """The day (days since 1970) on which someone born on `dob` turns `years`."""
    b = _date(dob)
    return _day(_anniversary(b, b.year + years))


def dob_turning(years: int, on_day: int) -> int:
    """The latest date of birth whose owner is `years` old on `on_day`: they turn
    `years` that very day (calendar years, not days / 365.25). When `on_day` is a
    29 February no one turns `years` on it unless `years` is a multiple of four
    apart from a leap year; the 28 February birth, a day older, is returned then."""
    t = _date(on_day)
    try:
        return _day(t.replace(year=t.year - years))
    except ValueError:
        return _day(date(t.year - years, 2, 28))


def random_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(7_300_000_000, 7_999_999_999, n)


class Population:
    """Wraps the people table with the sampling helpers every generator needs."""

    def __init__(self, rng: np.random.Generator, names: NameBook, geo: Geography) -> None:
        self.rng = rng
        self.names = names
        self.geo = geo
        self.table = new_people_table()
        self._next_household = 0

    def household_ids(self, n: int) -> np.ndarray:
        out = np.arange(self._next_household, self._next_household + n)
        self._next_household += n
        return out

    def add(self, gender: int, dob: int, district: int, *, origin: int | None = None, family: int | None = None,
            given: int | None = None, home: int | None = None, kind: int = 1, phone_p: float = 0.9,
            household: int | None = None, middle_p: float = 0.5) -> int:
        """One person made for a planted case (a perpetrator, a victim, a relative)."""
        rng, names = self.rng, self.names
        if origin is None:
            origin = names.origin_one(rng)
        if family is None:
            family = names.family_one(rng, origin)
        year = 1970 + int(dob // 365.2425)
        if given is None:
            given = names.given_one(rng, origin, gender, year)
        middle = -1
        if rng.random() < middle_p:
            middle = names.given_one(rng, origin, gender, year)
            if middle == given:
                middle = -1
        if home is None:
            home = -2 - self.geo.new_address(district)
        if household is None:
            household = int(self.household_ids(1)[0])
        phone = int(rng.integers(7_300_000_000, 7_999_999_999)) if rng.random() < phone_p else -1
        old_home, move_day = -1, -1
        if rng.random() < 0.2:
            old_home = -2 - self.geo.new_address(district if rng.random() < 0.8 else int(rng.integers(self.geo.n)))
            move_day = int(rng.integers(START - 700, END))
        return self.table.append(gender=gender, dob=dob, origin=origin, given=given, middle=middle, family=family,
                                 home=home, old_home=old_home, move_day=move_day, phone=phone,
                                 old_phone=int(rng.integers(7_300_000_000, 7_999_999_999)) if phone >= 0 and rng.random() < 0.15 else -1,
                                 pnc="", kind=kind, district=district, household=household, offender=0.0,
                                 victim=0.0, crew=-1)

    def dob_for_age(self, age_years: float, on_day: int) -> int:
        return int(on_day - age_years * YEAR - self.rng.integers(0, 365))


def populate(pop: Population, n_people: int) -> dict[str, np.ndarray]:
    """Background households, vectorised. Returns the household structure the crime
    generators need (couples for domestic abuse, parents for missing-child reports)."""
    rng, names, geo = pop.rng, pop.names, pop.geo
    H = max(50, int(n_people / 2.3))
    htype = rng.choice(4, H, p=[0.30, 0.22, 0.30, 0.18])  # single, couple, family, lone parent
    n_adult = np.where((htype == 1) | (htype == 2), 2, 1)
    n_kid = np.where((htype == 2) | (htype == 3), 1 + np.minimum(rng.poisson(0.8, H), 4), 0)
    size = n_adult + n_kid
    district = rng.choice(geo.n, H, p=geo.district_weight)
    addr = geo.new_addresses(district)
    h_origin = names.origin(rng, H)
    h_family = names.family(rng, h_origin)
    a1_age = 19 + rng.beta(1.6, 2.6, H) * 66
    a1_gender = np.where(htype == 3, (rng.random(H) < 0.85).astype(int), rng.integers(0, 2, H))
    moved = rng.random(H) < 0.25
    old_addr = np.where(moved, rng.integers(0, len(addr), H), -1)
    move_day = np.where(moved, rng.integers(START - 700, END, H), -1)
    hh_ids = pop.household_ids(H)

    N = int(size.sum())
    hh = np.repeat(np.arange(H), size)
    pos = np.arange(N) - np.repeat(np.cumsum(size) - size, size)
    is_a1 = pos == 0
    is_partner = (pos == 1) & (n_adult[hh] == 2)
    is_kid = ~is_a1 & ~is_partner

    gender = np.where(is_a1, a1_gender[hh], rng.integers(0, 2, N))
    gender = np.where(is_partner, np.where(rng.random(N) < 0.96, 1 - a1_gender[hh], a1_gender[hh]), gender)
    age = np.where(is_a1, a1_age[hh], 0.0)
    age = np.where(is_partner, np.maximum(18, a1_age[hh] + rng.normal(0, 4, N)), age)
    kid_max = np.clip(a1_age[hh] - 17, 1, 23)
    age = np.where(is_kid, rng.random(N) * kid_max, age)
    # Twins: a child born the same day as the sibling before it (about 3 % of children).
    twin = is_kid & np.r_[False, is_kid[:-1]] & np.r_[False, hh[1:] == hh[:-1]] & (rng.random(N) < 0.03)
    for i in np.flatnonzero(twin):
        age[i] = age[i - 1]
    dob = (REFERENCE - age * YEAR).astype(np.int64)
    origin = np.where(is_partner & (rng.random(N) < 0.08), names.origin(rng, N), h_origin[hh])
    family = h_family[hh].copy()
    own = (is_partner & (rng.random(N) < 0.3)) | (is_kid & (rng.random(N) < 0.1))
    family[own] = names.family(rng, origin[own])
    years = birth_year(dob)
    given = names.given(rng, origin, gender, years)
    # A son named after his father, at the same address: the classic must-not-merge pair.
    a1_index = np.repeat(np.cumsum(size) - size, size)
    junior = is_kid & (gender == M) & (gender[a1_index] == M) & (rng.random(N) < 0.05)
    given[junior] = given[a1_index[junior]]
    family[junior] = family[a1_index[junior]]
    tw = np.flatnonzero(twin)
    family[tw] = family[tw - 1]
    clash = tw[given[tw] == given[tw - 1]]
    gender[clash] = 1 - gender[clash]
    given[clash] = names.given(rng, origin[clash], gender[clash], years[clash])
    middle = np.where(rng.random(N) < 0.5, names.given(rng, origin, gender, years), -1)
    middle[middle == given] = -1
    has_phone = np.where(is_kid, (age >= 11) & (rng.random(N) < 0.7), rng.random(N) < 0.85)
    phone = np.where(has_phone, random_phones(rng, N), -1)
    old_phone = np.where(has_phone & (rng.random(N) < 0.15), random_phones(rng, N), -1)

    # Who offends: mostly young men, a long tail of prolific ones.
    base = np.where(gender == M, 0.24, 0.07)
    age_factor = np.interp(age, [0, 11, 14, 18, 25, 35, 50, 65, 90], [0, 0, 0.3, 0.9, 1.0, 0.8, 0.4, 0.1, 0.02])
    is_off = rng.random(N) < base * age_factor
    offender = np.where(is_off, rng.lognormal(0, 1.1, N), 0.0)
    victim = rng.lognormal(0, 0.6, N)

    idx = pop.table.extend(
        gender=gender, dob=dob, origin=origin, given=given, middle=middle, family=family,
        home=address_ref(addr[hh]), old_home=np.where(old_addr[hh] >= 0, address_ref(addr[np.maximum(old_addr[hh], 0)]), -1),
        move_day=move_day[hh], phone=phone, old_phone=old_phone, pnc=np.full(N, "", dtype=object),
        kind=np.zeros(N, dtype=np.int64), district=district[hh], household=hh_ids[hh], offender=offender,
        victim=victim, crew=np.full(N, -1),
    )
    first = idx[is_a1]
    second = np.full(H, -1)
    second[hh[is_partner]] = idx[is_partner]

    # Children in care homes: few, but they go missing a lot.
    care = []
    for d in range(geo.n):
        for home in geo._premises_by[(d, "CARE_HOME")]:
            for _ in range(int(rng.integers(3, 7))):
                g = int(rng.random() < 0.55)
                care.append(pop.add(g, pop.dob_for_age(float(rng.uniform(12, 17.5)), REFERENCE), d,
                                    home=home, kind=0, phone_p=0.8))
    return {"adult1": first, "partner": second, "district": district, "member_household": hh,
            "person": idx, "is_kid": is_kid, "care_children": np.array(care, dtype=np.int64)}
