"""Planted CSE networks of the kinds the Inquiry describes: mapped OCGs, loose groups
of associates, online groups, facilitated access through premises, and several adults
abusing one child together. Some share a member or a victim with another network, so
one connected component holds several groups."""

from __future__ import annotations

import numpy as np

from .force import (H_CSA, H_GANG, H_MISSING, H_ONLINE, NET_SEX, NET_WELFARE, OTHER, SUSPECT)
from .people import F, M
from .plant import Planter
from .scales import END, START

KINDS = ("OCG", "LOOSE_ASSOCIATES", "ONLINE", "FACILITATED", "MULTI_ADULT")
EXCHANGES = {
    "OCG": ["alcohol", "drugs", "money", "lifts", "stay", "food", "gifts", "phone"],
    "LOOSE_ASSOCIATES": ["alcohol", "drugs", "cigarettes", "lifts", "gifts", "phone", "affection", "money"],
    "ONLINE": ["money", "phone", "gifts", "affection"],
    "FACILITATED": ["stay", "food", "alcohol", "money", "gifts", "drugs"],
    "MULTI_ADULT": ["alcohol", "drugs", "gifts", "cigarettes", "money"],
}
GROUP = {"OCG": ["ocg", "street"], "LOOSE_ASSOCIATES": ["street"], "ONLINE": ["online"],
         "FACILITATED": ["facilitated", "street"], "MULTI_ADULT": ["multi"]}
FAC_CONTACT = [
    "Concern for welfare: {v} found at {place} with {fac}; {she} had been staying there. Returned home.",
    "{V} reported missing; located at {place} in the company of {fac}, who said {she} was 'just visiting'.",
    "School raised concern that {v} is spending time at {place} with {fac}. Strategy discussion held.",
]
NON_SEXUAL = [("", "Missing person"), ("", "Concern for welfare"), ("", "Child abduction warning notice")]


