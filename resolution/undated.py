"""Placing records without a full date of birth, after the dated records are clustered.

An undated record can fit two people whose dates differ; clustered with the dated
records it would chain them or be placed by chance. So it joins the one person it fits,
or stays apart (and is shown for review) when another person fits it about as well.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csenet.columns import isin

from .normalise import dob_compatible, dob_near

AMBIGUITY_MARGIN = 5.0  # bits: a rival person within 32x the best match makes the choice a guess


@dataclass
class Scored:
    """Every scored pair the model returned (record positions, probability, match weight,
    and whether a postcode or phone number agrees: `place`)."""

    a: np.ndarray
    b: np.ndarray
    p: np.ndarray
    w: np.ndarray
    place: np.ndarray | None = None


def _unexplained(dobs_a, dobs_b, agree) -> bool:
    """Each side holds a date the other side has nothing to `agree` with.

    One-sided is not enough: a person whose records an identifier joined may carry a
    mistyped date, and that date alone must not keep their other records apart.
    """
    return any(not any(agree(x, y) for y in dobs_b) for x in dobs_a) and \
        any(not any(agree(y, x) for x in dobs_a) for y in dobs_b)


def _both_ways(scored: Scored) -> pd.DataFrame:
    place = scored.place if scored.place is not None else np.zeros(len(scored.a), dtype=bool)
    return pd.DataFrame({"u": np.concatenate([scored.a, scored.b]), "v": np.concatenate([scored.b, scored.a]),
                         "p": np.tile(scored.p, 2), "w": np.tile(scored.w, 2), "pl": np.tile(place, 2)})


def _rivals(both: pd.DataFrame, us, anchored, labels) -> dict[int, list[tuple[int, float, bool]]]:
    """Per record: every person (or floating record v, as -1 - v) it might be, best weight
    and whether any of its links agrees on place."""
    others = both[isin(both.u, us)]
    others = others.assign(c=np.where(anchored[others.v.values], labels[others.v.values], -1 - others.v.values))
    others = others.groupby(["u", "c"]).agg(w=("w", "max"), pl=("pl", "max")).reset_index()
    out: dict[int, list[tuple[int, float, bool]]] = {}
    for u, c, w, pl in zip(others.u.tolist(), others.c.tolist(), others.w.tolist(), others.pl.tolist()):
        out.setdefault(u, []).append((c, w, bool(pl)))
    return out


def _cluster_dobs(labels, anchored, full, dobs_arr) -> dict[int, set[str]]:
    members = pd.Series(np.arange(len(labels)))[anchored]
    dated = members[full[anchored]]
    out: dict[int, set[str]] = {}
    pairs = pd.DataFrame({"c": labels[dated.values], "d": dobs_arr[dated.values]}).drop_duplicates()
    for c, d in zip(pairs.c.tolist(), pairs.d.tolist()):
        out.setdefault(c, set()).add(d)
    return out


def _is_rival(best_pl: bool, rival_pl: bool, best_dobs, rival_dobs, always: bool) -> bool:
    """A rival within the margin makes the choice a guess, unless the best link agrees on
    postcode or phone and the rival's does not (the place, not chance, picks the person),
    or the two persons' dates are one slip apart (one person, not two)."""
    if best_pl and not rival_pl:
        return False
    return always or _unexplained(best_dobs, rival_dobs or (), dob_near)


class _Round:
    """One round of placing: candidates per record, rivals, and the dates each person holds."""

    def __init__(self, both, labels, anchored, ambiguous, full, dobs_arr):
        cand = both[~anchored[both.u.values] & ~ambiguous[both.u.values] & anchored[both.v.values]]
        cand = cand.assign(c=labels[cand.v.values]).sort_values(["u", "c", "w"], ascending=[True, True, False])
        cand = cand.drop_duplicates(["u", "c"])
        self.rivals = _rivals(both, cand.u.unique(), anchored, labels) if len(cand) else {}
        self.dobs = _cluster_dobs(labels, anchored, full, dobs_arr)
        size = pd.Series(np.arange(len(labels)))[anchored].groupby(labels[anchored]).size()
        cand = cand.assign(size=size.reindex(cand.c.values).values)
        self.cand = cand.sort_values(["u", "w", "size", "c"], ascending=[True, False, False, True])


