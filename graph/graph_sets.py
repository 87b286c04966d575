# SPDX-License-Identifier: GPL-3.0-or-later
"""A first load's facts as the final nodes and relationships an empty graph is given by an
engine's bulk path (neo4j-admin import, FalkorDB's GRAPH.BULK) instead of MERGE batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class NotImportable(Exception):
    """The rows hold a value the bulk format cannot say exactly as a MERGE would store it."""


@dataclass
class NodeSet:
    label: str
    key: str
    properties: Mapping[str, dict[str, Any]]
    """key value -> every property of the node (the key among them)."""


@dataclass
class RelSet:
    type: str
    start: tuple[str, str]
    end: tuple[str, str]
    rows: Sequence[tuple[str, str, dict[str, Any]]]
    """(start key value, end key value, properties) per relationship."""
