# SPDX-License-Identifier: GPL-3.0-or-later
"""FalkorDB's bulk path: a first load's facts into an empty graph by `GRAPH.BULK`.

A first load's source facts sent as UNWIND ... MERGE batches cost the server a query
plan, an index look-up per MERGE and a Cypher text per row (22 s of the medium force,
while resolution waits for the same two cores). `GRAPH.BULK` (the command
falkordb-bulk-loader drives) takes nodes and relationships as packed binary and creates
them directly. It only creates, so it is used only on a graph with no node (and then to
append the person layer to the graph it made: FalkorStore.bulk_append), and it is given
exactly what the MERGE statements would leave there (loaders/bulk.fact_sets,
loaders/person_layer.py).

Node ids are positions: a relationship names its ends by the ids the server gives the
nodes, which in a graph that never held a node are 0, 1, 2 … in the order sent. So the
empty graph's key is made anew (`BEGIN`), its schema built on it, and the ids checked
after the nodes are in. The format (FalkorDB's src/bulk_insert/bulk_insert.c): each
token is a header (labels or type, NUL-terminated; a 4-byte property count; the names,
NUL-terminated) and then per entity its values, each a type byte and a payload;
relationships first give their two node ids as 8-byte integers.
"""

from __future__ import annotations

import datetime as _dt
import math
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csenet.graph.graph_sets import NodeFrame, NodeSet, NotImportable, RelFrame, RelSet

TOKEN_BYTES = 32 * 2**20
"""Bytes per token, and about per command: far under Redis's 512 MB argument limit."""
ENCODE_ROWS = 200_000
"""Rows of a set packed at a time, so the packing does not grow with a set (on large it was
not where memory peaked). A part's token leaves out a property none of its rows has."""

_NULL, _BOOL, _DOUBLE, _STRING, _LONG, _ARRAY = (bytes([t]) for t in range(6))
_TRUE, _FALSE = _BOOL + b"\x01", _BOOL + b"\x00"
_Q = struct.Struct("<q")
_D = struct.Struct("<d")


def _text(value: str) -> bytes:
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotImportable("a text value is not valid Unicode: %s" % exc.reason) from None
    if b"\x00" in raw:
        raise NotImportable("a text value holds a NUL byte")
    return raw + b"\x00"


def _long(value: int) -> bytes:
    try:
        return _LONG + _Q.pack(value)
    except struct.error:
        raise NotImportable("integer %d outside the 64-bit range" % value) from None


def _double(value: float) -> bytes:
    if not math.isfinite(value):
        raise NotImportable("non-finite number %r" % value)
    return _DOUBLE + _D.pack(value)


def encoder() -> Callable[[Any], bytes]:
    """A value as the server reads it; what a Cypher parameter could not carry is refused.
    Short texts (codes, sources, roles) recur on most rows: each is encoded once."""
    short: dict[str, bytes] = {}

    def text(value: str) -> bytes:
        out = short.get(value)
        if out is None:
            out = _STRING + _text(value)
            if len(value) <= 40:
                short[value] = out
        return out

    def array(value: list | tuple) -> bytes:
        return _ARRAY + _Q.pack(len(value)) + b"".join([encode(v) for v in value])

    by_type: dict[type, Callable[[Any], bytes]] = {
        str: text, int: _long, float: _double, bool: lambda v: _TRUE if v else _FALSE,
        type(None): lambda _v: _NULL, list: array, tuple: array,
        _dt.date: lambda v: text(v.isoformat()), _dt.datetime: lambda v: text(v.isoformat())}

    def encode(value: Any) -> bytes:
        how = by_type.get(type(value))
        if how is None:
            raise NotImportable("a value of type %s" % type(value).__name__)
        return how(value)

    return encode


def _header(name: str, props: Sequence[str]) -> bytes:
    return _text(name) + struct.pack("<I", len(props)) + b"".join(_text(p) for p in props)


def _scalar(value: bytes) -> pa.Scalar:
    return pa.scalar(value, pa.large_binary())


_EMPTY = _scalar(b"")


SCALAR_KINDS = frozenset({"string", "integer", "floating", "boolean", "empty"})
"""Pandas' inferred kinds of a column that encode_column packs by Arrow at once."""


def _records(packed: np.ndarray) -> pa.Array:
    """A structured array's records as binary values, one per record, without copying each."""
    offsets = np.arange(len(packed) + 1, dtype=np.int64) * packed.dtype.itemsize
    return pa.Array.from_buffers(pa.large_binary(), len(packed), [None, pa.py_buffer(offsets), pa.py_buffer(packed)])


