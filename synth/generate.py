"""One synthetic force, from residents to written bundle, deterministic per seed."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from . import background, badrows, records, scales
from .bundle import write_bundle, Assembler
from .cases import CasePlanter
from .flags import recorded_flags
from .force import NET_SEX, VICTIM, Force
from .networks import NetworkPlanter
from .people import populate
from .text import Writer
from .truth import derive as derive_truth

Progress = Callable[[str, int, int], None]


class _Planter(NetworkPlanter, CasePlanter):
    """Networks and the other planted cases share one register of who is already used."""


def generate(out: Path, scale: str = "small", seed: int = 7, progress: Progress | None = None) -> dict:
    """Write a record bundle and its ground truth into `out`; return row counts per file.

    The same scale and seed always give byte-identical files.
    """
    sc = scales.get(scale)
    out = Path(out)
    step = progress or (lambda stage, done, total: None)
    force = Force(sc, seed)
    step("residents", 0, 1)
    hh = populate(force.pop, force.n_residents)
    pools = background.build_pools(force, hh)
    step("residents", 1, 1)
    writer = Writer(int(force.rng.integers(2**62)), force.geo)
    planter = _Planter(force, pools, writer)
    planter.plant(sc.networks_per_kind, progress)
    planter.lone_offenders(sc.lone_offenders, progress)
    planter.intrafamilial(sc.intrafamilial)
    planter.csa_other(sc.csa_other)
    planter.adult_gifts(sc.adult_gifts)
    planter.county_lines(sc.county_lines)
    step("planted cases", 1, 1)
    P = force.pop.table
    P["kind"][np.array(sorted(planter.used), dtype=np.int64)] = 1

    n_background = max(0, sc.incidents - len(force.incidents))
    background.generate(force, pools, hh, n_background, writer, progress)
    background.intelligence(force, pools, hh)
    derive_truth(force)
    flags = recorded_flags(force)

    V = force.involvements.columns()
    special = force.incidents["cat"][V["incident"]] >= NET_SEX
    special_victims = np.unique(V["person"][special & (V["role"] == VICTIM)])
    step("person records", 0, 1)
    recs = records.build(force, special_victims)
    step("person records", 1, 1)
    invalid_dob = recs.columns["record_id"][recs.invalid_dob]
    bundle, truth = Assembler(force, recs, flags).frames()
    del recs
    rejects, warnings = badrows.inject(bundle, sc.bad_rows_per_kind, force.rng, invalid_dob)
    truth["expected_rejects.csv"] = rejects
    truth["expected_warnings.csv"] = warnings
    return write_bundle(out, force, bundle, truth, progress)
