# SPDX-License-Identifier: GPL-3.0-or-later
"""FalkorDB's bulk path: a first load's facts into an empty graph by `GRAPH.BULK`.

A first load's source facts sent as UNWIND ... MERGE batches cost the server a query
plan, an index look-up per MERGE and a Cypher text per row (22 s of the medium force,
while resolution waits for the same two cores). `GRAPH.BULK` (the command
falkordb-bulk-loader drives) takes nodes and relationships as packed binary and creates
them directly. It only creates, so it is used only on a graph with no node, and it is
given exactly what the MERGE statements would leave there (loaders/bulk.fact_sets).

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

from csenet.graph.graph_sets import NodeSet, NotImportable, RelSet

TOKEN_BYTES = 32 * 2**20
"""Bytes per token, and about per command: far under Redis's 512 MB argument limit."""

_NULL, _BOOL, _DOUBLE, _STRING, _LONG, _ARRAY = (bytes([t]) for t in range(6))
_TRUE, _FALSE = _BOOL + b"\x01", _BOOL + b"\x00"
_Q = struct.Struct("<q")
_D = struct.Struct("<d")
_ENDS = struct.Struct("<QQ")


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


def _names(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for props in rows:
        names.update(dict.fromkeys(props))
    return list(names)


def _tokens(header: bytes, entities: Iterable[bytes]) -> Iterator[tuple[bytes, int]]:
    """(token, entities in it), each token at most about TOKEN_BYTES."""
    parts, size = [header], len(header)
    for packed in entities:
        parts.append(packed)
        size += len(packed)
        if size >= TOKEN_BYTES:
            yield b"".join(parts), len(parts) - 1
            parts, size = [header], len(header)
    if len(parts) > 1:
        yield b"".join(parts), len(parts) - 1


def node_tokens(nodes: NodeSet) -> Iterator[tuple[bytes, int]]:
    names = _names(nodes.properties.values())

    encode = encoder()

    def packed() -> Iterator[bytes]:
        for props in nodes.properties.values():
            get = props.get
            yield b"".join([encode(get(name)) for name in names])

    return _tokens(_header(nodes.label, names), packed())


def rel_tokens(rels: RelSet, ids: Mapping[str, Mapping[str, int]]) -> Iterator[tuple[bytes, int]]:
    """`ids`: label -> key value -> node id. A relationship whose ends were not sent is an
    error here: fact_stream has already dropped those a MERGE would not write."""
    names = _names(props for _, _, props in rels.rows)
    starts, ends = ids.get(rels.start[0], {}), ids.get(rels.end[0], {})
    encode = encoder()

    def packed() -> Iterator[bytes]:
        for a, b, props in rels.rows:
            if a not in starts or b not in ends:
                raise NotImportable("a %s relationship names a node not sent before it" % rels.type)
            get = props.get
            yield _ENDS.pack(starts[a], ends[b]) + b"".join([encode(get(name)) for name in names])

    return _tokens(_header(rels.type, names), packed())


def node_ids(nodes: Sequence[NodeSet], first: int = 0) -> dict[str, dict[str, int]]:
    """The id each node gets when `nodes` are sent in order into a graph that never held one."""
    ids: dict[str, dict[str, int]] = {}
    at = first
    for node_set in nodes:
        label_ids = ids.setdefault(node_set.label, {})
        for key in node_set.properties:
            label_ids[key] = at
            at += 1
    return ids


class Plan:
    """GRAPH.BULK commands for a stream of sets, every node set before any relationship set,
    each set's properties let go once packed. `checks` holds, per node set, its first and
    last node with the id it must get, for the caller to verify before relationships."""

    def __init__(self) -> None:
        self.ids: dict[str, dict[str, int]] = {}
        self.checks: list[tuple[str, str, str, int]] = []
        self._next = 0
        self._rels = False

    def commands(self, sets: Iterable[NodeSet | RelSet]) -> Iterator[tuple[int, int, list[bytes], list[bytes]]]:
        """(nodes, relationships, node tokens, relationship tokens) per command, one token each."""
        for item in sets:
            if isinstance(item, NodeSet):
                if self._rels:
                    raise NotImportable("the %s nodes come after relationships" % item.label)
                yield from self._nodes(item)
            else:
                self._rels = True
                for token, n in rel_tokens(item, self.ids):
                    yield 0, n, [], [token]

    def _nodes(self, nodes: NodeSet) -> Iterator[tuple[int, int, list[bytes], list[bytes]]]:
        if nodes.label in self.ids:
            raise NotImportable("the %s nodes come in two sets" % nodes.label)
        first = self._next
        self.ids.update(node_ids([nodes], first))
        self._next += len(nodes.properties)
        if nodes.properties:
            keys = list(nodes.properties)
            self.checks += [(nodes.label, nodes.key, keys[0], first), (nodes.label, nodes.key, keys[-1], self._next - 1)]
        for token, n in node_tokens(nodes):
            yield n, 0, [token], []
