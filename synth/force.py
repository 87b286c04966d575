"""The state of one synthetic force while it is being generated: who lives there,
what was recorded about them, and the ground truth the records hide."""

from __future__ import annotations

import numpy as np

from .geography import Geography
from .names import NameBook
from .people import Population
from .scales import Scale
from .table import Table

ROLES = ("VICTIM", "SUSPECT", "OFFENDER", "WITNESS", "REPORTER", "OTHER")
VICTIM, SUSPECT, OFFENDER, WITNESS, REPORTER, OTHER = range(6)

# What kind of case an incident is; decides how officers flag it.
BG, BG_CHILD, NET_SEX, NET_WELFARE, LONE, INTRA, CSA_OTHER, ADULT_GIFT, CCE, NET_ADULT = range(10)
# Flags an officer could plausibly apply besides CSE.
H_DA, H_MISSING, H_ONLINE, H_GANG, H_CSA, H_CCE = 1, 2, 4, 8, 16, 32

GRADES = ["B2", "B2", "C3", "B3", "C2", "A1", "E4", "1/A/P", "2/B/P", "1/B/P", "2/A/P", "3/C/C", "2/C/P"]


class Pool:
    """Weighted sampling of people within a district, vectorised over many draws."""

    def __init__(self, members: np.ndarray, districts: np.ndarray, weights: np.ndarray, n_districts: int) -> None:
        keep = weights > 0
        members, districts, weights = members[keep], districts[keep], weights[keep]
        order = np.lexsort((members, districts))
        self.members = members[order]
        d = districts[order]
        w = weights[order]
        self.key = np.empty(len(w))
        present = np.zeros(n_districts, dtype=bool)
        for k in np.unique(d):
            m = d == k
            c = np.cumsum(w[m])
            self.key[m] = k + c / c[-1]
            present[k] = True
        avail = np.flatnonzero(present)
        if not len(avail):
            raise ValueError("empty pool")
        self.dmap = np.array([k if present[k] else avail[k % len(avail)] for k in range(n_districts)])

    def sample(self, rng: np.random.Generator, districts: np.ndarray) -> np.ndarray:
        u = self.dmap[np.asarray(districts)] + rng.random(len(districts)) * (1 - 1e-9) + 1e-12
        return self.members[np.minimum(np.searchsorted(self.key, u), len(self.key) - 1)]

    def one(self, rng: np.random.Generator, district: int) -> int:
        return int(self.sample(rng, np.array([district]))[0])


class Force:
    def __init__(self, scale: Scale, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.scale = scale
        self.names = NameBook()
        self.n_residents = int(scale.incidents * 1.15) + 400
        self.geo = Geography(self.rng, scale.districts, self.n_residents)
        self.pop = Population(self.rng, self.names, self.geo)
        self.incidents = Table(occurred="i8", occ_prec="i8", reported="i8", code="O", offence="O", loc="i8",
                               district="i8", summary="O", cat="i8", sexual="?", exchange="?", meets="?",
                               is_cce="?", network="O", hints="i8")
        self.involvements = Table(incident="i8", person="i8", role="i8")
        self.associations = Table(a="i8", b="i8", kind="O", source_ref="O", grade="O", day="i8")
        self.identifiers = Table(person="i8", kind="O", value="O", day="i8")
        self.ocg = Table(ocg_id="O", name="O", person="i8", crime="O", day="i8")
        self.missing = Table(person="i8", start="i8", end="i8", found="i8")
        self.truth_net = Table(network="O", kind="O", person="i8", role="O")
        self._intel_seq = 0
        self._ocg_seq = 0

    # -- helpers for the planted cases -------------------------------------------
    def incident(self, day: int, *, code: str, offence: str, loc: int, district: int, summary: str, cat: int,
                 sexual: bool, exchange: bool, is_cce: bool = False, network: str = "", hints: int = 0,
                 delay_days: int | None = None, occ_prec: int | None = None) -> int:
        rng = self.rng
        occurred = day * 1440 + int(rng.integers(0, 1440))
        if delay_days is None:
            delay_days = int(rng.choice([0, 0, 0, 1, 1, 2, 3, 7, 14, 30, 60]))
        reported = occurred + delay_days * 1440 + int(rng.integers(10, 600))
        if occ_prec is None:
            occ_prec = int(rng.choice([1, 2, 2, 2]))
        return self.incidents.append(occurred=occurred, occ_prec=occ_prec, reported=reported, code=code,
                                     offence=offence, loc=loc, district=district, summary=summary, cat=cat,
                                     sexual=sexual, exchange=exchange, is_cce=is_cce, network=network, hints=hints)

    def involve(self, incident: int, person: int, role: int) -> None:
        self.involvements.append(incident=incident, person=person, role=role)

    def intel_ref(self, day: int) -> str:
        self._intel_seq += 1
        year = int(np.datetime64(int(day), "D").astype("datetime64[Y]").astype(int)) + 1970
        return f"IR/{year}/{self._intel_seq:06d}"

    def grade(self) -> str:
        return GRADES[int(self.rng.integers(len(GRADES)))]

    def associate(self, a: int, b: int, kind: str, day: int) -> None:
        self.associations.append(a=a, b=b, kind=kind, source_ref=self.intel_ref(day), grade=self.grade(), day=day)

    def new_ocg_id(self) -> str:
        self._ocg_seq += 1
        return f"OCG-{self._ocg_seq:04d}"
