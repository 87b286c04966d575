# SPDX-License-Identifier: GPL-3.0-or-later
"""Person–person association evidence: who is known to or associated with whom, and why.

The Inquiry's definition of a network turns on people being "known to or associated
with one another". Police records hold that knowledge in many places (the same crime,
the same child, an intelligence log, a shared phone, a shared home, the same premises),
so each kind is derived here from the facts and kept with the ids that prove it. One
`(:Person)-[:ASSOCIATED_WITH]->(:Person)` per unordered pair, from the smaller
person_id to the larger; it is a derived projection, rebuilt on every run.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from csenet.columns import isin
from csenet.networks.facts import MAX_SHARED_GROUP, Facts, by_key

DERIVED_BY = "associations/1.0"

CO_OFFENDING = "CO_OFFENDING"
CO_OFFENDING_NON_CSE = "CO_OFFENDING_NON_CSE"
SHARED_VICTIM = "SHARED_VICTIM"
RECORDED_ASSOCIATION = "RECORDED_ASSOCIATION"
SHARED_IDENTIFIER = "SHARED_IDENTIFIER"
SHARED_ADDRESS = "SHARED_ADDRESS"
SAME_PREMISES = "SAME_PREMISES"
SAME_OCG = "SAME_OCG"
FACILITATION = "FACILITATION"

# What one item of each kind of evidence is worth; an edge sums min(items, 3) x weight
# over its kinds, so repeated evidence counts but cannot swamp everything else.
WEIGHTS = {
    CO_OFFENDING: 3.0,
    CO_OFFENDING_NON_CSE: 1.5,
    SHARED_VICTIM: 2.0,
    RECORDED_ASSOCIATION: 2.0,
    SHARED_IDENTIFIER: 2.0,
    SAME_OCG: 2.0,
    FACILITATION: 2.0,
    SHARED_ADDRESS: 1.5,
    SAME_PREMISES: 1.0,
}
REPEAT_CAP = 3
# Ties that show two people know one another and act together. Abusing the same child,
# using the same premises, living at the same address or committing another kind of crime
# together is evidence too, but alone it does not make a CSE network
# (networks/detection.py).
STRONG_KINDS = frozenset({CO_OFFENDING, RECORDED_ASSOCIATION, SHARED_IDENTIFIER, SAME_OCG, FACILITATION})
PERPETRATOR_ROLES = ("SUSPECT", "OFFENDER")
# A phone or address shared by more people than MAX_SHARED_GROUP (graph/facts.py) is a
# switchboard, a hostel or a care home, not evidence that its users know one another.
NOT_PREMISES = ("ONLINE",)


@dataclass
class Evidence:
    items: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    incident_ids: set = field(default_factory=set)
    record_ids: set = field(default_factory=set)
    intel: set = field(default_factory=set)
    identifier_keys: set = field(default_factory=set)
    location_ids: set = field(default_factory=set)
    victim_ids: set = field(default_factory=set)
    ocg_ids: set = field(default_factory=set)
    recorded_kinds: set = field(default_factory=set)

    def weight(self) -> float:
        return round(sum(WEIGHTS[k] * min(len(v), REPEAT_CAP) for k, v in self.items.items()), 3)


class Links:
    """Evidence per unordered person pair."""

    def __init__(self, keep: frozenset | None = None) -> None:
        self.pairs: dict[tuple[str, str], Evidence] = {}
        self.keep = keep  # when set, only pairs with an end in it are kept

    def add(self, a: str, b: str, kind: str, item: object, *, incidents: Iterable[str] = (),
            records: Iterable[str] = (), intel: Iterable[tuple[str, str]] = (), identifiers: Iterable[str] = (),
            locations: Iterable[str] = (), victims: Iterable[str] = (), ocgs: Iterable[str] = (),
            recorded_kind: str | None = None) -> None:
        if not a or not b or a == b or (self.keep is not None and a not in self.keep and b not in self.keep):
            return
        key = (a, b) if a < b else (b, a)
        ev = self.pairs.get(key)
        if ev is None:
            ev = self.pairs[key] = Evidence()
        ev.items[kind].add(item)
        ev.incident_ids.update(x for x in incidents if x)
        ev.record_ids.update(x for x in records if x)
        ev.intel.update(intel)
        ev.identifier_keys.update(x for x in identifiers if x)
        ev.location_ids.update(x for x in locations if x)
        ev.victim_ids.update(x for x in victims if x)
        ev.ocg_ids.update(x for x in ocgs if x)
        if recorded_kind:
            ev.recorded_kinds.add(recorded_kind)

    def rows(self) -> list[dict]:
        """Graph-ready rows, sorted by pair: the same facts give the same rows."""
        out = []
        for (a, b), ev in sorted(self.pairs.items()):
            kinds = sorted(ev.items)
            intel = sorted(ev.intel)
            out.append({
                "a": a, "b": b, "kinds": kinds, "kind_counts": [len(ev.items[k]) for k in kinds],
                "weight": ev.weight(), "incident_ids": sorted(ev.incident_ids), "record_ids": sorted(ev.record_ids),
                "intel_refs": [r for r, _ in intel], "intel_grades": [g for _, g in intel],
                "identifier_keys": sorted(ev.identifier_keys), "location_ids": sorted(ev.location_ids),
                "victim_ids": sorted(ev.victim_ids), "ocg_ids": sorted(ev.ocg_ids), "recorded_kinds": sorted(ev.recorded_kinds),
                "derived_by": DERIVED_BY,
            })
        return out


def age_bounds(dob: str | None, on: str | None) -> tuple[int, int] | None:
    """Youngest and oldest age a person could be on a date, from a possibly partial birth date."""
    if not dob or not on or len(on) < 10:
        return None
    try:
        year = int(dob[:4])
        oy, om, od = int(on[:4]), int(on[5:7]), int(on[8:10])
        month = int(dob[5:7]) if len(dob) >= 7 else None
        dday = int(dob[8:10]) if len(dob) >= 10 else None
    except ValueError:
        return None
    base = oy - year
    if month is None:
        return base - 1, base
    if dday is None:
        if om > month:
            return base, base
        if om < month:
            return base - 1, base - 1
        return base - 1, base
    age = base - (1 if (om, od) < (month, dday) else 0)
    return age, age


def could_be_child(dob: str | None, on: str | None) -> bool:
    bounds = age_bounds(dob, on)
    return bounds is not None and bounds[0] < 18


def definitely_child(dob: str | None, on: str | None) -> bool:
    bounds = age_bounds(dob, on)
    return bounds is not None and bounds[1] < 18


def days_between(a: str, b: str) -> int:
    return abs((_dt.date.fromisoformat(a) - _dt.date.fromisoformat(b)).days)


def derive(facts: Facts, window_days: int = 90) -> Links:
    """Every kind of association evidence except facilitation (networks/facilitators.py)."""
    # Only the core's pairs were read in full: a pair of two outsiders may lack evidence,
    # so it is not gathered at all (on a part of the graph, most pairs read are such).
    links = Links(keep=facts.core)
    cse = by_key(facts.incidents, "incident_id", "cse")
    roles = facts.roles
    rows = list(zip(roles["person_id"].tolist(), roles["incident_id"].tolist(), roles["role"].tolist(),
                    roles["record_ids"].tolist()))
    recs = {(p, i): r for p, i, _, r in rows}
    by_incident: dict[str, set[str]] = defaultdict(set)
    by_victim: dict[str, set[str]] = defaultdict(set)
    for p, i, role, _ in rows:
        if role in PERPETRATOR_ROLES:
            by_incident[i].add(p)
        elif role == "VICTIM":
            by_victim[p].add(i)
    suspects: dict[str, list[str]] = {i: sorted(by_incident[i]) for i in sorted(by_incident)}

    for iid, people in suspects.items():
        for a, b in combinations(people, 2):
            links.add(a, b, CO_OFFENDING if cse.get(iid) else CO_OFFENDING_NON_CSE, iid, incidents=[iid],
                      records=[*recs[(a, iid)], *recs[(b, iid)]])
    _shared_victims(links, facts, by_victim, suspects, recs, cse)
    _recorded(links, facts)
    _shared_identifiers(links, facts)
    _shared_homes(links, facts)
    for ocg_id, group in _grouped(facts.ocg, "ocg_id", "person_id", "ocg_id").items():
        for a, b in combinations(sorted({p for p, _ in group}), 2):
            links.add(a, b, SAME_OCG, ocg_id, ocgs=[ocg_id])
    _same_premises(links, facts, suspects, recs, window_days)
    links.keep = None  # facilitation evidence (networks/facilitators.py) is added after
    return links


def _shared_victims(links: Links, facts: Facts, by_victim: dict[str, set[str]], suspects: dict[str, list[str]],
                    recs: dict, cse: dict) -> None:
    """Suspects of two incidents against the same child (a child then, or either incident CSE)."""
    date = by_key(facts.incidents, "incident_id", "date")
    dob = by_key(facts.persons, "person_id", "date_of_birth")
    for vid in sorted(by_victim):
        iids = sorted(i for i in by_victim[vid] if i in suspects)
        for i1, i2 in combinations(iids, 2):
            childhood = could_be_child(dob.get(vid), date.get(i1)) or could_be_child(dob.get(vid), date.get(i2))
            if not (childhood or cse.get(i1) or cse.get(i2)):
                continue
            for a in suspects[i1]:
                for b in suspects[i2]:
                    if a != b:
                        links.add(a, b, SHARED_VICTIM, (vid, i1, i2) if a < b else (vid, i2, i1),
                                  incidents=[i1, i2], records=[*recs[(a, i1)], *recs[(b, i2)]], victims=[vid])


def _recorded(links: Links, facts: Facts) -> None:
    for r in facts.recorded.itertuples():
        ref = r.source_ref or "%s~%s" % (r.record_a, r.record_b)
        intel = [(r.source_ref, r.grade or "")] if r.source_ref else []
        links.add(r.a, r.b, RECORDED_ASSOCIATION, (ref, r.kind), records=[r.record_a, r.record_b], intel=intel,
                  recorded_kind=r.kind)


def _shared_identifiers(links: Links, facts: Facts) -> None:
    users = _grouped(facts.identifiers, "identifier_key", "person_id", "record_id")
    for key, group in users.items():
        people = sorted({p for p, _ in group})
        if 2 <= len(people) <= MAX_SHARED_GROUP:
            for a, b in combinations(people, 2):
                records = [r for p, r in group if p in (a, b)]
                links.add(a, b, SHARED_IDENTIFIER, key, identifiers=[key], records=records)


def _shared_homes(links: Links, facts: Facts) -> None:
    homes = _grouped(facts.records.dropna(subset=["home", "person_id"]), "home", "person_id", "record_id")
    places: dict[str, list[str]] = defaultdict(list)
    for loc, home in zip(facts.locations["location_id"].tolist(), facts.locations["home"].tolist()):
        if home:
            places[home].append(loc)
    for home, group in homes.items():
        people = sorted({p for p, _ in group})
        if 2 <= len(people) <= MAX_SHARED_GROUP:
            for a, b in combinations(people, 2):
                records = [r for p, r in group if p in (a, b)]
                links.add(a, b, SHARED_ADDRESS, home, records=records, locations=sorted(places.get(home, [])))


def _grouped(df, key: str, *columns: str) -> dict[str, list[tuple]]:
    """key -> rows of `columns`, keys sorted, rows in frame order (plain Python: no per-group pandas)."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for k, *values in zip(df[key].tolist(), *(df[c].tolist() for c in columns)):
        out[k].append(tuple(values))
    return {k: out[k] for k in sorted(out)}


def _same_premises(links: Links, facts: Facts, suspects: dict[str, list[str]], recs: dict, window_days: int) -> None:
    """Different suspects at the same premises, in CSE incidents close together in time."""
    inc = facts.incidents
    at = inc[inc["cse"] & inc["location_id"].notna() & inc["date"].notna()
             & ~isin(inc["location_kind"], NOT_PREMISES) & isin(inc["incident_id"], list(suspects))]
    for loc, group in at.groupby("location_id", sort=True):
        events = sorted(zip(group["date"], group["incident_id"]))
        for x, (d1, i1) in enumerate(events):
            for d2, i2 in events[x + 1:]:
                if days_between(d1, d2) > window_days:
                    break
                for a in suspects[i1]:
                    for b in suspects[i2]:
                        if a != b:
                            links.add(a, b, SAME_PREMISES, (loc, i1, i2), incidents=[i1, i2], locations=[loc],
                                      records=[*recs[(a, i1)], *recs[(b, i2)]])
