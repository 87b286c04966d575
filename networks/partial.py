# SPDX-License-Identifier: GPL-3.0-or-later
"""Network detection around what a load changed, instead of over the whole graph.

A network, its ties and its people's bridging scores depend only on one connected
component of the tie graph and on the evidence its people share with their neighbours.
So after a delta it is enough to recompute the *part*: the people the day touched, and
every component they were in before or are in now. The part's facts are read outwards
from the people around it (networks/facts.py `around`), and the part grows until it is
closed:
- it holds the whole previous component (`Network.component_id`) of each of its people,
  and the whole new component;
- everyone tied to it by association evidence (last time or now) and everyone who shares
  an incident with it is read, and for them what decides whether they are involved in
  CSE (`_to_read`): the part's ties and their other ends are then what a whole detection
  would find.
Only the part's links, networks and scores are replaced; every other network stays as it
is. tests/test_partial_detection.py and tests/test_delta_equivalence.py prove the result
equals a whole detection, and bench/delta.py checks it at scale. A part too big to be
worth it gives way to a whole detection (docs/networks.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass

from csenet.graph.store import GraphStore, read_paged
from csenet.networks.associations import DERIVED_BY
from csenet.networks.detection import Detection, DetectionParams, detect
from csenet.networks.facts import load_facts, read_chunked
from csenet.networks.facts_queries import (Q_CO_SUSPECTS, Q_COMPONENT_PEOPLE, Q_COMPONENTS_OF, Q_CSE_PEOPLE,
                                           Q_INCIDENT_SHARERS,
                                           Q_LINKED, Q_OCG, Q_SHORT_NETWORKS, Q_THEIR_VICTIMS)
from csenet.networks.model import DETECTION_VERSION

MAX_ROUNDS = 12


@dataclass
class Part:
    """The people whose networks were recomputed, and the facts read for them."""

    people: set[str]
    read: set[str]
    rounds: int


def params_digest(params: DetectionParams) -> str:
    """What a detection's result depends on besides the graph: a part may only be
    recomputed under the settings and code the rest was detected with."""
    text = json.dumps({"params": asdict(params), "detection": DETECTION_VERSION, "links": DERIVED_BY},
                      sort_keys=True)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _ids(store: GraphStore, query: str, ids: Iterable[str], key: str = "person_id") -> set[str]:
    return {r[key] for r in read_chunked(store, query, sorted(set(ids))) if r[key] is not None}


def _whole_components(store: GraphStore, people: set[str]) -> set[str]:
    """`people` with everyone in the previous components holding any of them."""
    components = _ids(store, Q_COMPONENTS_OF, people, "component_id")
    return people | _ids(store, Q_COMPONENT_PEOPLE, components)


def _to_read(store: GraphStore, part: set[str], partners: set[str]) -> set[str]:
    """Whose facts detection around `part` reads.

    The part, who shares an incident with it, who the last detection tied to it, and who
    this detection did (`partners`): every tie of the part's people rests on evidence
    read from one of them. Then, for those it is or may be tied to (co-suspects too),
    whether each is involved in CSE as a whole detection would see it: who the last
    detection tied to them (a facilitator's perpetrators), and the children of the
    incidents they are suspects in (the offence against an exploited child). The children
    of the CSE incidents read are read too (networks/facts.py), for introductions."""
    linked = _ids(store, Q_LINKED, part)
    tied = part | partners | linked | _ids(store, Q_CO_SUSPECTS, part)
    return (tied | _ids(store, Q_INCIDENT_SHARERS, part) | _ids(store, Q_LINKED, tied)
            | _ids(store, Q_THEIR_VICTIMS, tied))


def short_networks(store: GraphStore) -> set[str]:
    """Components of networks that lost a member since they were written (a person merged
    into another): their people must be looked at again though none of them was touched."""
    return {r["component_id"] for r in store.read(Q_SHORT_NETWORKS) if r["component_id"]}


def detect_part(store: GraphStore, seeds: Collection[str], params: DetectionParams, *, max_people: int,
                components: Collection[str] = ()) -> tuple[Detection, Part] | None:
    """Detection on the closed part around `seeds` (and the people of `components`);
    None when the facts to read would cover more than `max_people` people."""
    ocg_cse = {p for row in read_paged(store, Q_OCG, "ocg_id")
               if str(row.get("primary_crime") or "").upper() == "CSE" for p in row.get("people") or []}
    part = _whole_components(store, set(seeds) | _ids(store, Q_COMPONENT_PEOPLE, components))
    partners: set[str] = set()
    read: set[str] = set()
    result, rounds = None, 0
    while True:
        # Facts are read again only when the grown part needs someone not read yet: facts
        # around more people are the same rows and more, so the last result still holds.
        need = _to_read(store, part, partners)
        if result is None or not need <= read:
            rounds += 1
            read |= need
            if len(read) > max_people or rounds > MAX_ROUNDS:
                return None
            core = _ids(store, Q_CSE_PEOPLE, read) | (ocg_cse & read)
            facts = load_facts(store, around=(read, core))
            # Evidence for every pair with an end in the whole core, as a whole detection
            # derives it: how the part finds who else it is tied to.
            everyone = set(facts.persons["person_id"]) - read
            facts.core = frozenset(core | _ids(store, Q_CSE_PEOPLE, everyone) | (ocg_cse & everyone))
            result = detect(facts, params)
        tied = {p for pair in result.links.pairs for p in pair if pair[0] in part or pair[1] in part}
        touching = {result.components[p] for p in part if p in result.components}
        grown = _whole_components(store, part | {p for p, c in result.components.items() if c in touching})
        if grown == part and tied <= partners:  # and all `_to_read` wants for them was read
            return result, Part(part, read, rounds)
        part, partners = grown, partners | tied
