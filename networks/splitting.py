# SPDX-License-Identifier: GPL-3.0-or-later
"""Splitting a connected group an investigator cannot work: too big, or two tight groups on a thread.

Leiden (seeded) proposes parts; small parts fold into the part they are most tied to;
a weakly knit group is split only into parts that are each knit on their own.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from typing import Any

import igraph as ig
import leidenalg

from csenet.networks.model import DetectionParams


def subgraph(g: ig.Graph, vertices: list[int]) -> ig.Graph:
    """The subgraph on `vertices`, its edges in an order set by those vertices alone.

    igraph's default picks its method by the share of the graph kept, and the two methods
    order edges differently; Leiden's seeded result depends on that order, so a component
    would split one way inside the whole graph and another inside a part of it
    (networks/partial.py)."""
    return g.induced_subgraph(vertices, implementation="create_from_scratch")


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
                sub = subgraph(g, grp)
                out.extend([grp[v] for v in part] for part in split_component(sub, params))
            else:
                out.append(grp)
        return sorted(out, key=lambda p: p[0])
    knit = all(len(grp) >= params.min_part_size and _knit(subgraph(g, grp), params) for grp in groups)
    if knit and g.modularity(membership, weights="weight") >= params.min_split_modularity:
        return groups
    return whole
