"""The flags recording officers applied, as badly as the Inquiry found: the CSE flag
misses about 40% of incidents that meet the definition, and about 40% of the incidents
that carry it do not (abuse with no exchange, county lines, adult victims, guesses)."""

from __future__ import annotations

import numpy as np

from .force import (ADULT_GIFT, BG_CHILD, CCE, CSA_OTHER, H_CCE, H_CSA, H_DA, H_GANG, H_MISSING, H_ONLINE, INTRA,
                    NET_ADULT, NET_WELFARE, Force)

RECALL = 0.6
PRECISION = 0.6
# How likely an officer is to put CSE on an incident that does not meet the definition.
MISFLAG_WEIGHT = {CCE: 1.2, INTRA: 2.0, CSA_OTHER: 2.5, ADULT_GIFT: 3.0, NET_WELFARE: 3.0, NET_ADULT: 3.0, BG_CHILD: 0.12}
OTHER_FLAGS = [("CSA", H_CSA, 0.65), ("CCE", H_CCE, 0.55), ("DA", H_DA, 0.75), ("MISSING", H_MISSING, 0.8),
               ("ONLINE", H_ONLINE, 0.6), ("GANG", H_GANG, 0.45)]


def recorded_flags(force: Force) -> np.ndarray:
    rng = force.rng
    I = force.incidents
    meets, cat, hints = I["meets"], I["cat"], I["hints"]
    n = len(meets)
    cse = np.zeros(n, dtype=bool)
    hit = np.flatnonzero(meets)
    tp = int(round(RECALL * len(hit)))
    cse[rng.choice(hit, tp, replace=False)] = True
    fp = int(round(tp * (1 - PRECISION) / PRECISION))
    weight = np.zeros(n)
    for c, wgt in MISFLAG_WEIGHT.items():
        weight[cat == c] = wgt
    weight[meets] = 0
    cand = np.flatnonzero(weight > 0)
    fp = min(fp, len(cand))
    if fp:
        cse[rng.choice(cand, fp, replace=False, p=weight[cand] / weight[cand].sum())] = True

    out = np.where(cse, "CSE;", "").astype(object)
    for name, bit, p in OTHER_FLAGS:
        on = ((hints & bit) > 0) & (rng.random(n) < p)
        if name == "CSA":
            on |= meets & (rng.random(n) < 0.1)
        out = out + np.where(on, name + ";", "").astype(object)
    return np.array([s[:-1] for s in out], dtype=object)
