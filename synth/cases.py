"""Planted cases that are not networks but sit close to them: lone CSE offenders,
intrafamilial abuse (sexual, no exchange), sexual offences against children with no
exchange or an exchange by someone else, young adults given gifts (not children), and
county lines (exploitation with no sexual element)."""

from __future__ import annotations

import numpy as np

from .force import (ADULT_GIFT, CCE, CSA_OTHER, H_CCE, H_CSA, H_DA, H_GANG, H_MISSING, H_ONLINE, INTRA, LONE,
                    OTHER, REPORTER, SUSPECT, VICTIM)
from .people import F, M, birthday, dob_turning
from .plant import Planter
from .networks import geo_name
from .scales import END, START

LONE_EXCHANGES = ["alcohol", "drugs", "money", "phone", "lifts", "stay", "food", "cigarettes", "gifts", "affection"]
RELATIVES = {  # relation: (age range at offence, same home, same family name probability)
    "stepfather": ((25, 55), True, 0.2), "father": ((25, 55), True, 1.0), "uncle": ((22, 60), False, 0.6),
    "grandfather": ((50, 80), False, 0.5), "mother's partner": ((22, 55), True, 0.15),
    "older brother": ((14, 22), True, 1.0), "older cousin": ((16, 26), False, 0.4),
}


