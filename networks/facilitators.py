# SPDX-License-Identifier: GPL-3.0-or-later
"""Facilitators: people who make the abuse possible without being recorded as suspects.

The Inquiry's definition counts those "facilitating" exploitation as network members,
and OCG mapping (which starts from suspects) never sees them. Two patterns are in the
records:

- premises: a person whose home is where CSE incidents with different suspects happen,
  again and again (at least two incidents);
- introduction: a person linked to a child (a recorded association other than family,
  an earlier incident together, the child found at their home when missing, or abused
  there) *before* the child's CSE incident with someone else, who is associated with
  that someone or whose home it happened in.

Each finding adds a FACILITATION link from the facilitator to the suspects it helped,
so the facilitator joins their network through evidence an investigator can check.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from csenet.networks.associations import (FACILITATION, MAX_SHARED_GROUP, PERPETRATOR_ROLES, SHARED_VICTIM, Links,
                                definitely_child)
from csenet.networks.facts import Facts, by_key, day

EARLIER_ROLES = ("SUSPECT", "OFFENDER", "OTHER")
NOT_INTRODUCERS = ("FAMILY",)
CIRCULAR = (SHARED_VICTIM, FACILITATION)


@dataclass
class Facilitation:
    reasons: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    incidents: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def note(self, person: str, reason: str, incident: str) -> None:
        self.reasons[person].add(reason)
        self.incidents[person].add(incident)


@dataclass
class _Cse:
    """The CSE incidents' people and the lookups both rules read."""

    suspects: dict[str, set[str]]
    victims: dict[str, set[str]]
    date: dict
    place: dict
    dob: dict
    recs: dict

    @property
    def cse_victims(self) -> set[str]:
        return set().union(*self.victims.values()) if self.victims else set()


def find(facts: Facts, links: Links) -> Facilitation:
    """Facilitators, their reasons and incidents; adds FACILITATION evidence to `links`."""
    found = Facilitation()
    cse = {i for i, v in by_key(facts.incidents, "incident_id", "cse").items() if v}
    roles = list(zip(*(facts.roles[c].tolist() for c in ("person_id", "incident_id", "role", "record_ids"))))
    ctx = _Cse(defaultdict(set), defaultdict(set), by_key(facts.incidents, "incident_id", "date"),
               by_key(facts.incidents, "incident_id", "location_id"),
               by_key(facts.persons, "person_id", "date_of_birth"),
               {(person, incident): records for person, incident, _, records in roles})
    for person, incident, role, _ in roles:
        if incident in cse and role in PERPETRATOR_ROLES:
            ctx.suspects[incident].add(person)
        elif incident in cse and role == "VICTIM":
            ctx.victims[incident].add(person)
    residents, home_records = _residents(facts)
    _premises_lent(ctx, links, found, residents, home_records)
    _introductions(ctx, links, found, facts, residents)
    return found


def _premises_lent(ctx: _Cse, links: Links, found: Facilitation, residents: dict[str, list[str]],
                   home_records: dict[tuple[str, str], list[str]]) -> None:
    """Premises used again and again by suspects who do not live there: its residents lent it."""
    cse_victims = ctx.cse_victims
    at: dict[str, list[str]] = defaultdict(list)
    for iid in sorted(ctx.suspects):
        if ctx.place.get(iid):
            at[ctx.place[iid]].append(iid)
    for loc, all_iids in sorted(at.items()):
        # A man abusing children in his own home makes his household no facilitators: only
        # incidents by suspects who do not live there show the premises being lent out.
        home = set(residents.get(loc, ()))
        iids = [i for i in all_iids if ctx.suspects[i] - home]
        people = set().union(*(ctx.suspects[i] - home for i in iids)) if iids else set()
        if len(iids) < 2 or len(people) < 2:
            continue
        last = max((ctx.date.get(i) or "" for i in iids), default="")
        for x in residents.get(loc, ()):
            if x in cse_victims or definitely_child(ctx.dob.get(x), last or None):
                continue
            for iid in iids:
                for s in sorted(ctx.suspects[iid] - home):
                    links.add(x, s, FACILITATION, ("PREMISES", loc, iid), incidents=[iid], locations=[loc],
                              records=[*home_records.get((x, loc), []), *ctx.recs[(s, iid)]],
                              victims=ctx.victims[iid])
                found.note(x, "PREMISES:%s" % loc, iid)


def _could_introduce(ctx: _Cse, x: str, when: str | None, reason: str, iid: str, perpetrators: set[str],
                     cse_victims: set[str]) -> bool:
    """An adult, neither suspect nor victim, linked to the child before the incident (or by intelligence)."""
    dj = ctx.date.get(iid)
    if x in perpetrators or x in ctx.victims[iid] or x in cse_victims:
        return False
    if when is not None and when >= dj:
        return False
    if when is None and not reason.startswith("ASSOCIATION"):
        return False
    return not definitely_child(ctx.dob.get(x), dj)


