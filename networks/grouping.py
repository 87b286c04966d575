# SPDX-License-Identifier: GPL-3.0-or-later
"""Who forms a network with whom: acquaintance ties, OCG boundaries, associates joining a network."""

from __future__ import annotations

from collections import Counter, defaultdict

import igraph as ig

from csenet.columns import isin
from csenet.networks import associations
from csenet.networks.facts import Facts
from csenet.networks.model import DetectionParams
from csenet.networks.splitting import split_component, subgraph


def mapping_ocgs(member_ocgs) -> list[str]:
    """The OCGs that put a group on the map: those holding two or more of its members
    (`member_ocgs` gives each member's OCG ids)."""
    together = Counter(o for ids in member_ocgs for o in set(ids))
    return sorted(o for o, n in together.items() if n >= 2)


def apart_from_the_ocg(core: ig.Graph, part: list[int], ocgs_of: dict[int, set[str]]) -> list[list[int]] | None:
    """A group the OCG map shows, and people hanging on it by one person: two networks.

    When one OCG holds two or more members of a group, and members outside that OCG
    reach the rest only through one person (a cut vertex of the group's ties), they and
    that person are a network of their own that shares a member with the mapped group:
    the map is the force's own evidence of where the OCG ends. The shared person
    belongs to both. None when there is nothing to split.
    """
    mapped = mapping_ocgs(ocgs_of.get(v, ()) for v in part)
    if not mapped or len(part) < 4:
        return None
    sub = subgraph(core, part)
    for c in sorted(sub.articulation_points()):
        rest = [v for v in range(len(part)) if v != c]
        comps = [[rest[x] for x in comp] for comp in subgraph(sub, rest).connected_components()]
        for o in mapped:
            holding = [comp for comp in comps if any(o in ocgs_of.get(part[v], ()) for v in comp)]
            if len(holding) != 1:
                continue
            apart = [comp for comp in comps if comp is not holding[0]]
            if not apart:
                continue
            away = {v for comp in apart for v in comp}
            return ([sorted(part[v] for v in range(len(part)) if v not in away)]
                    + [sorted([part[c]] + [part[v] for v in comp]) for comp in apart])
    return None


def group(g: ig.Graph, evidence: list, params: DetectionParams, knows,
           primary: set[int] | None = None, ocgs_of: dict[int, set[str]] | None = None
           ) -> tuple[list[list[int]], int]:
    """Vertex groups of two or more: the networks.

    Cores are joined by ties that show the people know one another (co-offending,
    intelligence, shared phone or home, OCG, facilitation), split where too big or weakly
    knit. Abusing the same child, or using the same premises, does not by itself show
    that: a person with only such ties joins the core they share most victims with, and
    people tied only by shared victims are no network (`victim_only_groups` makes them
    one). Same premises alone joins no one. Two cores sharing a victim stay two networks,
    with the bridge recorded.

    Vertices outside `primary` (suspects of other offences against a child exploited in
    a CSE incident) join only through acquaintance ties, and a group needs someone from
    `primary`. A person may sit in two groups: see `apart_from_the_ocg`.
    """
    primary = set(range(g.vcount())) if primary is None else primary
    strong = [e.index for e in g.es if knows(g.vs[e.source]["name"], g.vs[e.target]["name"], evidence[e.index])]
    core = g.subgraph_edges(strong, delete_vertices=False)
    groups: list[list[int]] = []
    split_count = 0
    for comp in sorted(core.connected_components(), key=min):
        if len(comp) < 2:
            continue
        comp = sorted(comp)
        if not primary.intersection(comp):
            continue
        parts = _core_parts(core, comp, params, ocgs_of or {})
        split_count += len(parts) > 1
        groups.extend(grp for grp in parts if primary.intersection(grp))
    group_of: dict[int, list[int]] = defaultdict(list)
    for k, grp in enumerate(groups):
        for v in grp:
            group_of[v].append(k)

    shared = [e for e in g.es if associations.SHARED_VICTIM in evidence[e.index].items]
    pull: dict[int, Counter] = defaultdict(Counter)
    for e in shared:
        s, t = e.tuple
        for x, y in ((s, t), (t, s)):
            if x not in group_of and y in group_of and x in primary:
                for k in group_of[y]:
                    pull[x][k] += e["weight"]
    for x, towards in sorted(pull.items()):
        groups[sorted(towards.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]].append(x)
        group_of[x] = [-1]

    if params.victim_only_groups:
        rest = g.subgraph_edges([e.index for e in shared if not ({*e.tuple} & group_of.keys())],
                                delete_vertices=False)
        for comp in sorted(rest.connected_components(), key=min):
            if len(comp) < 2:
                continue
            comp = sorted(comp)
            parts = [[comp[v] for v in grp] for grp in split_component(subgraph(rest, comp), params)]
            split_count += len(parts) > 1
            groups.extend(parts)
    return sorted((sorted(grp) for grp in groups if len(grp) >= 2), key=lambda grp: grp[0]), split_count


