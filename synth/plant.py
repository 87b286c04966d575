"""Shared machinery for planting cases: making victims with families, recruiting or
creating perpetrators, choosing offence codes that fit the victim's age, and writing
the incident with its involvements."""

from __future__ import annotations

import numpy as np

from .background import Pools, phone_text, plate_text
from .data import load
from .force import OFFENDER, REPORTER, SUSPECT, VICTIM, Force
from .geography import address_ref, vrm
from .people import F, M, age_years, random_phones
from .scales import END, START, YEAR
from .text import Writer


class Planter:
    def __init__(self, force: Force, pools: Pools, writer: Writer) -> None:
        self.f = force
        self.rng = force.rng
        self.w = writer
        self.pools = pools
        self.sexual = load("offences")["sexual"]
        self.cce_codes = load("offences")["cce"]
        P = force.pop.table
        # Snapshot of the background residents; planted people are tracked in dicts so
        # the people table is never re-read while it grows.
        self.bg = {k: P[k].copy() for k in ("dob", "gender", "home", "phone", "district", "crew", "family", "origin")}
        self.n_bg = len(P)
        self.dob: dict[int, int] = {}
        self.gender: dict[int, int] = {}
        self.home: dict[int, int] = {}
        self.phone: dict[int, int] = {}
        self.parent: dict[int, int] = {}
        self.in_care: set[int] = set()
        self.used: set[int] = set()

    # -- people ------------------------------------------------------------------
    def _track(self, p: int, dob: int, gender: int, home: int, phone: int) -> int:
        self.dob[p], self.gender[p], self.home[p], self.phone[p] = dob, gender, home, phone
        self.used.add(p)
        return p

    def person(self, gender: int, dob: int, district: int, **kw) -> int:
        p = self.f.pop.add(gender, dob, district, **kw)
        P = self.f.pop.table
        return self._track(p, dob, gender, int(P["home"][p]), int(P["phone"][p]))

    def adult(self, district: int, age: tuple[float, float], on_day: int, *, gender: int | None = None,
              origin: int | None = None, family: int | None = None, recruit_p: float = 0.25) -> int:
        """A perpetrator: sometimes an ordinary offender already in the records."""
        rng = self.rng
        if gender is None:
            gender = M if rng.random() < 0.94 else F
        if family is None and rng.random() < recruit_p:
            for _ in range(6):
                p = self.pools.offenders.one(rng, district)
                a = age_years(self.bg["dob"][p], on_day)
                if (p not in self.used and self.bg["gender"][p] == gender and age[0] <= a <= age[1]
                        and self.bg["crew"][p] < 0):
                    return self._track(p, int(self.bg["dob"][p]), gender, int(self.bg["home"][p]), int(self.bg["phone"][p]))
        dob = self.f.pop.dob_for_age(float(rng.uniform(*age)), on_day)
        return self.person(gender, dob, district, origin=origin, family=family, phone_p=0.95)

    def child(self, district: int, age: float, on_day: int, *, female: bool, care_p: float = 0.25,
              origin: int | None = None) -> int:
        """A child with a mother (and sometimes a father) at home, or in a care home."""
        rng = self.rng
        pop = self.f.pop
        hh = int(pop.household_ids(1)[0])
        if origin is None:
            origin = int(self.f.names.origin(rng, 1)[0])
        family = int(self.f.names.family(rng, np.array([origin]))[0])
        dob = pop.dob_for_age(age, on_day)
        mum_dob = int(dob - rng.uniform(18, 40) * YEAR)
        mother = self.person(F, mum_dob, district, origin=origin, family=family, kind=0, household=hh, phone_p=0.9)
        home = self.home[mother]
        if rng.random() < 0.45:
            self.person(M, int(mum_dob + rng.normal(0, 4) * YEAR), district, origin=origin, family=family, kind=0,
                        household=hh, home=home)
        care = rng.random() < care_p
        if care:
            home = self.f.geo.pick("CARE_HOME", district)
        kid = self.person(F if female else M, dob, district, origin=origin, family=family, home=home, household=hh,
                          phone_p=0.85 if age >= 11 else 0.1)
        self.parent[kid] = mother
        if care:
            self.in_care.add(kid)
        return kid

    def age(self, p: int, day: int) -> int:
        return age_years(self.dob[p], day)

    # -- offences ----------------------------------------------------------------
    def sexual_code(self, act: str, age: int, female: bool) -> tuple[str, str]:
        s, rng = self.sexual, self.rng
        if act == "images":
            return tuple(s["images"] if age >= 16 or rng.random() < 0.5 else s["communication"])
        if act == "rape":
            key = ("rape_f_" if female else "rape_m_") + ("u13" if age < 13 else "u16" if age < 16 else "16")
        elif act == "assault":
            key = ("assault_f_" if female else "assault_m_") + ("u13" if age < 13 else "13")
        elif age < 13:
            key = "activity_u13"
        elif age < 16:
            key = "activity_u16"
        elif age < 18:
            key = str(rng.choice(["exploitation", "exploitation", "causing", "trafficking"]))
        else:
            key = "causing"
        return tuple(s[key])

    # -- incident ----------------------------------------------------------------
    def record(self, day: int, *, code: str, offence: str, loc: int, district: int, summary: str, cat: int,
               sexual: bool, exchange: bool, network: str, victims: list[int], suspects: list[int], others: list[tuple[int, int]] = (),
               is_cce: bool = False, hints: int = 0, delay_days: int | None = None, reporter_p: float = 0.3,
               occ_prec: int | None = None, victim_role: int = VICTIM) -> int:
        f, rng = self.f, self.rng
        if delay_days is None:
            delay_days = int(rng.choice([0, 0, 1, 1, 2, 4, 7, 14, 30, 60, 120]))
        inc = f.incident(day, code=code, offence=offence, loc=loc, district=district, summary=summary, cat=cat,
                         sexual=sexual, exchange=exchange, is_cce=is_cce, network=network, hints=hints, delay_days=delay_days,
                         occ_prec=occ_prec)
        for v in victims:
            f.involve(inc, v, victim_role)
        for s in suspects:
            f.involve(inc, s, OFFENDER if rng.random() < 0.2 else SUSPECT)
        for p, role in others:
            f.involve(inc, p, role)
        if victims and victims[0] in self.parent and rng.random() < reporter_p:
            f.involve(inc, self.parent[victims[0]], REPORTER)
        return inc

    def missing_around(self, child: int, day: int, found: int) -> None:
        rng = self.rng
        start = day * 1440 - int(rng.integers(60, 2880))
        end = day * 1440 + int(rng.integers(120, 2160)) if rng.random() < 0.95 else -1
        self.f.missing.append(person=child, start=start, end=end, found=found)

    # -- identifiers ----------------------------------------------------------------
    def phone_id(self, p: int, number: int | None = None, day: int | None = None) -> None:
        number = self.phone.get(p, -1) if number is None else number
        if number is None or number < 0:
            return
        self.f.identifiers.append(person=p, kind="PHONE", value=phone_text(int(number), self.rng),
                                  day=day if day is not None else int(self.rng.integers(START, END)))

    def vehicle(self, owners: list[int], district: int, day: int) -> int:
        plate = vrm(self.rng)
        for p in owners:
            self.f.identifiers.append(person=p, kind="VEHICLE", value=plate_text(plate, self.rng),
                                      day=day + int(self.rng.integers(0, 90)))
        return self.f.geo.new_vehicle(district, plate)

    def handle(self, platform: str | None = None) -> str:
        r = self.rng
        plats = ["snapchat", "instagram", "tiktok", "facebook", "discord", "kik", "whatsapp", "telegram"]
        platform = platform or plats[int(r.integers(len(plats)))]
        a = ["lil", "big", "real", "the", "x", "mr", "miss", "its", "just", "only"][int(r.integers(10))]
        b = ["k", "jay", "mo", "dee", "tash", "boss", "angel", "baby", "king", "queen", "shorty", "zed", "ace", "babe"][int(r.integers(14))]
        return f"{platform}:{a}{['_', '.', ''][int(r.integers(3))]}{b}{int(r.integers(1, 9999))}"

    def social(self, p: int, day: int, value: str | None = None) -> None:
        self.f.identifiers.append(person=p, kind="SOCIAL", value=value or self.handle(), day=day)

    def new_number(self) -> int:
        return int(random_phones(self.rng, 1)[0])

    def address_in(self, district: int) -> int:
        return int(address_ref(self.f.geo.new_address(district)))
