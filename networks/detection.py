# SPDX-License-Identifier: GPL-3.0-or-later
"""Network detection in memory: from the facts to networks, bridges and bridging scores.

Networks under the Inquiry's working definition, found in the records rather than the OCG map.

IICSA (2019): a network is two or more people, known to or associated with one another,
involved in or facilitating the sexual exploitation of children. So: take everyone
involved in CSE (suspects and offenders of CSE incidents, and facilitators), join those
with association evidence (networks/associations.py), and each connected group of two or
more is a network (networks/grouping.py). A connected group an investigator cannot work
(too big, or two tight groups held together by a thread) is split with Leiden
(networks/splitting.py), and the threads between the parts are kept as BRIDGES_TO.
Networks are explained by their ties, never by a presumed hierarchy (Cockbain 2018):
nothing here ranks anyone as a leader.

The algorithms run in igraph on edges pulled with plain Cypher, so Neo4j and FalkorDB
give the same networks, and everything is sorted and seeded, so the same graph gives the
same network ids and members every time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import igraph as ig

from csenet.columns import isin
from csenet.networks import associations, facilitators
from csenet.networks.describe import bridging_scores, describe
from csenet.networks.facts import Facts
from csenet.networks.grouping import acquaintance, against_exploited_children, associates, group, mapping_ocgs
from csenet.networks.model import (
    CSE_CRIME,
    DETECTION_VERSION,
    FACILITATOR,
    PERPETRATOR,
    ROLE_ORDER,
    VICTIM,
    DetectionParams,
    Network,
    digest_id,
)
from csenet.networks.splitting import split_component

__all__ = ["DETECTION_VERSION", "PERPETRATOR", "FACILITATOR", "VICTIM", "ROLE_ORDER", "DetectionParams", "Network",
           "Detection", "detect", "digest_id", "mapping_ocgs", "split_component"]


@dataclass
class Detection:
    facts: Facts
    links: associations.Links
    facilitation: facilitators.Facilitation
    networks: list[Network]
    bridges: list[dict[str, Any]]
    scores: list[dict[str, Any]]
    split_components: int
    components: dict[str, str] = field(default_factory=dict)  # every tie-graph vertex -> its component's id


@dataclass
class _Involved:
    """Who is involved in CSE, and how: the vertices of the tie graph."""

    perp_incidents: dict[str, set[str]]
    incident_suspects: dict[str, set[str]]
    incident_victims: dict[str, set[str]]
    mapped_cse: set[str]
    perpetrators: set[str]
    facilitators: set[str]
    against: set[str]


@dataclass
class _Ties:
    """The tie graph: one vertex per involved person, one weighted edge per association."""

    people: list[str]
    index: dict[str, int]
    graph: ig.Graph
    edges: list[tuple[int, int]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    evidence: list[Any] = field(default_factory=list)

    def add(self, links: associations.Links, params: DetectionParams, only: set[str] | None = None) -> None:
        """Edges of every link between two vertices (touching `only`, when given) strong enough to count."""
        edges: list[tuple[int, int]] = []
        weights: list[float] = []
        for (a, b), ev in sorted(links.pairs.items()):
            if only is not None and a not in only and b not in only:
                continue
            if a in self.index and b in self.index and ev.weight() >= params.min_tie_weight:
                edges.append((self.index[a], self.index[b]))
                weights.append(ev.weight())
                self.evidence.append(ev)
        self.graph.add_edges(edges, attributes={"weight": weights})
        self.edges += edges
        self.weights += weights


def _involved(facts: Facts, found: facilitators.Facilitation) -> _Involved:
    inc = facts.incidents.set_index("incident_id")
    cse = {i for i, v in inc["cse"].items() if v}
    perp_incidents: dict[str, set[str]] = defaultdict(set)
    incident_suspects: dict[str, set[str]] = defaultdict(set)
    incident_victims: dict[str, set[str]] = defaultdict(set)
    for r in facts.roles[isin(facts.roles["incident_id"], cse)].itertuples():
        if r.role in associations.PERPETRATOR_ROLES:
            perp_incidents[r.person_id].add(r.incident_id)
            incident_suspects[r.incident_id].add(r.person_id)
        elif r.role == "VICTIM":
            incident_victims[r.incident_id].add(r.person_id)
    # The force's own intelligence: a member of an OCG mapped for CSE is involved in CSE.
    mapped_cse = {r.person_id for r in facts.ocg.itertuples() if str(r.primary_crime or "").upper() == CSE_CRIME}
    perpetrators = set(perp_incidents) | mapped_cse
    facs = set(found.reasons) - perpetrators
    against = against_exploited_children(facts, cse, incident_victims) - perpetrators - facs
    return _Involved(perp_incidents, incident_suspects, incident_victims, mapped_cse, perpetrators, facs, against)


def _tie_graph(involved: _Involved, links: associations.Links, params: DetectionParams) -> _Ties:
    people = sorted(involved.perpetrators | involved.facilitators | involved.against)
    ties = _Ties(people, {p: k for k, p in enumerate(people)}, ig.Graph(n=len(people)))
    ties.graph.vs["name"] = people
    ties.add(links, params)
    ties.graph.es["weight"] = ties.weights  # set even when there is no edge, as the splitter reads it
    return ties


def _join_associates(ties: _Ties, groups: list[list[int]], joined: dict[str, int], links: associations.Links,
                     params: DetectionParams) -> set[str]:
    """Add the associates `joined` to the graph and to their groups; returns them."""
    new = sorted(joined)
    for p in new:
        ties.index[p] = len(ties.people)
        ties.people.append(p)
    ties.graph.add_vertices(len(new))
    ties.graph.vs["name"] = ties.people
    ties.add(links, params, only=set(new))
    for p in new:
        groups[joined[p]].append(ties.index[p])
    return set(new)


def _networks(ties: _Ties, groups: list[list[int]], perpetrators: set[str],
              components: dict[str, str]) -> tuple[list[Network], dict]:
    """One Network per group, with its connected component; and each vertex's networks.
    `components` gets every vertex's component id."""
    people = ties.people
    component = {}
    for comp in ties.graph.connected_components():
        cid = digest_id("CMP-", [people[v] for v in comp])
        for v in comp:
            component[v] = (cid, len(comp))
            components[people[v]] = cid
    networks: list[Network] = []
    group_of: dict[int, list[int]] = defaultdict(list)
    for grp in groups:
        members = sorted(people[v] for v in grp)
        cid, csize = component[grp[0]]
        networks.append(Network(digest_id("NET-", members), members,
                                {p: PERPETRATOR if p in perpetrators else FACILITATOR for p in members}, cid, csize))
        for v in grp:
            group_of[v].append(len(networks) - 1)
    return networks, group_of


