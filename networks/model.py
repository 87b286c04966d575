# SPDX-License-Identifier: GPL-3.0-or-later
"""What network detection is tuned by and what it finds: thresholds, roles, a network."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

from csenet.settings import Settings

DETECTION_VERSION = "networks/1.2"
PERPETRATOR, FACILITATOR, VICTIM = "PERPETRATOR", "FACILITATOR", "VICTIM"
ROLE_ORDER = {PERPETRATOR: 0, FACILITATOR: 1, VICTIM: 2}
CSE_CRIME = "CSE"


@dataclass(frozen=True)
class DetectionParams:
    """Thresholds of network detection; `network_<name>` in the settings overrides each."""

    window_days: int = 90           # same premises: CSE incidents at most this far apart
    min_tie_weight: float = 1.0     # weaker association evidence does not join a network
    max_network_size: int = 25      # a bigger connected group is always split
    split_min_size: int = 8         # a smaller one is never split
    min_split_modularity: float = 0.4
    min_part_size: int = 4          # a weakly knit group splits only into parts this big ...
    min_part_density: float = 0.4   # ... each knit on its own
    resolution: float = 1.0
    associate_min_ties: int = 2     # members a non-suspect must be tied to, to join (0: never)
    victim_only_groups: bool = False  # people tied only by abusing the same child form a network
    doubt_same_person: bool = False  # a shared phone between two people not told apart by birth date joins no one
    seed: int = 2019

    @classmethod
    def from_settings(cls, settings: Settings | None, **overrides: Any) -> DetectionParams:
        values = {f.name: getattr(settings, "network_" + f.name) for f in fields(cls)
                  if settings is not None and getattr(settings, "network_" + f.name, None) is not None}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


@dataclass
class Network:
    network_id: str
    members: list[str]
    roles: dict[str, str]
    component_id: str
    component_size: int
    props: dict[str, Any] = field(default_factory=dict)
    member_incidents: dict[str, list[str]] = field(default_factory=dict)
    involvement: dict[str, list[str]] = field(default_factory=dict)
    victims: dict[str, list[str]] = field(default_factory=dict)


def digest_id(prefix: str, ids: list[str]) -> str:
    return prefix + hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()[:12].upper()