class NetworkPlanter(Planter):
    def plant(self, per_kind: int, progress=None) -> dict[str, int]:
        rng = self.rng
        plan = [k for k in KINDS for _ in range(per_kind)]
        order = rng.permutation(len(plan))
        self.history: dict[int, list[dict]] = {}
        counts = {k: 0 for k in KINDS}
        for n, i in enumerate(order):
            kind = plan[i]
            net_id = f"NET-{n + 1:05d}"
            district = int(rng.choice(self.f.geo.n, p=self.f.geo.district_weight))
            self.network(kind, net_id, district)
            counts[kind] += 1
            if progress and n % 25 == 0:
                progress("networks", n + 1, len(plan))
        return counts

    def network(self, kind: str, net_id: str, district: int) -> None:
        f, rng, w = self.f, self.rng, self.w
        span = int(rng.integers(60, 540))
        start = int(rng.integers(START, END - span))
        geom = lambda p, cap: min(int(rng.geometric(p)) - 1, cap)
        n_perp = {"OCG": 3 + geom(0.25, 9), "LOOSE_ASSOCIATES": 2 + geom(0.35, 8), "ONLINE": 2 + geom(0.35, 8),
                  "FACILITATED": 2 + geom(0.4, 6), "MULTI_ADULT": 2 + geom(0.5, 4)}[kind]
        n_vict = (1 if rng.random() < 0.8 else 2) if kind == "MULTI_ADULT" else 1 + geom(0.45, 5)
        origin = int(f.names.origin(rng, 1)[0])
        age_range = (20.0, 45.0) if kind == "OCG" else (18.0, 60.0) if kind == "ONLINE" else (18.0, 50.0)

        perps: list[int] = []
        family = None
        for j in range(n_perp):
            o = origin if rng.random() < 0.8 else None
            fam = family if (j == 1 and family is not None) else None
            p = self.adult(district, age_range, start, origin=o, family=fam, gender=M,
                           recruit_p=0.0 if kind == "ONLINE" else 0.25)
            if j == 0 and kind in ("OCG", "LOOSE_ASSOCIATES") and n_perp >= 3 and rng.random() < 0.3:
                family = int(f.pop.table["family"][p])
            perps.append(p)
        if family is not None:
            f.associate(perps[0], perps[1], "FAMILY", start + int(rng.integers(0, span)))

        facilitator = None
        if kind == "FACILITATED":
            facilitator = self.adult(district, (19.0, 60.0), start, gender=F if rng.random() < 0.4 else M, recruit_p=0.15)

        victims = []
        for _ in range(n_vict):
            vd = district if kind != "ONLINE" or rng.random() < 0.5 else int(rng.integers(f.geo.n))
            a = float(rng.choice([12, 13, 14, 15, 16, 17], p=[0.07, 0.17, 0.26, 0.25, 0.16, 0.09]) + rng.random())
            victims.append(self.child(vd, a, start, female=rng.random() < (0.75 if kind == "ONLINE" else 0.86)))

        # Overlap with an earlier network in the same district.
        guests: list[int] = []
        earlier = self.history.get(district, [])
        if earlier and rng.random() < 0.22:
            other = earlier[int(rng.integers(len(earlier)))]
            if rng.random() < 0.55 and (other["kind"] != "OCG" or kind == "OCG"):
                g = other["perps"][int(rng.integers(len(other["perps"])))]
                if g not in perps and len(perps) < 12:
                    perps.append(g)
                    guests.append(g)
            else:
                young = [v for v in other["victims"] if self.age(v, start) <= 16 and v not in victims]
                if young and len(victims) < 6:
                    victims.append(young[int(rng.integers(len(young)))])

        # Where it happens.
        geo = f.geo
        places: list[int] = []
        car_owners = [perps[0]] + ([perps[1]] if rng.random() < 0.55 else [])
        car = self.vehicle(car_owners, district, start)
        if kind == "OCG":
            places += [self.home[perps[0]], self.address_in(district), geo.pick("HOTEL", district),
                       geo.pick("TAKEAWAY", district), car]
        elif kind == "LOOSE_ASSOCIATES":
            places += [self.home[p] for p in perps[:2]] + [geo.pick("PARK", district), car]
            if rng.random() < 0.5:
                places.append(geo.pick("HOTEL", district))
        elif kind == "ONLINE":
            plats = list(geo.online.values())
            places += [plats[int(rng.integers(len(plats)))], plats[int(rng.integers(len(plats)))],
                       self.home[perps[0]], geo.pick("HOTEL", district)]
        elif kind == "FACILITATED":
            fk = rng.choice(["RESIDENTIAL", "TAKEAWAY", "HOTEL"], p=[0.45, 0.35, 0.2])
            fac_place = self.home[facilitator] if fk == "RESIDENTIAL" else geo.pick(str(fk), district)
            places += [fac_place, fac_place, fac_place, fac_place, car]
        else:
            places += [self.home[perps[0]], self.home[perps[0]], geo.pick("HOTEL", district)]

        activity = 1.0 / (np.arange(len(perps)) + 1.5)
        activity /= activity.sum()
        co_pairs: set[tuple[int, int]] = set()
        used_perps: set[int] = set()
        plans: list[dict] = []
        for v in victims:
            n_inc = 1 + min(int(rng.poisson({"OCG": 3.0, "LOOSE_ASSOCIATES": 2.5, "ONLINE": 2.0,
                                              "FACILITATED": 3.0, "MULTI_ADULT": 3.0}[kind])), 9)
            days = np.sort(rng.integers(start, start + span + 1, n_inc))
            if facilitator is not None:
                first = int(days[0])
                f.associate(facilitator, v, "ASSOCIATE", first - int(rng.integers(10, 90)))
                if rng.random() < 0.5:
                    d0 = first - int(rng.integers(3, 40))
                    ctx = self._ctx(v, d0, district, state_age=True)
                    ctx.update(place=geo_name(f, places[0]), fac=w.fill(w.pick(w.t["facilitators"]), ctx))
                    text = w.fill(w.pick(FAC_CONTACT), ctx)
                    self.record(d0, code="", offence="Concern for welfare", loc=places[0], district=district,
                                summary=text[:1].upper() + text[1:], cat=NET_WELFARE, sexual=False,
                                exchange=False, network=net_id, victims=[v], suspects=[], others=[(facilitator, OTHER)],
                                hints=H_MISSING if "missing" in text else 0, delay_days=0)
            for day in days:
                day = int(day)
                if kind == "MULTI_ADULT":
                    size = int(rng.integers(2, len(perps) + 1))
                else:
                    size = 1 + int(rng.binomial(min(3, len(perps) - 1), 0.35))
                who = list(rng.choice(len(perps), size=min(size, len(perps)), replace=False, p=activity))
                who = [perps[i] for i in who]
                for g in guests:
                    if g not in used_perps and g not in who:
                        who.append(g)
                        break
                used_perps.update(who)
                extra_victims = []
                if len(victims) > 1 and rng.random() < 0.12:
                    o = victims[int(rng.integers(len(victims)))]
                    if o != v and self.age(o, day) < 18:
                        extra_victims.append(o)
                plans.append({"v": v, "day": day, "who": who, "fac_here": facilitator is not None and rng.random() < 0.45,
                              "extra": extra_victims, "welfare": bool(rng.random() < 0.12), "delay": None})
        self._every_member_offends(plans, perps, victims, start, used_perps)
        for plan in plans:
            who = plan["who"]
            for a in range(len(who)):
                for b in range(a + 1, len(who)):
                    co_pairs.add((min(who[a], who[b]), max(who[a], who[b])))
            self._incident(kind, net_id, district, plan["day"], plan["v"], who,
                           facilitator if plan["fac_here"] else None, places, plan["extra"],
                           welfare=plan["welfare"], delay_days=plan["delay"])

        # Intelligence about the group.
        for a, b in zip(perps[:-1], perps[1:]):
            if rng.random() < 0.7:
                f.associate(a, b, "ONLINE_CONTACT" if kind == "ONLINE" and rng.random() < 0.5 else "ASSOCIATE",
                            start + int(rng.integers(-120, span)))
        if len(perps) > 2 and rng.random() < 0.4:
            a, b = rng.choice(len(perps), 2, replace=False)
            f.associate(perps[int(a)], perps[int(b)], "ASSOCIATE", start + int(rng.integers(0, span + 200)))
        for a, b in sorted(co_pairs):
            if rng.random() < 0.4:
                f.associate(a, b, "CO_ACCUSED", start + int(rng.integers(30, span + 200)))
        if facilitator is not None:
            for p in perps:
                if rng.random() < 0.6:
                    f.associate(facilitator, p, "ASSOCIATE", start + int(rng.integers(0, span)))
        for v in victims:
            if rng.random() < 0.2:
                f.associate(v, perps[int(rng.integers(len(perps)))], "PARTNER", start + int(rng.integers(0, span)))
            if kind == "ONLINE":
                for p in perps:
                    if rng.random() < 0.5:
                        f.associate(v, p, "ONLINE_CONTACT", start + int(rng.integers(0, span)))
            if rng.random() < 0.4:
                self.phone_id(v)
            if rng.random() < 0.5:
                self.social(v, start + int(rng.integers(0, span)))

        # Phones, cars and accounts.
        for p in perps:
            if rng.random() < 0.5:
                self.phone_id(p)
        shared_phone_p = {"OCG": 0.7, "LOOSE_ASSOCIATES": 0.35, "FACILITATED": 0.3}.get(kind, 0.1)
        if rng.random() < shared_phone_p:
            number = self.new_number()
            for p in rng.choice(perps, min(len(perps), int(rng.integers(2, 4))), replace=False):
                self.phone_id(int(p), number, start + int(rng.integers(0, span)))
        if kind == "ONLINE":
            group_handle = self.handle()
            for p in rng.choice(perps, min(len(perps), int(rng.integers(2, 5))), replace=False):
                self.social(int(p), start + int(rng.integers(0, span)), group_handle)
            for p in perps:
                if rng.random() < 0.6:
                    self.social(p, start + int(rng.integers(0, span)))

        if kind == "OCG":
            ocg_id = f.new_ocg_id()
            from .background import ocg_name
            name = ocg_name(f, district, int(f.names.family(rng, np.array([origin]))[0]))
            crime = "CSE" if rng.random() < 0.55 else "DRUGS"
            mapped = [p for p in perps if p not in guests and rng.random() < 0.85]
            if len(mapped) < 2:
                mapped = [p for p in perps if p not in guests][:2]
            for p in mapped:
                f.ocg.append(ocg_id=ocg_id, name=name, person=p, crime=crime,
                             day=start + int(rng.integers(0, span + 200)))

        for p in perps:
            f.truth_net.append(network=net_id, kind=kind, person=p, role="PERPETRATOR")
        if facilitator is not None:
            f.truth_net.append(network=net_id, kind=kind, person=facilitator, role="FACILITATOR")
        for v in victims:
            f.truth_net.append(network=net_id, kind=kind, person=v, role="VICTIM")
        self.history.setdefault(district, []).append({"kind": kind, "perps": perps, "victims": victims})

    def _every_member_offends(self, plans: list[dict], perps: list[int], victims: list[int], start: int,
                              used: set[int]) -> None:
        """Make the records show what the truth says: at least one offence of the network
        meets the CSE definition, and every planted perpetrator takes part in one.

        Without this, a low-activity member drawn into no incident (or a network whose few
        incidents were all welfare reports, or all after the child turned 18) would be in
        truth/networks.csv with nothing in the records to find them by.
        """
        rng = self.rng
        # A child whatever the reporting delay (the truth judges age on reported_at
        # when occurred_at is left blank; delays run to 120 days).
        meets = [k for k, p in enumerate(plans) if not p["welfare"] and self.age(p["v"], p["day"] + 121) < 18]
        if not meets:
            youngest = min(victims, key=lambda v: -self.dob[v])
            anchor = next((k for k, p in enumerate(plans) if p["v"] == youngest), 0)
            day = start
            while self.age(youngest, day) >= 18:  # "17 and a bit" at the start can round to 18
                day -= 7
            plans[anchor].update(v=youngest, day=day, welfare=False, delay=0)
            meets = [anchor]
        for p in perps:
            if p not in used:
                plans[meets[int(rng.integers(len(meets)))]]["who"].append(p)
                used.add(p)

    def _ctx(self, v: int, day: int, district: int, *, state_age: bool) -> dict:
        age = self.age(v, day)
        ctx = self.w.child(age, self.gender[v] == F, state_age=state_age, care=v in self.in_care)
        ctx["district_i"] = district
        return ctx

    def _incident(self, kind: str, net_id: str, district: int, day: int, v: int, who: list[int],
                  facilitator: int | None, places: list[int], extra_victims: list[int], *, welfare: bool,
                  delay_days: int | None = None) -> None:
        f, rng, w = self.f, self.rng, self.w
        age = self.age(v, day)
        female = self.gender[v] == F
        ctx = self._ctx(v, day, district, state_age=rng.random() < 0.7)
        ctx["men"] = w.men_text(len(who), ctx)
        if welfare:
            group = "welfare"
        elif facilitator is not None:
            group = "facilitated"
        elif len(who) == 1:
            group = "lone_online" if kind == "ONLINE" else "lone"
        else:
            options = GROUP[kind]
            group = options[int(rng.integers(len(options)))]
        if not welfare and rng.random() < 0.015:
            group = "unstated"
        physical = [p for p in places if f.geo.premises_kind_of(p) != "ONLINE"]
        place = physical[int(rng.integers(len(physical)))]
        ctx["place"] = geo_name(f, place)
        loc = place
        if group in ("online", "lone_online"):
            online = [p for p in places if f.geo.premises_kind_of(p) == "ONLINE"] or list(f.geo.online.values())
            loc = online[int(rng.integers(len(online)))]
            ctx["platform"] = f.geo.premises_names[loc]
        hints = H_ONLINE if kind == "ONLINE" or loc != place else 0
        if kind == "OCG" and rng.random() < 0.3:
            hints |= H_GANG
        if rng.random() < 0.05:
            hints |= H_CSA
        if rng.random() < (0.55 if v in self.in_care else 0.3):
            hints |= H_MISSING
            found = place if f.geo.premises_kind_of(place) != "VEHICLE" and rng.random() < 0.5 else -1
            self.missing_around(v, day, found)

        kinds = EXCHANGES[kind]
        if welfare:
            ctx["gift"] = w.gift([kinds[int(rng.integers(len(kinds)))]], ctx)
            ctx["car"] = w.filler("car", ctx)
            code, offence = NON_SEXUAL[int(rng.integers(len(NON_SEXUAL)))]
            self.record(day, code=code, offence=offence, loc=loc, district=district, summary=w.cse("welfare", ctx),
                        cat=NET_WELFARE, sexual=False, exchange=False, network=net_id, victims=[v], suspects=who, hints=hints)
            return

        if kind == "ONLINE":
            act = str(rng.choice(["images", "images", "activity", "rape"]))
        else:
            act = str(rng.choice(["rape", "assault", "activity", "activity"], p=[0.3, 0.2, 0.25, 0.25]))
        chosen = list(dict.fromkeys(rng.choice(kinds, 1 + int(rng.random() < 0.4))))
        ctx["gift"] = w.gift([str(k) for k in chosen], ctx)
        ctx["sex"], ctx["sexa"] = w.sex(act, ctx, group=len(who) > 1)
        if facilitator is not None:
            ctx["fac"] = w.fill(w.pick(w.t["facilitators"]), ctx)
            ctx["premises"] = w.t["premises_words"].get(f.geo.premises_kind_of(place), "premises")
        summary = w.cse(group, ctx)
        if rng.random() < 0.08:
            code, offence = NON_SEXUAL[int(rng.integers(2))]
        else:
            code, offence = self.sexual_code(act, age, female)
        # The exchange took place whether or not the summary says so ("unstated" group);
        # the truth (synth/truth.py) checks every victim's age on the recorded day.
        others = [(facilitator, SUSPECT if rng.random() < 0.6 else OTHER)] if facilitator is not None else []
        self.record(day, code=code, offence=offence, loc=loc, district=district, summary=summary,
                    cat=NET_SEX, sexual=True, exchange=True, network=net_id,
                    victims=[v] + extra_victims, suspects=who, others=others, hints=hints, delay_days=delay_days)


def geo_name(f, loc: int) -> str:
    """How an officer would name a place in a summary."""
    if loc >= 0:
        name = f.geo.premises_names[loc]
        kind = f.geo.premises_kind[loc]
        if kind == "VEHICLE":
            return "a car (" + name.removeprefix("Vehicle: ") + ")"
        if kind == "ONLINE":
            return "an address arranged on " + name
        return "the " + name if not name.startswith(("The ", "St ")) else name
    addr = -loc - 2
    text = f.geo.address_text(np.array([addr]))[0]
    street = text.split(", ", 1)[-1].split(" ", 1)[1]
    return f"a flat on {street}" if text.startswith("Flat") else f"an address on {street}"