def _introductions(ctx: _Cse, links: Links, found: Facilitation, facts: Facts,
                   residents: dict[str, list[str]]) -> None:
    """Someone linked to a child before a CSE incident, who knows or hosts its suspects."""
    cse_victims = ctx.cse_victims
    perpetrators = set().union(*ctx.suspects.values()) if ctx.suspects else set()
    earlier = _links_to_children(facts, residents, cse_victims, ctx.date)
    premises: dict[str, set[str]] = defaultdict(set)
    for loc, occupants in residents.items():
        for x in occupants:
            premises[x].add(loc)
    for iid in sorted(ctx.suspects):
        if not ctx.date.get(iid):
            continue
        for child in sorted(ctx.victims[iid]):
            for x, when, reason, evidence in earlier.get(child, ()):
                if not _could_introduce(ctx, x, when, reason, iid, perpetrators, cse_victims):
                    continue
                # A home the suspect lives in himself explains the child being there: a
                # housemate is not shown to have hosted or brought the child.
                hosts = ctx.place.get(iid) in premises.get(x, set())
                helped = [s for s in sorted(ctx.suspects[iid])
                          if (hosts or _known(links, x, s)) and not _lives_at(premises, s, evidence["locations"])
                          and not (hosts and ctx.place.get(iid) in premises.get(s, ()))]
                for s in helped:
                    links.add(x, s, FACILITATION, ("INTRODUCED", child, iid), incidents=[iid, *evidence["incidents"]],
                              records=[*evidence["records"], *ctx.recs[(s, iid)]], locations=evidence["locations"],
                              victims=[child])
                if helped:
                    found.note(x, "%s:%s" % (reason, child), iid)


def _lives_at(premises: dict[str, set[str]], person: str, locations: list[str]) -> bool:
    return any(loc in premises.get(person, ()) for loc in locations)


def _known(links: Links, a: str, b: str) -> bool:
    """Associated by something other than abusing the same child: that alone shows no introduction."""
    ev = links.pairs.get((a, b) if a < b else (b, a))
    return ev is not None and any(k not in CIRCULAR for k in ev.items)


def _residents(facts: Facts) -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
    """location_id -> people whose recorded home (postcode and address) is that location."""
    locs = facts.locations.dropna(subset=["home"])
    by_home: dict[str, list[str]] = defaultdict(list)
    for loc, home in zip(locs["location_id"], locs["home"]):
        by_home[home].append(loc)
    people: dict[str, set[str]] = defaultdict(set)
    records: dict[tuple[str, str], list[str]] = defaultdict(list)
    homes = facts.records.dropna(subset=["home", "person_id"])
    for record_id, person_id, home in zip(*(homes[c].tolist() for c in ("record_id", "person_id", "home"))):
        for loc in by_home.get(home, ()):
            people[loc].add(person_id)
            records[(person_id, loc)].append(record_id)
    residents = {loc: sorted(p) for loc, p in people.items() if len(p) <= MAX_SHARED_GROUP}
    return residents, records


def _ev(incidents=(), records=(), locations=()) -> dict:
    return {"incidents": list(incidents), "records": list(records), "locations": list(locations)}


def _links_to_children(facts: Facts, residents: dict[str, list[str]], children: set[str],
                       date: dict[str, str]) -> dict[str, list[tuple[str, str | None, str, dict]]]:
    """child -> (person, date of the link or None, reason, evidence) for every link to a CSE victim."""
    out: dict[str, list] = defaultdict(list)
    for r in facts.recorded.itertuples():
        if r.kind in NOT_INTRODUCERS:
            continue
        for child, x in ((r.a, r.b), (r.b, r.a)):
            if child in children:
                out[child].append((x, day(r.recorded_at), "ASSOCIATION", _ev(records=[r.record_a, r.record_b])))
    _earlier_incidents(out, facts, children, date)
    for m in facts.missing.itertuples():
        if m.person_id in children and m.found_location_id in residents:
            for x in residents[m.found_location_id]:
                if x != m.person_id:
                    out[m.person_id].append((x, day(m.started_at), "FOUND_AT_HOME",
                                             _ev(locations=[m.found_location_id])))
    for child in out:
        out[child].sort(key=lambda t: (t[0], t[1] or "", t[2]))
    return out


def _earlier_incidents(out: dict[str, list], facts: Facts, children: set[str], date: dict[str, str]) -> None:
    """People recorded with a child in an incident: a link from that incident's date."""
    roles = facts.roles
    by_incident: dict[str, list[tuple]] = defaultdict(list)
    for row in zip(roles["incident_id"].tolist(), roles["person_id"].tolist(), roles["role"].tolist(),
                   roles["record_ids"].tolist()):
        by_incident[row[0]].append(row[1:])
    for iid in sorted(by_incident):
        group = by_incident[iid]
        kids = [p for p, _, _ in group if p in children]
        if not kids or not date.get(iid):
            continue
        others = [(p, recs) for p, role, recs in group if role in EARLIER_ROLES]
        for child in kids:
            for x, recs in others:
                if x != child:
                    out[child].append((x, date[iid], "EARLIER_INCIDENT", _ev(incidents=[iid], records=recs)))