def _usable(rows: list[tuple], u: int, dob, dobs_of, labels, cannot, review) -> list[tuple]:
    """Candidate persons whose dates could be this record's and no cannot-link forbids."""
    usable = []
    for v, p, w, c, pl in rows:
        dobs = dobs_of.get(c, ())
        if dob[u] and dobs and not any(dob_compatible(dob[u], d) for d in dobs):
            continue
        if u in cannot and any(labels[x] == c for x in cannot[u]):
            review.append((u, v, p, "REFUSED:CANNOT_LINK"))
            continue
        usable.append((v, p, w, c, pl, dobs))
    return usable


def _choose(u, usable, rnd: _Round, threshold, weak, margin, review, weak_links) -> tuple[int | None, bool]:
    """(person to join or None, ambiguous?) for record `u` from its usable candidates."""
    v, p, w, c, pl, dobs = usable[0]
    if p < threshold:
        if p < weak or any(
                rc != c and rw >= w - margin
                and _is_rival(pl, rpl, dobs, rnd.dobs.get(rc), rc < 0 or not rnd.dobs.get(rc))
                for rc, rw, rpl in rnd.rivals.get(u, ())):
            return None, False
        weak_links.append((u, v, p, w))
        return c, False
    rivals = [r for r in usable[1:] if r[2] >= w - margin and _is_rival(pl, r[4], dobs, r[5], False)]
    if rivals:
        review += [(u, r[0], r[1], "AMBIGUOUS:UNDATED") for r in [usable[0], *rivals]]
        return None, True
    return c, False


def attach_undated(labels: np.ndarray, anchored: np.ndarray, scored: Scored, threshold: float, weak: float,
                   dob: list[str | None], cannot: dict[int, set[int]], rounds: int = 3,
                   margin: float = AMBIGUITY_MARGIN):
    """Join each record without a full date of birth to the one dated person it matches.

    An undated (or partly dated) record joins the person its best link (at or above
    `threshold`) reaches, unless another person whose date of birth is clearly different
    matches within `margin` bits: "John Walker, 12 Mill Road" with no date fits the father
    and the son equally. A best link that agrees on postcode or phone is not rivalled by
    one that does not. A best link under the threshold but at least `weak` still joins
    when nobody else scores within `margin` bits. Records joined this round anchor the
    next; `scored` must reach well below `weak` so rivals show.
    Returns (labels, joined mask, ambiguous mask, review rows (src, dst, prob, reason),
    the under-threshold links used (src, dst, prob, weight)).
    """
    labels, anchored = labels.copy(), anchored.copy()
    joined = np.zeros(len(labels), dtype=bool)
    ambiguous = np.zeros(len(labels), dtype=bool)
    review: list[tuple[int, int, float, str]] = []
    weak_links: list[tuple[int, int, float, float]] = []
    full = np.array([bool(d) and len(d) == 10 for d in dob])
    dobs_arr = np.array(dob, dtype=object)
    both = _both_ways(scored)
    for _ in range(rounds):
        rnd = _Round(both, labels, anchored, ambiguous, full, dobs_arr)
        if rnd.cand.empty:
            break
        moved = 0
        cols = [rnd.cand[k].tolist() for k in ("v", "p", "w", "c", "pl")]
        us = rnd.cand.u.to_numpy()
        starts = np.flatnonzero(np.r_[True, np.diff(us) != 0]).tolist() + [len(us)]
        for lo, hi in zip(starts[:-1], starts[1:]):
            u = int(us[lo])
            usable = _usable(list(zip(*(col[lo:hi] for col in cols))), u, dob, rnd.dobs, labels, cannot, review)
            if not usable:
                continue
            c, amb = _choose(u, usable, rnd, threshold, weak, margin, review, weak_links)
            ambiguous[u] |= amb
            if c is not None:
                labels[u], joined[u] = c, True
                moved += 1
        anchored |= joined
        if not moved:
            break
    return labels, joined, ambiguous, review, weak_links