def _fixed(type_byte: bytes, values: np.ndarray, fmt: str) -> pa.Array:
    """One type byte and a fixed-width payload per value, without a Python object per value."""
    packed = np.empty(len(values), dtype=[("t", "u1"), ("v", fmt)])
    packed["t"] = type_byte[0]
    packed["v"] = values
    return _records(packed)


def encode_column(values: pd.Series) -> pa.Array:
    """Each value of a column as the server reads it, a missing one (None, NaN) as NULL.
    Columns of one scalar type are packed by Arrow; any other column value by value by
    `encoder`, so a mixed column keeps each value's own type, as a MERGE would."""
    missing = values.isna().to_numpy(dtype=bool)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    try:
        if kind not in SCALAR_KINDS:
            raise TypeError(kind)
        if kind == "empty":
            return pa.array([_NULL] * len(values), pa.large_binary())
        if kind == "string":
            text = pa.array(values, type=pa.large_string(), from_pandas=True)
            if pc.any(pc.match_substring(text, "\x00")).as_py():
                raise NotImportable("a text value holds a NUL byte")
            out = pc.binary_join_element_wise(_scalar(_STRING), text.cast(pa.large_binary()), _scalar(b"\x00"), _EMPTY)
        elif kind == "integer":
            out = _fixed(_LONG, values.where(~missing, 0).to_numpy(dtype=np.int64), "<i8")
        elif kind == "floating":
            numbers = values.where(~missing, 0.0).to_numpy(dtype=np.float64)
            if not np.isfinite(numbers).all():
                raise NotImportable("non-finite number in a column")
            out = _fixed(_DOUBLE, numbers, "<f8")
        else:
            out = _fixed(_BOOL, values.where(~missing, False).to_numpy(dtype=bool).astype(np.uint8), "u1")
    except (TypeError, ValueError, OverflowError, UnicodeError, pa.ArrowException):
        encode = encoder()  # one value at a time: it names what it refuses
        return pa.array([_NULL if gone else encode(v) for v, gone in zip(values.tolist(), missing)],
                        pa.large_binary())
    return pc.if_else(pa.array(missing), _scalar(_NULL), out) if missing.any() else out


def _entities(columns: list[pa.Array | pa.Scalar]) -> pa.Array:
    """Each row's values packed one after another: the entities of a token."""
    return pc.binary_join_element_wise(*columns, _EMPTY)


def _properties(frame: pd.DataFrame, lists: Sequence[str], constants: Mapping[str, Any]) -> tuple[list[str], list]:
    """(names, packed column or constant per name); a column with no value is left out."""
    encode = encoder()
    names: list[str] = []
    packed: list[pa.Array | pa.Scalar] = []
    for name in frame.columns:
        column = frame[name]
        if not column.notna().any():
            continue
        out = encode_column(column)
        if name in lists:  # a list of one: its type byte and length, then the value
            head = _scalar(_ARRAY + _Q.pack(1))
            out = pc.if_else(column.isna().to_numpy(dtype=bool), _scalar(_NULL),
                             pc.binary_join_element_wise(head, out, _EMPTY))
        names.append(str(name))
        packed.append(out)
    for name, value in constants.items():
        names.append(name)
        packed.append(_scalar(encode(value)))
    return names, packed


def _tokens(header: bytes, entities: pa.Array) -> Iterator[tuple[bytes, int]]:
    """(token, entities in it), each token about TOKEN_BYTES at most (one entity at least)."""
    entities = entities.cast(pa.large_binary())
    count = len(entities)
    if not count:
        return
    offsets = np.frombuffer(entities.buffers()[1], dtype=np.int64)[entities.offset:entities.offset + count + 1]
    data = entities.buffers()[2]
    at = 0
    while at < count:
        end = int(np.searchsorted(offsets, offsets[at] + TOKEN_BYTES - len(header), side="right")) - 1
        end = min(max(end, at + 1), count)
        yield header + data[int(offsets[at]):int(offsets[end])].to_pybytes(), end - at
        at = end


def node_frame(nodes: NodeSet) -> NodeFrame:
    """A NodeSet as columns, each column's values as given (object columns: no int made float)."""
    names = list(dict.fromkeys(name for props in nodes.properties.values() for name in props))
    rows = list(nodes.properties.values())
    frame = pd.DataFrame({name: pd.Series([props.get(name) for props in rows], dtype=object) for name in names})
    return NodeFrame(nodes.label, nodes.key, frame)


