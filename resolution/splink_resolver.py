"""Probabilistic person resolution with Splink: explainable, reversible, stable across runs.

Strong identifiers and analysts' must-link rules join records outright; Splink scores
every other candidate pair; pairs at or above the threshold join unless their dates
of birth conflict. Records with full dates are clustered first, checked for cannot-link
pairs and conflicting dates reached through chains, and split strongest-link-first
where they break a rule; records without one are then placed with the one person they
fit, or left apart when two different people fit them.
Nothing is deleted: every refused or doubtful link is returned for review.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import model_store
from . import splink_model as sm
from .clustering import (
    METHODS, MODEL, MUST_LINK, NATIONAL_ID, PHONE, Edges, cluster, components, entities, group_edges,
    record_strength, review_frame, weak_bridges,
)
from .explain import Explanation, explain_pair
from .link_rules import check_consistent, read_link_rules  # noqa: F401  (public API)
from .normalise import prepare
from .types import Resolution
from .undated import Scored, attach_undated

__all__ = ["resolve", "explain", "read_link_rules", "Explanation"]

REVIEW_FLOOR = 0.8  # pairs this likely but under the threshold are shown to an analyst
RIVAL_FLOOR = 0.02  # pairs scored down to here, so an undated record's rivals are seen
BRIDGE_REVIEW_BELOW = 0.99

_MODELS: dict[str, dict] = {}  # records fingerprint -> settings, so explain uses resolve's model


def _fingerprint(records: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(records["record_id"].astype(str), index=False).values.tobytes())
    return h.hexdigest()


def _rule_pairs(link_rules: pd.DataFrame | None, pos: dict[str, int], progress) -> tuple[Edges, list, list]:
    if link_rules is None or link_rules.empty:
        return Edges.concat([]), [], []
    check_consistent(link_rules)
    must, cannot, skipped = [], [], 0
    for a, b, rule in link_rules[["record_id_a", "record_id_b", "rule"]].itertuples(index=False):
        if str(a) not in pos or str(b) not in pos:
            skipped += 1
            continue
        (must if rule == "MUST_LINK" else cannot).append((pos[str(a)], pos[str(b)]))
    if skipped:
        progress(f"{skipped} link rule(s) name records not in this input; ignored")
    edges = Edges.of([a for a, _ in must], [b for _, b in must], 1.0, MUST_LINK)
    return edges, cannot, must


def _phone_edges(prepared) -> Edges:
    phones = prepared.column("phones").to_pandas().explode().dropna()
    keys = pd.Series(phones.values, index=phones.index)
    src, dst = group_edges(keys.reset_index(drop=True))
    rows = keys.index.to_numpy()
    return Edges.of(rows[src], rows[dst], 1.0, PHONE)


def _cluster(n: int, edges: Edges, dob: list, cannot: list, cannot_of: dict, scored: Scored, threshold: float,
             weak: float):
    """Dated records first, then undated ones joined to the one person they fit, then the rest.

    A record without a full date of birth can join two people whose dates differ; clustered
    with the dated records it would chain them or be placed by chance, so it is placed
    after them (see `attach_undated`). Returns (labels, edges with any under-threshold
    links `attach_undated` used, kept edge mask, review rows).
    """
    full = np.array([bool(d) and len(d) == 10 for d in dob])
    strong = edges.kind < MODEL
    core = strong | (full[edges.src] & full[edges.dst])
    labels, _, refused = cluster(n, edges.subset(core), dob, cannot)
    anchored = full.copy()
    anchored[edges.src[strong]] = anchored[edges.dst[strong]] = True
    labels, joined, ambiguous, review, weak_links = attach_undated(
        labels, anchored, scored, threshold, weak, dob, cannot_of)
    if weak_links:
        s, d, q, wt = (np.array(col) for col in zip(*weak_links))
        edges = Edges.concat([edges, Edges.of(s, d, q, MODEL, wt)])
        core = np.r_[core, np.zeros(len(s), dtype=bool)]
    loose = ~anchored & ~joined & ~ambiguous
    rest = ~core & loose[edges.src] & loose[edges.dst] & (edges.prob >= threshold)
    if rest.any():
        sub, _, more = cluster(n, edges.subset(rest), dob, cannot)
        labels = np.where(loose, labels.max() + 1 + sub, labels)
        refused += more
    refused_keys = {(s, d) for s, d, _, _ in refused}
    kept = labels[edges.src] == labels[edges.dst]
    if refused_keys:
        kept &= ~np.array([(s, d) in refused_keys for s, d in zip(edges.src.tolist(), edges.dst.tolist())])
    review += [(s, d, q, f"REFUSED:{why}") for s, d, q, why in refused]
    return labels, edges, kept, review


def _scored_pairs(tm: sm.TrainedModel) -> tuple[np.ndarray, ...]:
    """Every pair scored down to RIVAL_FLOOR: positions a, b, probability, weight, and the
    flags conflict (dates, or twins), slip (a vouched near-miss date), twins, place."""
    pred = tm.linker.inference.predict(threshold_match_probability=RIVAL_FLOOR, warning_mode="never")
    pairs = tm.db.duckdb_con.sql(sm.predictions_sql(pred.physical_name, RIVAL_FLOOR)).df()
    pred.drop_table_from_database_and_remove_from_cache()
    col = {k: pairs[k].to_numpy(bool) for k in ("dob_conflict", "dob_slip", "twins", "place")}
    twins = col["twins"] & ~col["dob_conflict"]
    return (pairs["a"].to_numpy(np.int64), pairs["b"].to_numpy(np.int64), pairs["p"].to_numpy(float),
            pairs["w"].to_numpy(float), col["dob_conflict"] | twins, col["dob_slip"], twins, col["place"])


def _review(n: int, edges: Edges, kept: np.ndarray, labels: np.ndarray, review: list, scored: tuple,
            threshold: float, floor: float, split_weak_bridges: bool) -> tuple[np.ndarray, list]:
    """Pairs for an analyst: refused dates/twins, weak bridges (split if asked), near misses."""
    a, b, p, conflict, twins = scored
    dob_refused = (p >= threshold) & conflict
    review += [(s, d, q, "REFUSED:" + ("TWINS" if t else "DOB_CONFLICT"))
               for s, d, q, t in zip(a[dob_refused], b[dob_refused], p[dob_refused], twins[dob_refused])]
    for s, d, q in weak_bridges(n, edges, kept, BRIDGE_REVIEW_BELOW):
        if split_weak_bridges:
            kept[(edges.src == s) & (edges.dst == d)] = False
        review.append((s, d, q, "SPLIT:WEAK_BRIDGE" if split_weak_bridges else "WEAK_BRIDGE"))
    if split_weak_bridges:
        labels = components(n, edges.src[kept], edges.dst[kept])
    near = (p >= floor) & (p < threshold) & ~conflict
    near &= labels[a] != labels[b]
    review += [(s, d, q, "BELOW_THRESHOLD") for s, d, q in zip(a[near], b[near], p[near])]

    return labels, review


def resolve(records: pd.DataFrame, previous: dict[str, str] | None = None, *, threshold: float = 0.95,
            link_on_shared_phone: bool = False, link_rules: pd.DataFrame | None = None,
            progress: Callable[[str], None] | None = None, review_floor: float = REVIEW_FLOOR,
            split_weak_bridges: bool = False, model: dict | None = None, model_dir: Path | None = None,
            term_frequencies: dict[str, pd.DataFrame] | None = None) -> Resolution:
    """Resolve person records into people.

    `model` is a Splink settings dict (e.g. from a previous run) to score with instead
    of training; by default parameters are learned from `records` without labels
    (shipped defaults for inputs too small to learn from). With `model_dir` the model
    is kept there under its model_version, for `csenet explain` to reuse exactly.
    `term_frequencies` (with `model`) score `records` as a neighbourhood of a larger set
    (resolution/incremental.py).
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold}")
    say = progress or (lambda _msg: None)
    records = records.reset_index(drop=True)
    rid = records["record_id"].astype(str)
    if rid.duplicated().any():
        raise ValueError(f"record_id must be unique; repeated: {rid[rid.duplicated()].iloc[0]!r}")
    n = len(records)
    if n == 0:
        return Resolution(entities=entities(rid, np.zeros(0, np.int64), np.zeros(0), np.zeros(0, object), "", previous))
    pos = {r: i for i, r in enumerate(rid)}
    say(f"normalising {n:,} records")
    prepared = prepare(records)
    must_edges, cannot, _ = _rule_pairs(link_rules, pos, say)
    nid_src, nid_dst = group_edges(prepared.column("nid").to_pandas())
    parts = [must_edges, Edges.of(nid_src, nid_dst, 1.0, NATIONAL_ID)]
    if link_on_shared_phone:
        parts.append(_phone_edges(prepared))

    tm = sm.build(prepared, progress=say, settings_dict=model, term_frequencies=term_frequencies if model else None)
    version = sm.model_version(tm.settings, threshold)
    _MODELS[_fingerprint(records)] = tm.settings
    if model_dir is not None:
        model_store.save(model_dir, tm.settings, threshold)
    floor = min(review_floor, threshold)
    say("scoring candidate pairs")
    a, b, p, w, conflict, slip, twins, place = _scored_pairs(tm)
    accept = (p >= threshold) & ~conflict
    parts.append(Edges.of(a[accept], b[accept], p[accept], MODEL, w[accept], slip[accept]))
    edges = Edges.concat(parts)
    dob = prepared.column("dob").to_pylist()
    cannot_of: dict[int, set[int]] = {}
    for x, y in cannot:
        cannot_of.setdefault(x, set()).add(y)
        cannot_of.setdefault(y, set()).add(x)

    say(f"clustering {len(edges.src):,} links")
    scored = Scored(a[~conflict], b[~conflict], p[~conflict], w[~conflict], place[~conflict])
    labels, edges, kept, review = _cluster(n, edges, dob, cannot, cannot_of, scored, threshold, floor)
    labels, review = _review(n, edges, kept, labels, review, (a, b, p, conflict, twins), threshold, floor,
                             split_weak_bridges)
    prob, kind = record_strength(n, edges, kept)
    methods = np.array([METHODS[k] for k in kind], dtype=object)
    ent = entities(rid, labels, prob, methods, version, previous)
    rid_arr = rid.to_numpy()
    rev = review_frame([(rid_arr[s], rid_arr[d], round(q, 6), why) for s, d, q, why in review])
    say(f"{ent['person_id'].nunique():,} people from {n:,} records; {len(rev):,} pairs for review")
    return Resolution(entities=ent, review=rev)


def explain(records: pd.DataFrame, record_a: str, record_b: str, *, threshold: float = 0.95,
            model: dict | None = None, link_rules: pd.DataFrame | None = None) -> Explanation:
    """Why the model would (or would not) link two records, comparison by comparison.

    Uses `model` if given, else the model the last `resolve` over these same records
    trained, else trains one as `resolve` would.
    """
    records = records.reset_index(drop=True)
    settings = model or _MODELS.get(_fingerprint(records))
    if settings is None:
        prepared = prepare(records)
        settings = sm.build(prepared, progress=lambda _m: None).settings
        _MODELS[_fingerprint(records)] = settings
    return explain_pair(records, str(record_a), str(record_b), settings, threshold, link_rules)
