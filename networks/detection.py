# SPDX-License-Identifier: GPL-3.0-or-later
"""Network detection in memory: from the facts to networks, bridges and bridging scores.

Networks under the Inquiry's working definition, found in the records rather than the OCG map.

IICSA (2019): a network is two or more people, known to or associated with one another,
involved in or facilitating the sexual exploitation of children. So: take everyone
involved in CSE (suspects and offenders of CSE incidents, and facilitators), join those
with association evidence (graph/associations.py), and each connected group of two or
more is a network. A connected group an investigator cannot work (too big, or two tight
groups held together by a thread) is split with Leiden, and the threads between the
parts are kept as BRIDGES_TO. Networks are explained by their ties, never by a
presumed hierarchy (Cockbain 2018): nothing here ranks anyone as a leader.

The algorithms run in igraph on edges pulled with plain Cypher, so Neo4j and FalkorDB
give the same networks, and everything is sorted and seeded, so the same graph gives the
same network ids and members every time.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from typing import Any

import igraph as ig
import leidenalg

from csenet.settings import Settings
from csenet.networks import associations, facilitators
from csenet.networks.facts import Facts

DETECTION_VERSION = "networks/1.2"
PERPETRATOR, FACILITATOR, VICTIM = "PERPETRATOR", "FACILITATOR", "VICTIM"
ROLE_ORDER = {PERPETRATOR: 0, FACILITATOR: 1, VICTIM: 2}
CSE_CRIME = "CSE"


@dataclass(frozen=True)
class DetectionParams:
    """Thresholds of network detection; `network_<name>` in the settings overrides each."""

    window_days: int = 90           # same premises: CSE incidents at most this far apart
    min_tie_weight: float = 1.0     # weaker association evidence does not join a network
    max_network_size: int = 25      # a bigger connected group is always split
    split_min_size: int = 8         # a smaller one is never split
    min_split_modularity: float = 0.4
    min_part_size: int = 4          # a weakly knit group splits only into parts this big ...
    min_part_density: float = 0.4   # ... each knit on its own
    resolution: float = 1.0
    associate_min_ties: int = 2     # members a non-suspect must be tied to, to join (0: never)
    victim_only_groups: bool = False  # people tied only by abusing the same child form a network
    doubt_same_person: bool = False  # a shared phone between two people not told apart by birth date joins no one
    seed: int = 2019

    @classmethod
    def from_settings(cls, settings: Settings | None, **overrides: Any) -> DetectionParams:
        values = {f.name: getattr(settings, "network_" + f.name) for f in fields(cls)
                  if settings is not None and getattr(settings, "network_" + f.name, None) is not None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class Network:
    network_id: str
    members: list[str]
    roles: dict[str, str]
    component_id: str
    component_size: int
    props: dict[str, Any] = field(default_factory=dict)
    member_incidents: dict[str, list[str]] = field(default_factory=dict)
    involvement: dict[str, list[str]] = field(default_factory=dict)
    victims: dict[str, list[str]] = field(default_factory=dict)


def digest_id(prefix: str, ids: list[str]) -> str:
    return prefix + hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()[:12].upper()


# -- splitting ------------------------------------------------------------------------

def _leiden(g: ig.Graph, params: DetectionParams) -> list[int]:
    part = leidenalg.find_partition(g, leidenalg.RBConfigurationVertexPartition, weights="weight",
                                    resolution_parameter=params.resolution, seed=params.seed, n_iterations=-1)
    return list(part.membership)


def _merge_small(g: ig.Graph, membership: list[int], min_size: int) -> list[int]:
    """Fold parts smaller than min_size into the neighbouring part they are most tied to.

    The smallest part first (then the lowest part number), its ties summed in edge order;
    only the edges of the part being folded are looked at, so it stays linear in the edges.
    """
    membership = list(membership)
    parts: dict[int, list[int]] = defaultdict(list)
    for v, m in enumerate(membership):
        parts[m].append(v)
    ends = g.get_edgelist()
    weights = g.es["weight"]
    incident = g.get_inclist()
    small = [(len(vs), m) for m, vs in parts.items() if len(vs) < min_size]
    heapq.heapify(small)
    while small and len(parts) > 1:
        size, part = heapq.heappop(small)
        if len(parts.get(part, ())) != size:
            continue
        ties: dict[int, float] = {}
        for e in sorted({e for v in parts[part] for e in incident[v]}):
            s, t = ends[e]
            if (membership[s] == part) != (membership[t] == part):
                other = membership[t] if membership[s] == part else membership[s]
                ties[other] = ties.get(other, 0) + weights[e]
        if not ties:
            return membership
        target = min(ties.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        for v in parts[part]:
            membership[v] = target
        parts[target].extend(parts.pop(part))
        if len(parts[target]) < min_size:
            heapq.heappush(small, (len(parts[target]), target))
    return membership


def _groups(membership: list[int]) -> list[list[int]]:
    parts: dict[int, list[int]] = defaultdict(list)
    for v, m in enumerate(membership):
        parts[m].append(v)
    return sorted(parts.values(), key=lambda p: p[0])


def _knit(part: ig.Graph, params: DetectionParams) -> bool:
    """Dense enough, and more than a chain: a part whose ties hold no cycle is a line of
    acquaintances, which is how a loose network looks, not a group of its own."""
    return part.density() >= params.min_part_density and part.ecount() >= part.vcount()


def split_component(g: ig.Graph, params: DetectionParams) -> list[list[int]]:
    """Vertex groups of one connected component: itself, unless too big or weakly knit."""
    n = g.vcount()
    whole = [list(range(n))]
    if n < params.split_min_size:
        return whole
    oversized = n > params.max_network_size
    membership = _merge_small(g, _leiden(g, params), 2 if oversized else params.min_part_size)
    groups = _groups(membership)
    if len(groups) == 1:
        return whole
    if oversized:
        out: list[Any] = []
        for grp in groups:
            if len(grp) > params.max_network_size:
                sub = g.induced_subgraph(grp)
                out.extend([grp[v] for v in part] for part in split_component(sub, params))
            else:
                out.append(grp)
        return sorted(out, key=lambda p: p[0])
    knit = all(len(grp) >= params.min_part_size and _knit(g.induced_subgraph(grp), params) for grp in groups)
    if knit and g.modularity(membership, weights="weight") >= params.min_split_modularity:
        return groups
    return whole


# -- grouping -----------------------------------------------------------------------------

def mapping_ocgs(member_ocgs) -> list[str]:
    """The OCGs that put a group on the map: those holding two or more of its members
    (`member_ocgs` gives each member's OCG ids)."""
    together = Counter(o for ids in member_ocgs for o in set(ids))
    return sorted(o for o, n in together.items() if n >= 2)


def _apart_from_the_ocg(core: ig.Graph, part: list[int], ocgs_of: dict[int, set[str]]) -> list[list[int]] | None:
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
    sub = core.induced_subgraph(part)
    for c in sorted(sub.articulation_points()):
        rest = [v for v in range(len(part)) if v != c]
        comps = [[rest[x] for x in comp] for comp in sub.induced_subgraph(rest).connected_components()]
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


def _group(g: ig.Graph, evidence: list, params: DetectionParams, knows,
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
    `primary`. A person may sit in two groups: see `_apart_from_the_ocg`.
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
        parts = [[comp[v] for v in grp] for grp in split_component(core.induced_subgraph(comp), params)]
        pending, parts = parts, []
        while pending:
            grp = pending.pop()
            apart = _apart_from_the_ocg(core, grp, ocgs_of or {})
            if apart is None:
                parts.append(grp)
            else:
                pending.extend(apart)
        parts.sort()
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

    if not params.victim_only_groups:
        return sorted((sorted(grp) for grp in groups if len(grp) >= 2), key=lambda grp: grp[0]), split_count
    rest = g.subgraph_edges([e.index for e in shared if not ({*e.tuple} & group_of.keys())],
                            delete_vertices=False)
    for comp in sorted(rest.connected_components(), key=min):
        if len(comp) < 2:
            continue
        comp = sorted(comp)
        parts = [[comp[v] for v in grp] for grp in split_component(rest.induced_subgraph(comp), params)]
        split_count += len(parts) > 1
        groups.extend(parts)
    return sorted((sorted(grp) for grp in groups if len(grp) >= 2), key=lambda grp: grp[0]), split_count


def _associates(facts: Facts, links: associations.Links, people: list[str], groups: list[list[int]],
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
    perps = facts.roles[facts.roles["role"].isin(associations.PERPETRATOR_ROLES)]
    flagged_suspects = set(perps.loc[perps["incident_id"].isin(flagged), "person_id"])
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


def _acquaintance(facts: Facts, params: DetectionParams):
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


def _against_exploited_children(facts: Facts, cse: set[str], incident_victims: dict[str, set[str]]) -> set[str]:
    """Suspects and offenders of other incidents against a child exploited in a CSE incident,
    when that child was (or could have been) a child at the time."""
    exploited = set().union(*incident_victims.values()) if incident_victims else set()
    if not exploited:
        return set()
    dob = dict(zip(facts.persons["person_id"], facts.persons["date_of_birth"]))
    date = facts.incidents.set_index("incident_id")["date"].to_dict()
    roles = facts.roles[~facts.roles["incident_id"].isin(cse)]
    against = {r.incident_id for r in roles.itertuples()
               if r.role == "VICTIM" and r.person_id in exploited
               and associations.could_be_child(dob.get(r.person_id), date.get(r.incident_id))}
    return {r.person_id for r in roles.itertuples()
            if r.incident_id in against and r.role in associations.PERPETRATOR_ROLES}


# -- detection --------------------------------------------------------------------------

@dataclass
class Detection:
    facts: Facts
    links: associations.Links
    facilitation: facilitators.Facilitation
    networks: list[Network]
    bridges: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    split_components: int


def detect(facts: Facts, params: DetectionParams) -> Detection:
    """Networks from the facts, in memory: no graph access, so it can be tested and timed alone."""
    links = associations.derive(facts, params.window_days)
    found = facilitators.find(facts, links)

    inc = facts.incidents.set_index("incident_id")
    cse = {i for i, v in inc["cse"].items() if v}
    roles = facts.roles[facts.roles["incident_id"].isin(cse)]
    perp_incidents: dict[str, set[str]] = defaultdict(set)
    incident_suspects: dict[str, set[str]] = defaultdict(set)
    incident_victims: dict[str, set[str]] = defaultdict(set)
    for r in roles.itertuples():
        if r.role in associations.PERPETRATOR_ROLES:
            perp_incidents[r.person_id].add(r.incident_id)
            incident_suspects[r.incident_id].add(r.person_id)
        elif r.role == "VICTIM":
            incident_victims[r.incident_id].add(r.person_id)
    # The force's own intelligence: a member of an OCG mapped for CSE is involved in CSE.
    mapped_cse = {r.person_id for r in facts.ocg.itertuples() if str(r.primary_crime or "").upper() == CSE_CRIME}
    perpetrators = set(perp_incidents) | mapped_cse
    facs = set(found.reasons) - perpetrators
    against = _against_exploited_children(facts, cse, incident_victims) - perpetrators - facs
    people = sorted(perpetrators | facs | against)
    index = {p: k for k, p in enumerate(people)}

    edges, weights, evidence = [], [], []
    for (a, b), ev in sorted(links.pairs.items()):
        if a in index and b in index and ev.weight() >= params.min_tie_weight:
            edges.append((index[a], index[b]))
            weights.append(ev.weight())
            evidence.append(ev)
    g = ig.Graph(n=len(people), edges=edges)
    g.vs["name"] = people
    g.es["weight"] = weights

    knows = _acquaintance(facts, params)
    ocgs_of: dict[int, set[str]] = defaultdict(set)
    for r in facts.ocg.itertuples():
        if r.person_id in index:
            ocgs_of[index[r.person_id]].add(r.ocg_id)
    groups, split_count = _group(g, evidence, params, knows, {index[p] for p in perpetrators | facs}, ocgs_of)
    joined = _associates(facts, links, people, groups, params, knows)
    if joined:
        new = sorted(joined)
        for p in new:
            index[p] = len(people)
            people.append(p)
        g.add_vertices(len(new))
        g.vs["name"] = people
        fresh = set(new)
        added, added_w = [], []
        for (a, b), ev in sorted(links.pairs.items()):
            if (a in fresh or b in fresh) and a in index and b in index and ev.weight() >= params.min_tie_weight:
                added.append((index[a], index[b]))
                added_w.append(ev.weight())
                evidence.append(ev)
        g.add_edges(added, attributes={"weight": added_w})
        edges += added
        weights += added_w
        for p in new:
            groups[joined[p]].append(index[p])
        associated = fresh
    else:
        associated = set()
    in_groups = {people[v] for grp in groups for v in grp}
    offended = against & in_groups
    perpetrators |= associated | offended
    component = {}
    for comp in g.connected_components():
        cid = digest_id("CMP-", [people[v] for v in comp])
        for v in comp:
            component[v] = (cid, len(comp))
    networks: list[Network] = []
    group_of: dict[int, list[int]] = defaultdict(list)
    for grp in groups:
        members = sorted(people[v] for v in grp)
        cid, csize = component[grp[0]]
        net = Network(digest_id("NET-", members), members,
                      {p: PERPETRATOR if p in perpetrators else FACILITATOR for p in members}, cid, csize)
        for v in grp:
            group_of[v].append(len(networks))
        networks.append(net)

    def pair(x: int, y: int) -> tuple[int, int]:
        return (x, y) if networks[x].network_id < networks[y].network_id else (y, x)

    date = inc["date"].to_dict()
    district = inc["district"].to_dict()
    basis = inc["basis"].to_dict()
    ocg_of: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for r in facts.ocg.itertuples():
        ocg_of[r.person_id].append((r.ocg_id, r.primary_crime))

    cross: dict[tuple[int, int], list] = defaultdict(list)
    shared: dict[tuple[int, int], set[int]] = defaultdict(set)
    internal: dict[int, list] = defaultdict(list)
    for (s, t), w, ev in zip(edges, weights, evidence):
        gs, gt = group_of.get(s), group_of.get(t)
        if not gs or not gt:
            continue
        common = set(gs) & set(gt)
        for k in sorted(common):
            internal[k].append((s, t, w, ev))
        if not common:
            for x in gs:
                for y in gt:
                    cross[pair(x, y)].append((s, t, w))
    for v, ks in group_of.items():
        for i, x in enumerate(ks):
            for y in ks[i + 1:]:
                shared[pair(x, y)].add(v)

    for net in networks:
        net.involvement = {p: [why for why, yes in (("CSE_INCIDENT", p in perp_incidents),
                                                   ("CSE_OCG_MAPPING", p in mapped_cse),
                                                   ("FACILITATION", p in found.reasons),
                                                   ("OFFENCE_AGAINST_EXPLOITED_CHILD", p in offended),
                                                   ("ASSOCIATE_OF_MEMBERS", p in associated)) if yes]
                           for p in net.members}
    for k, net in enumerate(networks):
        _describe(net, internal[k], perp_incidents, found, incident_suspects, incident_victims,
                  date, district, basis, ocg_of, params)

    # Two networks are bridged by ties between their members, or by a member they share.
    bridges, bridge_nets = [], defaultdict(set)
    for x, y in sorted(cross.keys() | shared.keys(), key=lambda xy: (networks[xy[0]].network_id,
                                                                    networks[xy[1]].network_id)):
        ties, both = cross.get((x, y), []), shared.get((x, y), set())
        via = sorted({people[s] for s, _, _ in ties} | {people[t] for _, t, _ in ties} | {people[v] for v in both})
        bridges.append({"a": networks[x].network_id, "b": networks[y].network_id, "via_person_ids": via,
                        "shared_person_ids": sorted(people[v] for v in both),
                        "edge_count": len(ties), "weight": round(sum(w for _, _, w in ties), 3),
                        "derived_by": DETECTION_VERSION})
        for s, t, _ in ties:
            bridge_nets[people[s]].add(networks[x if x in group_of[t] else y].network_id)
            bridge_nets[people[t]].add(networks[x if x in group_of[s] else y].network_id)
        for v in both:
            bridge_nets[people[v]].update((networks[x].network_id, networks[y].network_id))
    bridge_count = Counter(nid for b in bridges for nid in {b["a"], b["b"]})
    for net in networks:
        net.props["bridge_count"] = bridge_count[net.network_id]

    scores = _bridging_scores(g, people, bridge_nets)
    return Detection(facts, links, found, networks, bridges, scores, split_count)


def _describe(net: Network, ties: list, perp_incidents, found, incident_suspects, incident_victims,
              date, district, basis, ocg_of, params: DetectionParams) -> None:
    """The network's properties: the evidence an investigator reads, not a score."""
    members = set(net.members)
    incidents: set[str] = set()
    for p in net.members:
        if net.roles[p] == PERPETRATOR:
            mine = perp_incidents.get(p, set())
        else:
            mine = {i for i in found.incidents.get(p, ()) if incident_suspects.get(i, set()) & members}
        net.member_incidents[p] = sorted(mine)
        incidents |= mine
    victims: dict[str, set[str]] = defaultdict(set)
    for i in incidents:
        for v in incident_victims.get(i, ()):
            if v not in members:
                victims[v].add(i)
    net.victims = {v: sorted(i) for v, i in sorted(victims.items())}

    kind_counts: Counter = Counter()
    for _, _, _, ev in ties:
        kind_counts.update(ev.items.keys())
    ocgs = sorted({o for p in net.members for o, _ in ocg_of.get(p, ())})
    crimes = sorted({c for p in net.members for _, c in ocg_of.get(p, ()) if c})
    # The map shows the group only where it puts two or more of its members in one OCG:
    # one member on a drugs OCG does not put a CSE network on the map.
    mapping = mapping_ocgs([o for o, _ in ocg_of.get(p, ())] for p in net.members)
    mapping_crimes = {str(c).upper() for p in net.members for o, c in ocg_of.get(p, ()) if o in mapping and c}
    dates = sorted(date[i] for i in incidents if date.get(i))
    n = len(net.members)
    net.props.update({
        "network_id": net.network_id,
        "size": n,
        "perpetrator_count": sum(1 for p in net.members if net.roles[p] == PERPETRATOR),
        "facilitator_count": sum(1 for p in net.members if net.roles[p] == FACILITATOR),
        "victim_count": len(net.victims),
        "ocg_mapped": bool(mapping),
        "ocg_mapping_ids": mapping,
        "ocg_mapped_as_cse": CSE_CRIME in mapping_crimes,
        "member_on_ocg_map": bool(ocgs),
        "ocg_ids": ocgs,
        "ocg_primary_crimes": crimes,
        "ocg_mapped_members": sum(1 for p in net.members if ocg_of.get(p)),
        "districts": sorted({district[i] for i in incidents if district.get(i)}),
        "first_seen": dates[0] if dates else None,
        "last_seen": dates[-1] if dates else None,
        "incident_ids": sorted(incidents),
        "incident_count": len(incidents),
        "tie_count": len(ties),
        "density": round(2 * len(ties) / (n * (n - 1)), 4) if n > 1 else 0.0,
        "mean_tie_weight": round(sum(w for _, _, w, _ in ties) / len(ties), 3) if ties else 0.0,
        "tie_kinds": sorted(kind_counts),
        "tie_kind_counts": [kind_counts[k] for k in sorted(kind_counts)],
        "cse_basis": _basis(incidents, basis),
        "component_id": net.component_id,
        "component_size": net.component_size,
        "window_days": params.window_days,
        "detection_version": DETECTION_VERSION,
        "derived_by": DETECTION_VERSION,
    })


def _basis(incidents: set[str], basis: dict[str, str]) -> str:
    """What made the incidents CSE: the audit, the recorded flag (if any incident rests on it),
    or, for a group with no CSE incident at all, the force's CSE OCG mapping."""
    if not incidents:
        return "ocg_mapping"
    return "audit" if all(basis.get(i) == "audit" for i in incidents) else "recorded_flag"


def _bridging_scores(g: ig.Graph, people: list[str], bridge_nets: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Normalised betweenness within each connected group: who the groups' paths run through.

    It measures position, not rank or command: a high score says "links otherwise separate
    people", which is where an investigator looks for the next group, not who is in charge.
    """
    scores = [0.0] * len(people)
    for comp in g.connected_components():
        if len(comp) < 3:
            continue
        comp = sorted(comp)
        sub = g.induced_subgraph(comp)
        lengths = [1.0 / w for w in sub.es["weight"]]
        bc = sub.betweenness(directed=False, weights=lengths)
        norm = (len(comp) - 1) * (len(comp) - 2) / 2
        for v, b in zip(comp, bc):
            scores[v] = round(b / norm, 4)
    return [{"person_id": p, "score": scores[k], "nets": sorted(bridge_nets.get(p, ()))}
            for k, p in enumerate(people) if scores[k] > 0 or bridge_nets.get(p)]