def _core_parts(core: ig.Graph, comp: list[int], params: DetectionParams,
                ocgs_of: dict[int, set[str]]) -> list[list[int]]:
    """One core component's parts: split where unworkable, then apart from a mapped OCG."""
    pending = [[comp[v] for v in grp] for grp in split_component(subgraph(core, comp), params)]
    parts: list[list[int]] = []
    while pending:
        grp = pending.pop()
        apart = apart_from_the_ocg(core, grp, ocgs_of)
        if apart is None:
            parts.append(grp)
        else:
            pending.extend(apart)
    return sorted(parts)


def associates(facts: Facts, links: associations.Links, people: list[str], groups: list[list[int]],
                params: DetectionParams, knows) -> dict[str, int]:
    """People outside every network who are tied to it closely enough to count as members.

    Intelligence often knows a group's members before any crime is recorded against
    each of them. A person with ties that show acquaintance (not a shared child or
    premises) to `associate_min_ties` members of one network joins it, or to one member
    when they are a suspect in an incident the officer flagged CSE. Victims of any
    incident are never joined this way. IN_NETWORK.involvement says ASSOCIATE_OF_MEMBERS,
    so an investigator sees that no CSE incident of their own is recorded.
    """
    if params.associate_min_ties <= 0:
        return {}
    group_of: dict[str, list[int]] = defaultdict(list)
    for k, grp in enumerate(groups):
        for v in grp:
            group_of[people[v]].append(k)
    victims = set(facts.roles.loc[facts.roles["role"] == "VICTIM", "person_id"])
    flagged = set(facts.incidents.loc[facts.incidents["flagged"], "incident_id"])
    perps = facts.roles[isin(facts.roles["role"], associations.PERPETRATOR_ROLES)]
    flagged_suspects = set(perps.loc[isin(perps["incident_id"], flagged), "person_id"])
    ties: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    same_child: dict[str, set[int]] = defaultdict(set)
    for (a, b), ev in links.pairs.items():
        if not knows(a, b, ev) or ev.weight() < params.min_tie_weight:
            continue
        for x, y in ((a, b), (b, a)):
            if x not in group_of and y in group_of and x not in victims:
                for k in group_of[y]:
                    ties[x][k].add(y)
                    if associations.SHARED_VICTIM in ev.items:
                        same_child[x].add(k)
    joined = {}
    for x, by_group in sorted(ties.items()):
        # One tie is enough for a suspect in an incident flagged CSE, or for someone who
        # is known to a member and a suspect in an incident against the same child.
        need = {k: 1 if x in flagged_suspects or k in same_child[x] else params.associate_min_ties for k in by_group}
        fits = [(k, ys) for k, ys in by_group.items() if len(ys) >= need[k]]
        if fits:
            joined[x] = sorted(fits, key=lambda kv: (-len(kv[1]), kv[0]))[0][0]
    return joined


ACTING_TOGETHER = frozenset({associations.CO_OFFENDING, associations.RECORDED_ASSOCIATION, associations.SAME_OCG,
                             associations.FACILITATION})


def acquaintance(facts: Facts, params: DetectionParams):
    """Whether a link shows two people who know one another (an acquaintance tie).

    A phone shared by two "people" whose dates of birth do not tell them apart (one
    unknown, or one a part of the other), with nothing showing two people acting together
    (co-offending, intelligence, OCG, facilitation), may be one person the records did
    not join: it is kept as evidence but joins no one.
    """
    dob = dict(zip(facts.persons["person_id"], facts.persons["date_of_birth"]))

    def knows(a: str, b: str, ev) -> bool:
        kinds = ev.items.keys()
        if not any(k in associations.STRONG_KINDS for k in kinds):
            return False
        if not params.doubt_same_person or any(k in ACTING_TOGETHER for k in kinds):
            return True
        da, db = dob.get(a) or "", dob.get(b) or ""
        return not (da.startswith(db) or db.startswith(da))

    return knows


def against_exploited_children(facts: Facts, cse: set[str], incident_victims: dict[str, set[str]]) -> set[str]:
    """Suspects and offenders of other incidents against a child exploited in a CSE incident,
    when that child was (or could have been) a child at the time."""
    exploited = set().union(*incident_victims.values()) if incident_victims else set()
    if not exploited:
        return set()
    dob = dict(zip(facts.persons["person_id"], facts.persons["date_of_birth"]))
    date = facts.incidents.set_index("incident_id")["date"].to_dict()
    roles = facts.roles[~isin(facts.roles["incident_id"], cse)]
    against = {r.incident_id for r in roles.itertuples()
               if r.role == "VICTIM" and r.person_id in exploited
               and associations.could_be_child(dob.get(r.person_id), date.get(r.incident_id))}
    return {r.person_id for r in roles.itertuples()
            if r.incident_id in against and r.role in associations.PERPETRATOR_ROLES}
