# SPDX-License-Identifier: GPL-3.0-or-later
"""A first load's person layer as columns: the persons, `RESOLVED_TO` and the person-level
projections that write_people's statements (loaders/statements.py) leave in a graph that
holds only this load's facts, for FalkorDB's GRAPH.BULK to append.

Each projection reads what the statement reads, the facts' relationships whose two ends
are nodes, and collects what it collects in the order it collects it: `record_ids`
sorted; an association's grades, source references and records in the order of its
records, source reference and grade. tests/test_falkordb_bulk.py compares the graph
with the one the MERGE statements leave.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from csenet.columns import isin
from csenet.graph.graph_sets import NodeFrame, RelFrame
from csenet.loaders import statements as cy
from csenet.loaders.fact_rows import referenced
from csenet.loaders.validate import ValidBundle

PERSON = ("Person", "person_id")
RECORD = ("PersonRecord", "record_id")


def _exists(frame: pd.DataFrame, column: str, nodes: pd.Index) -> np.ndarray:
    return isin(frame[column], nodes).to_numpy(dtype=bool)


def _collected(pairs: pd.DataFrame, start: str, end: str, rel: str, target: tuple[str, str],
               derived: Mapping[str, Any]) -> Iterator[RelFrame]:
    """One relationship per (start, end) with the distinct record ids of its rows, sorted.
    Most hold one record: those go as a column of texts sent as lists of one, packed by
    Arrow; the others as a column of lists."""
    cols = [start, end, "record_id"]
    # deduplicated and sorted as integer codes in the texts' order: sorting the texts took
    # most of the large force's projections (99 s; 55 s so)
    coded = pd.DataFrame({c: pd.factorize(pairs[c], sort=True)[0] for c in cols})
    coded = coded.drop_duplicates().sort_values(cols, kind="stable")
    pairs = pairs[cols].iloc[coded.index.to_numpy()]
    size = coded.groupby([start, end], sort=False)["record_id"].transform("size").to_numpy()
    one = pairs[size == 1]
    yield RelFrame(rel, PERSON, target, one[start], one[end], pd.DataFrame({"record_ids": one["record_id"]}),
                   lists=("record_ids",), constants=derived)
    many = pairs[size > 1].groupby([start, end], sort=False)["record_id"].agg(list)
    if len(many):
        yield RelFrame(rel, PERSON, target, pd.Series(many.index.get_level_values(0)),
                       pd.Series(many.index.get_level_values(1)),
                       pd.DataFrame({"record_ids": many.to_numpy()}), constants=derived)


def _associates(associations: pd.DataFrame, person_of: pd.Series, records: pd.Index,
                derived: Mapping[str, Any]) -> Iterator[RelFrame]:
    """ASSOCIATE_OF between the persons of two associated records (cy.ASSOCIATE_OF)."""
    a = referenced(associations)
    a = a[_exists(a, "record_id_a", records) & _exists(a, "record_id_b", records)]
    keys = ["record_id_a", "record_id_b", "kind", "source_ref"]
    grade = a["grade"] if "grade" in a.columns else pd.Series(None, index=a.index, dtype=object)
    # one relationship per key; a row with no grade leaves the one an earlier row gave
    a = a.assign(grade=grade.groupby([a[k] for k in keys], sort=False, dropna=False).transform("last"))
    a = a.drop_duplicates(keys, keep="last")
    pa_, pb_ = a["record_id_a"].map(person_of), a["record_id_b"].map(person_of)
    between = (pa_.notna() & pb_.notna() & pa_.ne(pb_)).to_numpy(dtype=bool)
    a, pa_, pb_ = a[between], pa_[between], pb_[between]
    swap = (pa_ > pb_).to_numpy(dtype=bool)
    ra, rb = a["record_id_a"].to_numpy(dtype=object), a["record_id_b"].to_numpy(dtype=object)
    pairs = pd.DataFrame({
        "lo": np.where(swap, pb_, pa_), "hi": np.where(swap, pa_, pb_), "kind": a["kind"].to_numpy(dtype=object),
        "rlo": np.where(swap, rb, ra), "rhi": np.where(swap, ra, rb),
        "source_ref": a["source_ref"].to_numpy(dtype=object), "grade": a["grade"].to_numpy(dtype=object)})
    pairs = pairs.sort_values(["lo", "hi", "kind", "rlo", "rhi", "source_ref", "grade"], kind="stable",
                              na_position="last")
    groups: dict[tuple, tuple[dict, dict, dict, dict]] = {}
    for lo, hi, kind, rlo, rhi, ref, grade in zip(*(pairs[c].tolist() for c in pairs.columns)):
        grades, refs, los, his = groups.setdefault((lo, hi, kind), ({}, {}, {}, {}))
        if grade is not None and grade == grade:
            grades[grade] = None
        refs[ref] = los[rlo] = his[rhi] = None
    if groups:
        props = pd.DataFrame({"kind": [k for _, _, k in groups],
                              "grades": pd.Series([list(g[0]) for g in groups.values()], dtype=object),
                              "source_refs": pd.Series([list(g[1]) for g in groups.values()], dtype=object),
                              "record_ids": pd.Series([list(g[2]) + list(g[3]) for g in groups.values()],
                                                      dtype=object)})
        yield RelFrame("ASSOCIATE_OF", PERSON, PERSON, pd.Series([lo for lo, _, _ in groups], dtype=object),
                       pd.Series([hi for _, hi, _ in groups], dtype=object), props, constants=derived)


def person_frames(valid: ValidBundle, identifiers: pd.DataFrame, entities: pd.DataFrame, everyone: pd.DataFrame,
                  derived: Mapping[str, Any]) -> Iterator[NodeFrame | RelFrame]:
    """Every person (`everyone`: person_properties), its records' `RESOLVED_TO` (`entities`:
    the resolution of every record), then each projection, stamped with `derived`
    (derived_by, derived_load). `identifiers`: the load's identifier links."""
    f = valid.frames
    records = pd.Index(f["person_records"]["record_id"].unique())
    yield NodeFrame(*PERSON, everyone.reset_index(drop=True))
    ent = entities[_exists(entities, "record_id", records)]
    yield RelFrame("RESOLVED_TO", RECORD, PERSON, ent["record_id"], ent["person_id"],
                   ent[["match_probability", "method", "model_version"]])
    person_of = pd.Series(ent["person_id"].to_numpy(dtype=object), index=ent["record_id"].to_numpy(dtype=object))

    def of(frame: pd.DataFrame, column: str, nodes: pd.DataFrame) -> pd.DataFrame:
        """Rows whose record and `column` node (a key of `nodes`) are both nodes, with their person."""
        rows = frame[_exists(frame, "record_id", records) & _exists(frame, column, pd.Index(nodes[column].unique()))]
        return rows.assign(person_id=rows["record_id"].map(person_of)).dropna(subset=["person_id"])

    inv = of(f["involvements"][["incident_id", "record_id", "role"]], "incident_id",
             f.get("incidents", pd.DataFrame(columns=["incident_id"])))
    for role, rel in cy.ROLE_TYPES.items():
        yield from _collected(inv[inv["role"] == role], "person_id", "incident_id", rel, ("Incident", "incident_id"),
                              derived)
    if "associations" in f:
        yield from _associates(f["associations"], person_of, records, derived)
    links = [("USES", identifiers, "identifier_key", ("Identifier", "identifier_key")),
             ("MAPPED_TO", f.get("ocg_members"), "ocg_id", ("OCG", "ocg_id")),
             ("WENT_MISSING", f.get("missing_episodes"), "episode_id", ("MissingEpisode", "episode_id"))]
    for rel, frame, column, target in links:
        if frame is not None:
            yield from _collected(of(frame[["record_id", column]], column, frame), "person_id", column, rel, target,
                                  derived)