def rel_frame(rels: RelSet) -> RelFrame:
    names = list(dict.fromkeys(name for _, _, props in rels.rows for name in props))
    frame = pd.DataFrame({name: pd.Series([props.get(name) for _, _, props in rels.rows], dtype=object)
                          for name in names}, index=range(len(rels.rows)))
    return RelFrame(rels.type, rels.start, rels.end, pd.Series([a for a, _, _ in rels.rows], dtype=object),
                    pd.Series([b for _, b, _ in rels.rows], dtype=object), frame)


class Plan:
    """GRAPH.BULK commands for a stream of sets, every node set before any relationship set.
    A label may come in several sets, one after another. Node ids are positions: `ids`
    holds, per label, each set's first id and its keys in the order sent; `checks` holds,
    per set, its first and last node with the id it must get, for the caller to verify
    before relationships."""

    def __init__(self) -> None:
        self.ids: dict[str, list[tuple[int, pd.Index]]] = {}
        self.checks: list[tuple[str, str, Any, int]] = []
        self._next = 0
        self._label: str | None = None
        self._rels = False

    def commands(self, sets: Iterable[NodeSet | RelSet | NodeFrame | RelFrame]
                 ) -> Iterator[tuple[int, int, list[bytes], list[bytes]]]:
        """(nodes, relationships, node tokens, relationship tokens) per command, one token each."""
        for item in sets:
            if isinstance(item, NodeSet):
                item = node_frame(item)
            elif isinstance(item, RelSet):
                item = rel_frame(item)
            if isinstance(item, NodeFrame):
                if self._rels:
                    raise NotImportable("the %s nodes come after relationships" % item.label)
                yield from self._nodes(item)
            else:
                self._rels = True
                for token, n in self._relationships(item):
                    yield 0, n, [], [token]

    @property
    def next_id(self) -> int:
        """The id the next node sent will get: the number of nodes sent."""
        return self._next

    def resume(self) -> None:
        """Take node sets again after relationships, for commands that follow those sent
        (their nodes' ids already checked)."""
        self.checks = []
        self._label = None
        self._rels = False

    def id_of(self, label: str, keys: Sequence[Any]) -> np.ndarray:
        """The node id of each key value; -1 where no node of `label` has it."""
        out = np.full(len(keys), -1, dtype=np.int64)
        for first, index in self.ids.get(label, []):
            at = index.get_indexer(keys)
            out = np.where(at >= 0, first + at, out)
        return out

    def _nodes(self, nodes: NodeFrame) -> Iterator[tuple[int, int, list[bytes], list[bytes]]]:
        if nodes.label in self.ids and nodes.label != self._label:
            raise NotImportable("the %s nodes come in two sets" % nodes.label)
        self._label = nodes.label
        keys = pd.Index(nodes.frame[nodes.key].to_numpy(dtype=object) if len(nodes.frame) else [], dtype=object)
        taken = (self.id_of(nodes.label, keys) >= 0).any() if nodes.label in self.ids else False
        if not keys.is_unique or taken or keys.hasnans:
            raise NotImportable("the %s nodes repeat a key or lack one" % nodes.label)
        if not len(keys):
            return
        first = self._next
        self.ids.setdefault(nodes.label, []).append((first, keys))
        self._next += len(keys)
        self.checks += [(nodes.label, nodes.key, keys[0], first), (nodes.label, nodes.key, keys[-1], self._next - 1)]
        for at in range(0, len(keys), ENCODE_ROWS):
            names, packed = _properties(nodes.frame.iloc[at:at + ENCODE_ROWS], nodes.lists, nodes.constants)
            for token, n in _tokens(_header(nodes.label, names), _entities(packed)):
                yield n, 0, [token], []

    def _relationships(self, rels: RelFrame) -> Iterator[tuple[bytes, int]]:
        starts = self.id_of(rels.start[0], rels.starts.to_numpy(dtype=object))
        ends = self.id_of(rels.end[0], rels.ends.to_numpy(dtype=object))
        if (starts < 0).any() or (ends < 0).any():
            raise NotImportable("a %s relationship names a node not sent before it" % rels.type)
        if not len(starts):
            return
        pair = np.empty(len(starts), dtype=[("a", "<u8"), ("b", "<u8")])
        pair["a"], pair["b"] = starts, ends
        for at in range(0, len(pair), ENCODE_ROWS):
            names, packed = _properties(rels.frame.iloc[at:at + ENCODE_ROWS], rels.lists, rels.constants)
            yield from _tokens(_header(rels.type, names), _entities([_records(pair[at:at + ENCODE_ROWS]), *packed]))