class CasePlanter(Planter):
    # -- lone offenders ------------------------------------------------------------
    def lone_offenders(self, n: int, progress=None) -> None:
        f, rng, w = self.f, self.rng, self.w
        for k in range(n):
            net_id = f"LONE-{k + 1:05d}"
            district = int(rng.choice(f.geo.n, p=f.geo.district_weight))
            span = int(rng.integers(20, 400))
            start = int(rng.integers(START, END - span))
            perp = self.adult(district, (20.0, 66.0), start, recruit_p=0.3)
            online = rng.random() < 0.3
            n_v = 1 + int(rng.random() < 0.35) + int(rng.random() < 0.1)
            near18 = rng.random() < 0.18
            victims = []
            for j in range(n_v):
                if j == 0 and near18:
                    # Just under 18 at the offence: only the exact date of birth says "child".
                    first = start + int(rng.integers(0, span))
                    kid = self.child(district, 17.0, first, female=rng.random() < 0.9, care_p=0.2)
                    self._shift_dob(kid, dob_turning(18, first + int(rng.integers(1, 25))))
                else:
                    a = float(rng.choice([12, 13, 14, 15, 16, 17], p=[0.06, 0.15, 0.25, 0.26, 0.18, 0.1]) + rng.random())
                    kid = self.child(district, a, start, female=rng.random() < 0.85)
                victims.append(kid)
            home_place = self.home[perp]
            car = self.vehicle([perp], district, start) if rng.random() < 0.5 else None
            places = [home_place] + ([car] if car is not None else []) + [f.geo.pick("HOTEL", district)]
            if online:
                places.append(list(f.geo.online.values())[int(rng.integers(len(f.geo.online)))])
            for v in victims:
                n_inc = 1 + min(int(rng.poisson(0.9)), 4)
                days = np.sort(rng.integers(start, start + span + 1, n_inc))
                if near18 and v == victims[0]:
                    days[0] = birthday(self.dob[v], 18) - int(rng.integers(1, 25))
                    days = np.sort(days)
                for day in days:
                    self._lone_incident(net_id, district, int(day), v, perp, places, online,
                                        force_age=near18 and v == victims[0] and day == days[0])
                if rng.random() < 0.3:
                    self.f.associate(v, perp, "PARTNER" if rng.random() < 0.5 else "ASSOCIATE", int(days[0]))
                if rng.random() < 0.4:
                    self.social(v, int(days[0]))
            if online:
                self.social(perp, start)
            if rng.random() < 0.4:
                self.phone_id(perp)
            f.truth_net.append(network=net_id, kind="LONE_OFFENDER", person=perp, role="PERPETRATOR")
            for v in victims:
                f.truth_net.append(network=net_id, kind="LONE_OFFENDER", person=v, role="VICTIM")
            if progress and k % 50 == 0:
                progress("lone offenders", k + 1, n)

    def _shift_dob(self, p: int, dob: int) -> None:
        self.dob[p] = dob
        self.f.pop.table["dob"][p] = dob

    def _lone_incident(self, net_id, district, day, v, perp, places, online, force_age=False) -> None:
        f, rng, w = self.f, self.rng, self.w
        age = self.age(v, day)
        female = self.gender[v] == F
        ctx = w.child(age, female, state_age=force_age or rng.random() < 0.7, care=v in self.in_care)
        ctx["district_i"] = district
        physical = [p for p in places if f.geo.premises_kind_of(p) != "ONLINE"]
        loc = physical[int(rng.integers(len(physical)))]
        ctx["place"] = geo_name(f, loc)
        ctx["men"] = w.men_text(1, ctx)
        kinds = [str(k) for k in dict.fromkeys(rng.choice(LONE_EXCHANGES, 1 + int(rng.random() < 0.3)))]
        ctx["gift"] = w.gift(kinds, ctx)
        act = str(rng.choice(["rape", "assault", "activity", "images"] if online else ["rape", "assault", "activity"]))
        ctx["sex"], ctx["sexa"] = w.sex(act, ctx, group=False)
        group = "lone_online" if online and rng.random() < 0.6 else "lone"
        if rng.random() < 0.015:
            group = "unstated"
        place = loc
        if group == "lone_online":
            loc = [p for p in places if f.geo.premises_kind_of(p) == "ONLINE"][0]
            ctx["platform"] = f.geo.premises_names[loc]
        code, offence = self.sexual_code(act, age, female)
        hints = H_ONLINE if group == "lone_online" else 0
        if rng.random() < 0.25:
            hints |= H_MISSING
            self.missing_around(v, day, place if f.geo.premises_kind_of(place) != "VEHICLE" else -1)
        self.record(day, code=code, offence=offence, loc=loc, district=district, summary=w.cse(group, ctx),
                    cat=LONE, sexual=True, exchange=True, network=net_id, victims=[v], suspects=[perp],
                    hints=hints, occ_prec=int(rng.choice([1, 2])), delay_days=int(rng.choice([0, 1, 3, 10, 40])))

    # -- intrafamilial abuse ---------------------------------------------------------
    def intrafamilial(self, n: int) -> None:
        f, rng, w = self.f, self.rng, self.w
        for k in range(n):
            net_id = f"INTRA-{k + 1:05d}"
            district = int(rng.choice(f.geo.n, p=f.geo.district_weight))
            report = int(rng.integers(START, END))
            historic = rng.random() < 0.3
            occurred = report - (int(rng.integers(365, 5 * 365)) if historic else int(rng.integers(0, 40)))
            age = float(rng.uniform(4, 16.9))
            female = rng.random() < 0.78
            kid = self.child(district, age, occurred, female=female, care_p=0.0)
            mother = self.parent[kid]
            rel = list(RELATIVES)[int(rng.integers(len(RELATIVES)))]
            (lo, hi), same_home, same_name = RELATIVES[rel]
            kid_age = self.age(kid, occurred)
            if rel == "older brother":
                lo = max(lo, kid_age + 3)
                hi = max(hi, lo + 1)
            fam = int(f.pop.table["family"][kid]) if rng.random() < same_name else None
            home = self.home[kid] if same_home else None
            dob = f.pop.dob_for_age(float(rng.uniform(lo, hi)), occurred)
            perp = self.person(M if rng.random() < 0.95 else F, dob, district, family=fam,
                               origin=int(f.pop.table["origin"][kid]), home=home, phone_p=0.9)
            n_inc = 1 if rng.random() < 0.75 else int(rng.integers(2, 4))
            for j in range(n_inc):
                day = occurred - j * int(rng.integers(30, 300))
                a = self.age(kid, day)
                ctx = w.child(a, female, state_age=rng.random() < 0.75)
                ctx.update(district_i=district, rel=f"{ctx['pos']} {rel}", rel_bare=rel,
                           a1_v=max(4, a - 3), a2_v=a)
                act = str(rng.choice(["rape", "assault", "activity"], p=[0.25, 0.45, 0.3]))
                ctx["sex"], ctx["sexa"] = w.sex(act, ctx, group=False)
                code, offence = (self.sexual["familial"] if rng.random() < 0.4 else self.sexual_code(act, a, female))
                hints = H_CSA | (H_DA if rng.random() < 0.2 else 0)
                self.record(day, code=code, offence=offence, loc=self.home[kid], district=district,
                            summary=w.template("csa_family", ctx), cat=INTRA, sexual=True, exchange=False,
                            network=net_id,
                            victims=[kid], suspects=[perp], reporter_p=0.0,
                            others=[(mother, REPORTER)] if rng.random() < 0.5 else [],
                            delay_days=report - day, occ_prec=0 if historic and rng.random() < 0.3 else 1)
            if rng.random() < 0.3:
                f.associate(perp, kid, "FAMILY", occurred)
            f.truth_net.append(network=net_id, kind="INTRAFAMILIAL", person=perp, role="PERPETRATOR")
            f.truth_net.append(network=net_id, kind="INTRAFAMILIAL", person=kid, role="VICTIM")

    # -- child sexual abuse with no exchange ---------------------------------------------
    def csa_other(self, n: int) -> None:
        f, rng, w = self.f, self.rng, self.w
        for _ in range(n):
            district = int(rng.choice(f.geo.n, p=f.geo.district_weight))
            day = int(rng.integers(START, END))
            female = rng.random() < 0.85
            kid = self.child(district, float(rng.uniform(12, 17.9)), day, female=female, care_p=0.1)
            a = self.age(kid, day)
            peer = rng.random() < 0.5
            perp = self.adult(district, (max(13.0, a - 1.0), a + 4.0) if peer else (19.0, 60.0), day,
                              recruit_p=0.0 if peer else 0.3)
            ctx = w.child(a, female, state_age=rng.random() < 0.8)
            ctx["district_i"] = district
            loc = self.home[perp] if rng.random() < 0.5 else f.geo.pick(str(rng.choice(["PARK", "OTHER"])), district)
            ctx["place"] = geo_name(f, loc)
            act = str(rng.choice(["rape", "assault", "activity"], p=[0.25, 0.5, 0.25]))
            ctx["sex"], ctx["sexa"] = w.sex(act, ctx, group=False)
            text = w.template("csa_other", ctx)
            online = "online" in text
            code, offence = self.sexual["communication"] if online and a < 16 else self.sexual_code(act, a, female)
            self.record(day, code=code, offence=offence, loc=loc, district=district, summary=text, cat=CSA_OTHER,
                        sexual=True, exchange=False, network="", victims=[kid], suspects=[perp],
                        hints=H_CSA | (H_ONLINE if online else 0))

    # -- young adults with gifts ---------------------------------------------------------
    def adult_gifts(self, n: int) -> None:
        f, rng, w = self.f, self.rng, self.w
        for _ in range(n):
            district = int(rng.choice(f.geo.n, p=f.geo.district_weight))
            day = int(rng.integers(START, END))
            female = rng.random() < 0.9
            u = rng.random()
            victim = self.child(district, 18.5, day, female=female, care_p=0.0)
            # Calendar arithmetic, not day counts: shifting a date of birth by the days to
            # an 18th birthday drifts by a day across 29 Februaries and made some "adults" 17.
            if u < 0.3:  # 18 that very day
                self._shift_dob(victim, dob_turning(18, day))
            elif u < 0.5:  # turned 18 one to twenty days before
                self._shift_dob(victim, dob_turning(18, day - int(rng.integers(1, 21))))
            else:
                self._shift_dob(victim, f.pop.dob_for_age(float(rng.uniform(19, 25)), day))
            a = self.age(victim, day)
            perp = self.adult(district, (20.0, 55.0), day, recruit_p=0.3)
            ctx = w.child(a, female, state_age=rng.random() < 0.85)
            if a == 18 and birthday(self.dob[victim], 18) == day and rng.random() < 0.5:
                ctx["V"] = f"{ctx['V']}, on {ctx['pos']} 18th birthday,"
                ctx["V"] = ctx["V"].rstrip(",")
            ctx["district_i"] = district
            loc = f.geo.pick("HOTEL", district) if rng.random() < 0.4 else self.home[perp]
            ctx["place"] = geo_name(f, loc)
            text = w.template("adult_gifts", ctx)
            act = "rape" if "rape" in text else "assault"
            code, offence = self.sexual_code(act, a, female)
            self.record(day, code=code, offence=offence, loc=loc, district=district, summary=text, cat=ADULT_GIFT,
                        sexual=True, exchange=True, network="", victims=[victim], suspects=[perp], reporter_p=0.05,
                        occ_prec=int(rng.choice([1, 2])), delay_days=int(rng.choice([0, 1, 2, 20])))

    # -- county lines ------------------------------------------------------------------
    def county_lines(self, n: int) -> None:
        f, rng, w = self.f, self.rng, self.w
        cce = self.cce_codes
        for k in range(n):
            net_id = f"CCE-{k + 1:04d}"
            base = int(rng.choice(f.geo.n, p=f.geo.district_weight))
            market = int(rng.integers(f.geo.n))
            span = int(rng.integers(90, 600))
            start = int(rng.integers(START, END - span))
            adults = [self.adult(base, (18.0, 34.0), start, gender=M, recruit_p=0.3)
                      for _ in range(2 + min(int(rng.geometric(0.45)) - 1, 4))]
            kids = []
            for _ in range(2 + min(int(rng.geometric(0.35)) - 1, 6)):
                d = base if rng.random() < 0.6 else market
                kids.append(self.child(d, float(rng.uniform(13, 17.6)), start, female=rng.random() < 0.2, care_p=0.2))
            trap = self.address_in(market)
            line = self.new_number()
            for p in adults + kids:
                if rng.random() < 0.6:
                    self.phone_id(p, line, start + int(rng.integers(0, span)))
            for a, b in zip(adults[:-1], adults[1:]):
                f.associate(a, b, "ASSOCIATE", start + int(rng.integers(0, span)))
            for kid in kids:
                if rng.random() < 0.5:
                    f.associate(kid, adults[int(rng.integers(len(adults)))], "ASSOCIATE", start + int(rng.integers(0, span)))
                for _ in range(1 + min(int(rng.poisson(1.0)), 3)):
                    day = start + int(rng.integers(0, span))
                    a = self.age(kid, day)
                    ctx = w.child(a, self.gender[kid] == F, state_age=rng.random() < 0.8)
                    ctx["district_i"] = market
                    text = w.template("cce", ctx)
                    if "NRM" in text:
                        key = "slavery"
                    elif "assaulted" in text:
                        key = "assault"
                    elif "knife" in text:
                        key = "weapon"
                    elif "missing" in text or "cuckooed" in text:
                        key = "missing" if rng.random() < 0.5 else "supply"
                    else:
                        key = "supply" if rng.random() < 0.7 else "possession"
                    code, offence = cce[key]
                    kid_role = VICTIM if key in ("slavery", "assault") else OTHER if key == "missing" else SUSPECT
                    with_adult = key in ("slavery", "assault") or rng.random() < 0.35
                    sus = [adults[int(rng.integers(len(adults)))]] if with_adult else []
                    loc = trap if ("trap" in text or "cuckooed" in text or rng.random() < 0.3) else \
                        self.address_in(market) if rng.random() < 0.5 else f.geo.pick("OTHER", market)
                    hints = H_CCE | (H_GANG if rng.random() < 0.5 else 0)
                    if key == "missing" or "missing" in text or rng.random() < 0.3:
                        hints |= H_MISSING
                        self.missing_around(kid, day, trap if rng.random() < 0.6 else -1)
                    self.record(day, code=code, offence=offence, loc=loc, district=market, summary=text,
                                cat=CCE, sexual=False, exchange=False, network=net_id, victims=[kid], suspects=sus,
                                is_cce=a < 18, hints=hints, victim_role=kid_role)
                    if sus and rng.random() < 0.4:
                        f.associate(kid, sus[0], "CO_ACCUSED", day + int(rng.integers(1, 60)))
            if rng.random() < 0.65:
                ocg_id = f.new_ocg_id()
                from .background import ocg_name
                name = ocg_name(f, base, int(f.pop.table["family"][adults[0]]))
                for p in adults:
                    f.ocg.append(ocg_id=ocg_id, name=name, person=p, crime="DRUGS", day=start + int(rng.integers(0, span)))
            for p in adults:
                f.truth_net.append(network=net_id, kind="CCE_COUNTY_LINES", person=p, role="PERPETRATOR")
            for kid in kids:
                f.truth_net.append(network=net_id, kind="CCE_COUNTY_LINES", person=kid, role="VICTIM")
