"""Turning scored links into people: components, constraints, weak bridges, stable ids.

Plain connected components chain different people together through one doubtful link,
so clusters that break a rule (a cannot-link pair, conflicting full dates of birth) are
rebuilt strongest link first, refusing any merge that would break it; clusters held
together by a single weak bridge are reported for review.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np
import pandas as pd

from .normalise import dob_compatible, dob_near
from .types import RESOLUTION_COLUMNS, stable_person_ids
from .undated import _unexplained

REVIEW_COLUMNS = ["record_id_a", "record_id_b", "match_probability", "reason"]

# edge kinds, strongest first; a lower number wins when choosing the method shown
MUST_LINK, NATIONAL_ID, PHONE, MODEL = 0, 1, 2, 3
METHODS = {MUST_LINK: "must_link", NATIONAL_ID: "national_id", PHONE: "phone", MODEL: "splink", -1: "single"}


def components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Connected-component label per node (igraph, in C: millions of edges in a second)."""
    g = ig.Graph(n=n, edges=np.column_stack([src, dst]).astype(np.int64), directed=False)
    return np.asarray(g.connected_components().membership, dtype=np.int64)


def group_edges(keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Edges joining every row to the first row sharing its (non-null) key."""
    keys = keys.reset_index(drop=True)
    present = keys.notna()
    idx = pd.Series(np.arange(len(keys)))[present]
    first = idx.groupby(keys[present].values).transform("min")
    keep = first.values != idx.values
    return first.values[keep].astype(np.int64), idx.values[keep].astype(np.int64)


@dataclass
class Edges:
    """Candidate links between record positions, each with a probability and a kind."""

    src: np.ndarray
    dst: np.ndarray
    prob: np.ndarray
    kind: np.ndarray
    weight: np.ndarray  # match weight in bits, the order links are tried in; inf for identifiers and rules
    slip: np.ndarray  # dates of birth a slip apart, vouched for by name, gender and address/phone/id

    FIELDS = ("src", "dst", "prob", "kind", "weight", "slip")

    @classmethod
    def concat(cls, parts: list["Edges"]) -> "Edges":
        parts = [p for p in parts if len(p.src)]
        if not parts:
            z = np.zeros(0, dtype=np.int64)
            return cls(z, z, np.zeros(0), z, np.zeros(0), np.zeros(0, dtype=bool))
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.FIELDS))

    @classmethod
    def of(cls, src, dst, prob, kind: int, weight=np.inf, slip=False) -> "Edges":
        src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
        prob = np.broadcast_to(np.asarray(prob, dtype=float), src.shape).copy()
        weight = np.broadcast_to(np.asarray(weight, dtype=float), src.shape).copy()
        slip = np.broadcast_to(np.asarray(slip, dtype=bool), src.shape).copy()
        return cls(src, dst, prob, np.full(src.shape, kind, dtype=np.int64), weight, slip)

    def subset(self, mask: np.ndarray) -> "Edges":
        return Edges(*(getattr(self, f)[mask] for f in self.FIELDS))


class _Sets:
    """Union-find whose sets remember their members' dates of birth and cannot-link partners."""

    def __init__(self, nodes, dobs: dict[int, str], cannot: dict[int, set[int]]):
        self.parent = {v: v for v in nodes}
        self.members = {v: {v} for v in nodes}
        self.dobs = {v: ({dobs[v]} if dobs.get(v) else set()) for v in nodes}
        self.cannot = {v: set(cannot.get(v, ())) for v in nodes}

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def conflict(self, a: int, b: int, check_dob: bool, slip: bool = False) -> str | None:
        """Why `a` and `b` may not join; a vouched slip tolerates dates one keying slip apart."""
        if self.cannot[a] & self.members[b] or self.cannot[b] & self.members[a]:
            return "CANNOT_LINK"
        agree = dob_near if slip else dob_compatible
        if check_dob and self.dobs[a] and self.dobs[b] and _unexplained(self.dobs[a], self.dobs[b], agree):
            return "DOB_CONFLICT"
        return None

    def union(self, a: int, b: int) -> None:
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        for d in ("members", "dobs", "cannot"):
            getattr(self, d)[a] |= getattr(self, d).pop(b)


def _conflicted_components(labels, dob, cannot_pairs) -> set[int]:
    """Components that hold a cannot-link pair or two full dates of birth that cannot agree."""
    bad = {int(labels[a]) for a, b in cannot_pairs if labels[a] == labels[b]}
    frame = pd.DataFrame({"c": labels, "dob": dob}).dropna().drop_duplicates()
    multi = frame[frame["c"].duplicated(keep=False)]
    for c, dobs in multi.groupby("c")["dob"]:
        values = list(dobs)
        if any(not dob_compatible(x, y) for i, x in enumerate(values) for y in values[i + 1:]):
            bad.add(int(c))
    return bad


def cluster(n: int, edges: Edges, dob: list[str | None], cannot_pairs: list[tuple[int, int]]):
    """Cluster label per record plus the review rows for links refused while splitting.

    Must-link and national-id edges may join conflicting dates of birth (the identifier
    is better evidence than a mistyped date; a shared phone is not, households share
    them); nothing may join a cannot-link
    pair. Conflicted components are rebuilt in match-weight order: probabilities saturate
    at 1.0, weights do not, so a link with an identical date beats one with a slipped digit.
    Returns (labels, kept edge mask, refused: list of (src, dst, prob, reason)).
    """
    labels = components(n, edges.src, edges.dst)
    kept = np.ones(len(edges.src), dtype=bool)
    refused: list[tuple[int, int, float, str]] = []
    bad = _conflicted_components(labels, dob, cannot_pairs)
    if not bad:
        return labels, kept, refused
    in_bad = np.isin(labels[edges.src], list(bad))
    nodes = np.flatnonzero(np.isin(labels, list(bad)))
    cannot: dict[int, set[int]] = {}
    for a, b in cannot_pairs:
        cannot.setdefault(a, set()).add(b)
        cannot.setdefault(b, set()).add(a)
    sets = _Sets(nodes.tolist(), {int(v): dob[v] for v in nodes}, cannot)
    order = np.flatnonzero(in_bad)
    order = order[np.lexsort((edges.kind[order], -edges.weight[order]))]
    for e in order:
        a, b = sets.find(int(edges.src[e])), sets.find(int(edges.dst[e]))
        if a == b:
            continue
        why = sets.conflict(a, b, check_dob=edges.kind[e] >= PHONE, slip=bool(edges.slip[e]))
        if why:
            kept[e] = False
            refused.append((int(edges.src[e]), int(edges.dst[e]), float(edges.prob[e]), why))
        else:
            sets.union(a, b)
    relabel = labels.copy()
    offset = labels.max() + 1
    for v in nodes:
        relabel[v] = offset + sets.find(int(v))
    kept &= relabel[edges.src] == relabel[edges.dst]
    return relabel, kept, refused


def weak_bridges(n: int, edges: Edges, kept: np.ndarray, below: float) -> list[tuple[int, int, float]]:
    """Model links that alone hold two groups of records together, weaker than `below`.

    A record joining a person by one link is normal; two groups of two or more records
    joined by a single doubtful link is how connected components chain two people.
    """
    idx = np.flatnonzero(kept)
    if not len(idx):
        return []
    g = ig.Graph(n=n, edges=np.column_stack([edges.src[idx], edges.dst[idx]]), directed=False)
    degree = np.asarray(g.degree())
    out = []
    for b in g.bridges():
        e = idx[b]
        s, d = int(edges.src[e]), int(edges.dst[e])
        if edges.kind[e] == MODEL and edges.prob[e] < below and degree[s] > 1 and degree[d] > 1:
            out.append((s, d, float(edges.prob[e])))
    return out


def record_strength(n: int, edges: Edges, kept: np.ndarray):
    """Per record: the link that joined it to its person (its strongest kept link) and its kind.

    Strong identifiers and analyst rules count as 1.0; a record with no link is 'single'.
    """
    prob = np.ones(n)
    kind = np.full(n, -1, dtype=np.int64)
    if kept.any():
        e = pd.DataFrame({
            "node": np.concatenate([edges.src[kept], edges.dst[kept]]),
            "p": np.tile(np.where(edges.kind[kept] == MODEL, edges.prob[kept], 1.0), 2),
            "k": np.tile(edges.kind[kept], 2),
        }).sort_values(["node", "p", "k"], ascending=[True, False, True]).drop_duplicates("node")
        prob[e["node"].values] = e["p"].values
        kind[e["node"].values] = e["k"].values
    return prob, kind


def entities(record_ids: pd.Series, labels: np.ndarray, prob: np.ndarray, methods: np.ndarray,
             model_version: str, previous: dict[str, str] | None) -> pd.DataFrame:
    """The entities frame, naming clusters with ids that survive re-resolution."""
    rid = record_ids.astype(str).to_numpy()
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    clusters = {int(labels[g[0]]): rid[g].tolist() for g in np.split(order, bounds)} if len(order) else {}
    names = stable_person_ids(clusters, previous)
    person = pd.Series(labels).map(names)
    return pd.DataFrame({
        "record_id": rid, "person_id": person.values, "match_probability": np.round(prob, 6),
        "method": methods, "model_version": model_version,
    })[RESOLUTION_COLUMNS]


def review_frame(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    if frame.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    return frame.sort_values(["reason", "match_probability"], ascending=[True, False]).reset_index(drop=True)
