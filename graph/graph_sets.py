# SPDX-License-Identifier: GPL-3.0-or-later
"""A first load's facts as the final nodes and relationships an empty graph is given by an
engine's bulk path (neo4j-admin import, FalkorDB's GRAPH.BULK) instead of MERGE batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


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


@dataclass
class NodeFrame:
    """A node set as columns (FalkorDB's bulk path packs them without a dict per node): one
    row per node, one column per property, the key among them; a missing value (None,
    NaN) is no property. Each value of a column in `lists` is sent as a list holding it;
    `constants` are properties every node has."""
    label: str
    key: str
    frame: pd.DataFrame
    lists: tuple[str, ...] = ()
    constants: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RelFrame:
    """A relationship set as columns: `starts` and `ends` hold the key values of its ends,
    `frame` its properties, row for row (read as NodeFrame's)."""
    type: str
    start: tuple[str, str]
    end: tuple[str, str]
    starts: pd.Series
    ends: pd.Series
    frame: pd.DataFrame
    lists: tuple[str, ...] = ()
    constants: Mapping[str, Any] = field(default_factory=dict)
