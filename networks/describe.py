# SPDX-License-Identifier: GPL-3.0-or-later
"""A network's properties (the evidence an investigator reads) and the bridging scores."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import igraph as ig

from csenet.networks.grouping import mapping_ocgs
from csenet.networks.model import CSE_CRIME, DETECTION_VERSION, FACILITATOR, PERPETRATOR, DetectionParams, Network
from csenet.networks.splitting import subgraph


def describe(net: Network, ties: list, perp_incidents, found, incident_suspects, incident_victims,
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


def bridging_scores(g: ig.Graph, people: list[str], bridge_nets: dict[str, set[str]]) -> list[dict[str, Any]]:
    """Normalised betweenness within each connected group: who the groups' paths run through.

    It measures position, not rank or command: a high score says "links otherwise separate
    people", which is where an investigator looks for the next group, not who is in charge.
    """
    scores = [0.0] * len(people)
    for comp in g.connected_components():
        if len(comp) < 3:
            continue
        comp = sorted(comp)
        sub = subgraph(g, comp)
        lengths = [1.0 / w for w in sub.es["weight"]]
        bc = sub.betweenness(directed=False, weights=lengths)
        norm = (len(comp) - 1) * (len(comp) - 2) / 2
        for v, b in zip(comp, bc):
            scores[v] = round(b / norm, 4)
    return [{"person_id": p, "score": scores[k], "nets": sorted(bridge_nets.get(p, ()))}
            for k, p in enumerate(people) if scores[k] > 0 or bridge_nets.get(p)]
