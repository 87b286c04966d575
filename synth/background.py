"""Everyday crime: the bulk of the records, vectorised. Ordinary offenders co-offend in
crews, are named together in intelligence and share cars, so association alone never
means exploitation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import load
from .force import (BG, BG_CHILD, H_DA, H_GANG, H_MISSING, OFFENDER, OTHER, REPORTER, SUSPECT, VICTIM,
                    WITNESS, Force, Pool)
from .geography import address_ref
from .people import age_on
from .scales import END, REFERENCE, START
from .text import Writer, cap

HINTS = {"DA": H_DA, "MISSING": H_MISSING, "GANG": H_GANG}
SUBJECT_ROLE_OTHER = {"missing_adult", "missing_child", "welfare"}
OCG_CRIMES = ["DRUGS", "DRUGS", "DRUGS", "ACQUISITIVE", "FRAUD", "VIOLENCE", "FIREARMS", "MODERN SLAVERY"]


@dataclass
class Pools:
    adults: Pool
    children: Pool
    teens: Pool
    offenders: Pool
    couples: Pool
    couple_victim: np.ndarray
    couple_suspect: np.ndarray
    crews: list[np.ndarray]


def build_pools(force: Force, hh: dict) -> Pools:
    rng, P = force.rng, force.pop.table
    n = len(P)
    idx = np.arange(n)
    age = age_on(P["dob"], REFERENCE)
    district = P["district"]
    bg = P["kind"] == 0
    care = np.zeros(n, dtype=bool)
    care[hh["care_children"]] = True
    adults = Pool(idx, district, np.where(bg & (age >= 18), P["victim"], 0), force.geo.n)
    children = Pool(idx, district, np.where(bg & (age >= 4) & (age < 18), P["victim"], 0), force.geo.n)
    teens = Pool(idx, district, np.where(bg & (age >= 11) & (age < 18), np.where(care, 12.0, 1.0), 0), force.geo.n)
    offenders = Pool(idx, district, np.where(bg, P["offender"], 0), force.geo.n)

    a, b = hh["adult1"], hh["partner"]
    has = b >= 0
    a, b = a[has], b[has]
    g = P["gender"]
    victim = np.where(g[a] == 1, a, b)
    suspect = np.where(g[a] == 1, b, a)
    prone = rng.random(len(a)) < 0.12
    weight = np.where(prone, rng.lognormal(1.2, 0.8, len(a)), 0.02)
    couples = Pool(np.arange(len(a)), district[a], weight, force.geo.n)

    # Crews: a third of offenders run with two to four others from their district.
    crew = P["crew"].copy()
    crews: list[np.ndarray] = []
    off = np.flatnonzero(bg & (P["offender"] > 0) & (age >= 14))
    off = off[rng.random(len(off)) < 0.35]
    for d in range(force.geo.n):
        members = rng.permutation(off[district[off] == d])
        i = 0
        while i + 2 <= len(members):
            size = int(rng.integers(2, 6))
            group = np.sort(members[i:i + size])
            if len(group) >= 2:
                crew[group] = len(crews)
                crews.append(group)
            i += size
    P["crew"][:] = crew
    return Pools(adults, children, teens, offenders, couples, victim, suspect, crews)


def _minutes(rng: np.random.Generator, n: int) -> np.ndarray:
    hours = rng.choice(24, n, p=_HOUR_P)
    return hours * 60 + rng.integers(0, 60, n)


_HOUR_W = np.array([3, 2, 2, 1, 1, 1, 1, 2, 3, 4, 4, 5, 5, 5, 5, 6, 7, 7, 7, 7, 6, 6, 5, 4], dtype=float)
_HOUR_P = _HOUR_W / _HOUR_W.sum()


def generate(force: Force, pools: Pools, hh: dict, n: int, writer: Writer, progress=None) -> None:
    rng, geo, P = force.rng, force.geo, force.pop.table
    spec = load("offences")["background"]
    fill = load("offences")["fillers"]
    weights = np.array([c["weight"] for c in spec], dtype=float)
    counts = rng.multinomial(n, weights / weights.sum())
    addr_district = geo.addresses["district"]
    addr_by_d = [np.flatnonzero(addr_district == d) for d in range(geo.n)]
    gender, dob, home = P["gender"], P["dob"], P["home"]
    household_adult = np.full(force.pop._next_household, -1)
    household_adult[P["household"][hh["adult1"]]] = hh["adult1"]
    crew = P["crew"]
    done = 0
    for c, n_c in zip(spec, counts):
        if n_c == 0:
            continue
        key = c["key"]
        d = rng.choice(geo.n, n_c, p=geo.district_weight)
        day = rng.integers(START, END + 1, n_c)
        o = rng.integers(0, len(c["offences"]), n_c)
        codes = np.array([x[0] for x in c["offences"]], dtype=object)[o]
        offence = np.array([x[1] for x in c["offences"]], dtype=object)[o]

        vt = c["victim"]
        victim = np.full(n_c, -1)
        k = rng.choice(4, n_c, p=c["suspects"])
        s1 = np.full(n_c, -1)
        if vt in ("adult", "missing_adult"):
            victim = pools.adults.sample(rng, d)
            if key == "sexual_adult":
                for _ in range(6):
                    male = gender[victim] == 0
                    victim[male] = pools.adults.sample(rng, d[male])
        elif vt == "any":
            child = rng.random(n_c) < c.get("child_share", 0.08)
            victim = np.where(child, pools.children.sample(rng, d), pools.adults.sample(rng, d))
        elif vt == "child":
            victim = pools.children.sample(rng, d)
        elif vt == "missing_child":
            victim = pools.teens.sample(rng, d)
        elif vt == "partner":
            cp = pools.couples.sample(rng, d)
            victim, s1 = pools.couple_victim[cp], pools.couple_suspect[cp]
            k = np.ones(n_c, dtype=np.int64)
        if vt == "child":
            parent = household_adult[P["household"][victim]]
            s1 = np.where(parent >= 0, parent, pools.offenders.sample(rng, d))
        if vt != "partner" and vt != "child":
            s1 = np.where(k >= 1, pools.offenders.sample(rng, d), -1)

        # Location.
        kinds = list(c["place"])
        kp = np.array([c["place"][x] for x in kinds], dtype=float)
        kind = rng.choice(len(kinds), n_c, p=kp / kp.sum())
        loc = np.full(n_c, -1)
        for ki, kname in enumerate(kinds):
            m = kind == ki
            if not m.any():
                continue
            if kname == "HOME":
                who = np.where(victim >= 0, victim, s1)
                loc[m] = np.where(who[m] >= 0, home[np.maximum(who[m], 0)], -1)
            elif kname == "STREET":
                for dd in np.unique(d[m]):
                    mm = m & (d == dd)
                    loc[mm] = address_ref(addr_by_d[dd][rng.integers(0, len(addr_by_d[dd]), int(mm.sum()))])
            else:
                for dd in np.unique(d[m]):
                    mm = m & (d == dd)
                    loc[mm] = geo.pick(kname, int(dd), int(mm.sum()))
        if key == "missing_child":
            in_care = np.isin(victim, hh["care_children"])
            loc = np.where(in_care, home[victim], loc)

        v_age = np.where(victim >= 0, age_on(dob[np.maximum(victim, 0)], day), -1)
        child_victim = (victim >= 0) & (v_age < 18) & (vt != "partner")
        summaries = np.empty(n_c, dtype=object)
        per_offence = [x[2] if len(x) > 2 else c["templates"] for x in c["offences"]]
        tpl = rng.random(n_c)
        for i in range(n_c):
            ctx = {"district_i": int(d[i])}
            L = int(loc[i])
            if L >= 0:
                ctx["place_desc"] = geo.premises_names[L]
                if geo.premises_kind[L] == "SHOP":
                    ctx["shop"] = geo.premises_names[L]
            else:
                ctx["place_desc"] = "the address"
            if victim[i] >= 0:
                a, f = int(v_age[i]), gender[victim[i]] == 1
                if a < 18:
                    ctx["child_desc"] = f"{'Girl' if f else 'Boy'} aged {a}" if a % 3 else f"{a}-year-old {'girl' if f else 'boy'}"
                    ctx["person_desc"] = f"a {a}-year-old {'girl' if f else 'boy'}"
                elif a >= 75:
                    ctx["person_desc"] = f"an elderly {'woman' if f else 'man'}"
                else:
                    ctx["person_desc"] = f"a {'woman' if f else 'man'} in {'her' if f else 'his'} {a // 10 * 10}s"
            options = per_offence[o[i]]
            summaries[i] = _render(writer, options[int(tpl[i] * len(options))], ctx, fill)

        occ_prec = rng.choice(3, n_c, p=[0.1, 0.3, 0.6])
        occurred = day * 1440 + _minutes(rng, n_c)
        delay = rng.choice([0, 0, 0, 0, 1, 1, 2, 3, 5, 10, 30], n_c) * 1440 + rng.integers(5, 300, n_c)
        hints = 0
        for h in c.get("hints", []):
            hints |= HINTS[h]
        inc = force.incidents.extend(
            occurred=occurred, occ_prec=occ_prec, reported=occurred + delay, code=codes, offence=offence,
            loc=loc, district=d, summary=summaries, cat=np.where(child_victim, BG_CHILD, BG),
            # Everyday crime: some of it sexual (sexual_adult), none of it for anything in return.
            sexual=np.full(n_c, key == "sexual_adult"), exchange=np.zeros(n_c, bool), is_cce=np.zeros(n_c, bool), network=np.full(n_c, "", dtype=object),
            hints=np.full(n_c, hints),
        )

        rows_i, rows_p, rows_r = [], [], []
        has_v = victim >= 0
        rows_i.append(inc[has_v]); rows_p.append(victim[has_v])
        rows_r.append(np.full(int(has_v.sum()), OTHER if key in SUBJECT_ROLE_OTHER else VICTIM))
        has_s = s1 >= 0
        rows_i.append(inc[has_s]); rows_p.append(s1[has_s])
        rows_r.append(np.where(rng.random(int(has_s.sum())) < 0.15, OFFENDER, SUSPECT))
        extra_i, extra_p = [], []
        for i in np.flatnonzero(k >= 2):
            lead = int(s1[i])
            cr = int(crew[lead]) if lead >= 0 else -1
            chosen = {lead}
            for _ in range(int(k[i]) - 1):
                if cr >= 0 and rng.random() < 0.7:
                    cand = int(pools.crews[cr][int(rng.integers(len(pools.crews[cr])))])
                else:
                    cand = pools.offenders.one(rng, int(d[i]))
                if cand not in chosen:
                    chosen.add(cand)
                    extra_i.append(int(inc[i])); extra_p.append(cand)
        rows_i.append(np.array(extra_i, dtype=np.int64)); rows_p.append(np.array(extra_p, dtype=np.int64))
        rows_r.append(np.full(len(extra_i), SUSPECT))
        nw = np.minimum(rng.poisson(c.get("witnesses", 0.6), n_c), 3)
        wi = np.repeat(inc, nw)
        rows_i.append(wi); rows_p.append(pools.adults.sample(rng, np.repeat(d, nw))); rows_r.append(np.full(len(wi), WITNESS))
        rep_p = c.get("reporter", 0.25)
        if key == "missing_child":
            parent = household_adult[P["household"][victim]]
            has_r = (parent >= 0) & (parent != victim) & (rng.random(n_c) < 0.85)
            rows_i.append(inc[has_r]); rows_p.append(parent[has_r])
        else:
            has_r = rng.random(n_c) < rep_p
            rows_i.append(inc[has_r]); rows_p.append(pools.adults.sample(rng, d[has_r]))
        rows_r.append(np.full(int(has_r.sum()), REPORTER))
        force.involvements.extend(incident=np.concatenate(rows_i), person=np.concatenate(rows_p), role=np.concatenate(rows_r))

        if key == "missing_child":
            start = occurred - rng.integers(60, 600, n_c)
            end = np.where(rng.random(n_c) < 0.95, start + rng.integers(180, 3000, n_c), -1)
            force.missing.extend(person=victim, start=start, end=end, found=np.full(n_c, -1))
        done += n_c
        if progress:
            progress("background crime", done, n)


def _render(writer: Writer, template: str, ctx: dict, fill: dict) -> str:
    r = writer.r
    for key, values in fill.items():
        if "{" + key in template:
            ctx[key] = values[r.randrange(len(values))]
    if "{item_cap}" in template:
        ctx["item_cap"] = cap(fill["item"][r.randrange(len(fill["item"]))])
    if "{vehicle_cap}" in template:
        ctx["vehicle_cap"] = cap(fill["vehicle"][r.randrange(len(fill["vehicle"]))])
    if "{pub}" in template:
        ctx["pub"] = f"the {writer.pick(['Red Lion', 'Crown', 'White Hart', 'Kings Arms', 'Royal Oak', 'Wheatsheaf', 'Swan', 'Plough'])}"
    if "{place2}" in template:
        ctx["place2"] = writer.geo.premises_name(writer.geo.pick(writer.pick(["PARK", "OTHER", "SHOP"]), ctx["district_i"]))
    ctx.setdefault("child_desc", "A child")
    ctx.setdefault("person_desc", "a resident")
    return writer.fill(template, ctx)


def intelligence(force: Force, pools: Pools, hh: dict) -> None:
    """Intelligence noise about ordinary offenders: associates, shared cars, OCG maps,
    and the missing episodes of children in care."""
    rng, geo, P = force.rng, force.geo, force.pop.table
    inv = force.involvements.columns()
    seen = np.unique(inv["person"])
    seen = seen[P["kind"][seen] == 0]
    for group in pools.crews:
        if rng.random() < 0.55:
            day = int(rng.integers(START, END))
            for a, b in zip(group[:-1], group[1:]):
                if rng.random() < 0.8:
                    force.associate(int(a), int(b), "ASSOCIATE", day + int(rng.integers(0, 200)))
    n_noise = int(force.scale.incidents * 0.012) + 5
    d = rng.choice(geo.n, n_noise, p=geo.district_weight)
    a, b = pools.offenders.sample(rng, d), pools.offenders.sample(rng, d)
    for x, y in zip(a, b):
        if x != y:
            force.associate(int(x), int(y), str(rng.choice(["ASSOCIATE", "ASSOCIATE", "CO_ACCUSED"])), int(rng.integers(START, END)))
    partners = hh["partner"]
    with_partner = np.flatnonzero(partners >= 0)
    for h in with_partner[rng.random(len(with_partner)) < 0.03]:
        force.associate(int(hh["adult1"][h]), int(partners[h]), "PARTNER", int(rng.integers(START, END)))

    # Identifiers of people who appear in records.
    age = age_on(P["dob"][seen], END)
    days = rng.integers(START, END, len(seen))
    ph = seen[(P["phone"][seen] >= 0) & (rng.random(len(seen)) < 0.08)]
    force.identifiers.extend(person=ph, kind=np.full(len(ph), "PHONE", dtype=object),
                             value=np.array([phone_text(int(x), rng) for x in P["phone"][ph]], dtype=object),
                             day=rng.integers(START, END, len(ph)))
    cars = seen[(age >= 18) & (rng.random(len(seen)) < 0.05)]
    from .geography import vrm
    plates = [vrm(rng) for _ in cars]
    force.identifiers.extend(person=cars, kind=np.full(len(cars), "VEHICLE", dtype=object),
                             value=np.array([plate_text(p, rng) for p in plates], dtype=object), day=days[: len(cars)])
    # A family car is recorded against both partners: a shared vehicle that means nothing.
    partner_of = {}
    for h in with_partner:
        partner_of[int(hh["adult1"][h])] = int(partners[h])
    shared = [(c, partner_of[int(c)], p) for c, p in zip(cars, plates) if int(c) in partner_of and rng.random() < 0.3]
    for c, other, p in shared:
        force.identifiers.append(person=other, kind="VEHICLE", value=plate_text(p, rng), day=int(rng.integers(START, END)))
    mails = seen[(age >= 16) & (rng.random(len(seen)) < 0.02)]
    for m in mails:
        force.identifiers.append(person=int(m), kind="EMAIL", value=email_for(force, int(m)), day=int(rng.integers(START, END)))
    teens = seen[(age < 21) & (rng.random(len(seen)) < 0.06)]
    for t in teens:
        force.identifiers.append(person=int(t), kind="SOCIAL", value=social_for(force, int(t)), day=int(rng.integers(START, END)))

    # Organised crime groups the force has mapped: ordinary crews, mostly drugs.
    big = [g for g in pools.crews if len(g) >= 3]
    n_ocg = min(len(big), max(2, force.scale.networks_per_kind))
    for j in rng.choice(len(big), n_ocg, replace=False) if big else []:
        group = big[int(j)]
        ocg_id = force.new_ocg_id()
        name = ocg_name(force, int(P["district"][group[0]]), int(P["family"][group[0]]))
        crime = OCG_CRIMES[int(rng.integers(len(OCG_CRIMES)))]
        day = int(rng.integers(START, END))
        for m in group:
            force.ocg.append(ocg_id=ocg_id, name=name, person=int(m), crime=crime, day=day)

    # Children in care go missing again and again.
    for child in hh["care_children"]:
        for _ in range(int(rng.poisson(2.5))):
            start = int(rng.integers(START, END)) * 1440 + int(rng.integers(0, 1440))
            found = int(geo.pick(str(rng.choice(["PARK", "OTHER", "SHOP"])), int(P["district"][child]))) if rng.random() < 0.3 else -1
            force.missing.append(person=int(child), start=start, end=start + int(rng.integers(120, 4000)) if rng.random() < 0.95 else -1, found=found)


def ocg_name(force: Force, district: int, family: int) -> str:
    r = force.rng
    pick = int(r.integers(4))
    if pick == 0:
        return f"{force.geo.street_of_district(district)} crew"
    if pick == 1:
        return f"{force.names.family_names[family]} family"
    if pick == 2:
        return f"{force.geo.district_names[district]} {['boys', 'firm', 'lot', 'gang', 'OCG'][int(r.integers(5))]}"
    return f"Op {['Kestrel', 'Harrier', 'Lantern', 'Granite', 'Beacon', 'Willow', 'Falcon', 'Anvil', 'Tundra'][int(r.integers(9))]} nominals"


def phone_text(number: int, rng: np.random.Generator) -> str:
    """A mobile number written the way different systems write it."""
    s = f"0{number}"
    style = int(rng.integers(6))
    if style == 0:
        return f"{s[:5]} {s[5:]}"
    if style == 1:
        return s
    if style == 2:
        return f"+44{s[1:]}"
    if style == 3:
        return f"+44 {s[1:5]} {s[5:]}"
    if style == 4:
        return f"{s[:5]} {s[5:8]} {s[8:]}"
    return f"(0{s[1:5]}) {s[5:]}"


def plate_text(plate: str, rng: np.random.Generator) -> str:
    style = int(rng.integers(4))
    if style == 0:
        return plate
    if style == 1:
        return plate.replace(" ", "")
    if style == 2:
        return plate.lower().replace(" ", "")
    return plate.lower()


def email_for(force: Force, person: int) -> str:
    P, r = force.pop.table, force.rng
    given = force.names.given_names[P["given"][person]].lower()
    fam = force.names.family_names[P["family"][person]].lower().replace("'", "").replace(" ", "")
    dom = ["gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "icloud.com"][int(r.integers(5))]
    return f"{given}.{fam}{int(r.integers(1, 99))}@{dom}" if r.random() < 0.6 else f"{given[0]}{fam}@{dom}"


def social_for(force: Force, person: int, platform: str | None = None) -> str:
    P, r = force.pop.table, force.rng
    plats = ["snapchat", "instagram", "tiktok", "facebook", "discord", "kik", "whatsapp"]
    platform = platform or plats[int(r.integers(len(plats)))]
    given = force.names.given_names[P["given"][person]].lower()
    words = ["x", "xo", "official", "real", "lil", "uk", "baby", "king", "queen", "99", "07", "luv", "vibes"]
    return f"{platform}:{given}{['_', '.', ''][int(r.integers(3))]}{words[int(r.integers(len(words)))]}{int(r.integers(1, 999))}"