def _ties_by_network(ties: _Ties, networks: list[Network], group_of: dict[int, list[int]]):
    """Edges inside each network; edges and shared members between two networks (a pair of network numbers)."""
    def pair(x: int, y: int) -> tuple[int, int]:
        return (x, y) if networks[x].network_id < networks[y].network_id else (y, x)

    cross: dict[tuple[int, int], list] = defaultdict(list)
    shared: dict[tuple[int, int], set[int]] = defaultdict(set)
    internal: dict[int, list] = defaultdict(list)
    for (s, t), w, ev in zip(ties.edges, ties.weights, ties.evidence):
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
    return internal, cross, shared


def _bridges(people: list[str], networks: list[Network], group_of: dict[int, list[int]], cross, shared):
    """Two networks are bridged by ties between their members, or by a member they share."""
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
    return bridges, bridge_nets


def _involvement(net: Network, inv: _Involved, found, offended: set[str], associated: set[str]) -> dict:
    return {p: [why for why, yes in (("CSE_INCIDENT", p in inv.perp_incidents),
                                     ("CSE_OCG_MAPPING", p in inv.mapped_cse),
                                     ("FACILITATION", p in found.reasons),
                                     ("OFFENCE_AGAINST_EXPLOITED_CHILD", p in offended),
                                     ("ASSOCIATE_OF_MEMBERS", p in associated)) if yes]
            for p in net.members}


def detect(facts: Facts, params: DetectionParams) -> Detection:
    """Networks from the facts, in memory: no graph access, so it can be tested and timed alone."""
    links = associations.derive(facts, params.window_days)
    found = facilitators.find(facts, links)
    inv = _involved(facts, found)
    ties = _tie_graph(inv, links, params)

    knows = acquaintance(facts, params)
    ocgs_of: dict[int, set[str]] = defaultdict(set)
    for r in facts.ocg.itertuples():
        if r.person_id in ties.index:
            ocgs_of[ties.index[r.person_id]].add(r.ocg_id)
    primary = {ties.index[p] for p in inv.perpetrators | inv.facilitators}
    groups, split_count = group(ties.graph, ties.evidence, params, knows, primary, ocgs_of)
    joined = associates(facts, links, ties.people, groups, params, knows)
    associated = _join_associates(ties, groups, joined, links, params) if joined else set()
    offended = inv.against & {ties.people[v] for grp in groups for v in grp}
    perpetrators = inv.perpetrators | associated | offended

    components: dict[str, str] = {}
    networks, group_of = _networks(ties, groups, perpetrators, components)
    internal, cross, shared = _ties_by_network(ties, networks, group_of)
    inc = facts.incidents.set_index("incident_id")
    date, district, basis = inc["date"].to_dict(), inc["district"].to_dict(), inc["basis"].to_dict()
    ocg_of: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for r in facts.ocg.itertuples():
        ocg_of[r.person_id].append((r.ocg_id, r.primary_crime))
    for k, net in enumerate(networks):
        net.involvement = _involvement(net, inv, found, offended, associated)
        describe(net, internal[k], inv.perp_incidents, found, inv.incident_suspects, inv.incident_victims,
                 date, district, basis, ocg_of, params)
    bridges, bridge_nets = _bridges(ties.people, networks, group_of, cross, shared)
    scores = bridging_scores(ties.graph, ties.people, bridge_nets)
    return Detection(facts, links, found, networks, bridges, scores, split_count, components)
