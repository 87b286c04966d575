"""The ground truth of each incident, derived from what was generated rather than from
what kind of case was meant: an incident meets the CSE definition when ANY victim in it
was a child (under 18 in calendar years) on the day of the offence as recorded
(occurred_at, else reported_at), was subjected to sexual activity, and there was an
exchange (something the victim needed or wanted, or gain for the perpetrator or a
facilitator)."""

from __future__ import annotations

import numpy as np

from .force import LONE, NET_ADULT, NET_SEX, VICTIM, Force
from .people import age_on


def offence_day(force: Force) -> np.ndarray:
    """Day (since 1970) the age is judged on, per incident: the recorded occurred_at, or
    reported_at when the bundle leaves occurred_at blank (occ_prec 0)."""
    I = force.incidents
    return np.where(I["occ_prec"] > 0, I["occurred"] // 1440, I["reported"] // 1440)


def child_victim(force: Force) -> np.ndarray:
    """Per incident: at least one person involved as VICTIM was under 18 on the offence day."""
    I, V = force.incidents, force.involvements
    out = np.zeros(len(I), dtype=bool)
    vic = V["role"] == VICTIM
    inc = V["incident"][vic]
    age = age_on(force.pop.table["dob"][V["person"][vic]], offence_day(force)[inc])
    out[inc[age < 18]] = True
    return out


def derive(force: Force) -> np.ndarray:
    """Set `meets` for every incident from its facts and return it. Planted exploitation
    whose victims had all turned 18 by the day becomes NET_ADULT, the category officers
    misflag as adult exploitation."""
    I = force.incidents
    meets = child_victim(force) & I["sexual"] & I["exchange"]
    I.set("meets", meets)
    cat = I["cat"].copy()
    cat[np.isin(cat, (NET_SEX, LONE)) & ~meets] = NET_ADULT
    I.set("cat", cat)
    return meets
