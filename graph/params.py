"""Query parameters for FalkorDB, encoded by csenet itself.

The `falkordb` client does not bind parameters on the server: it writes them into a
`CYPHER k=v ...` text header and falls back to `str()` for types it does not know. So
csenet encodes them here, from a whitelist of types, and refuses before anything is sent
what could change the meaning of the query (bad names, NUL bytes, non-finite floats).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping

from csenet.errors import InputError

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_DEPTH = 8


class ParameterError(InputError):
    """A parameter csenet refuses to send."""


def encode_value(value: object, _depth: int = 0) -> str:
    if _depth > MAX_DEPTH:
        raise ParameterError("parameter nested deeper than %d levels" % MAX_DEPTH)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ParameterError("integer %d outside the 64-bit range" % value)
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError("non-finite float %r" % value)
        return repr(value)
    if isinstance(value, str):
        return encode_string(value)
    if isinstance(value, _dt.datetime | _dt.date):
        return encode_string(value.isoformat())
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_value(v, _depth + 1) for v in value) + "]"
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            if not isinstance(k, str) or not NAME.match(k):
                raise ParameterError("map key %r is not a plain identifier" % (k,))
            parts.append("%s:%s" % (k, encode_value(v, _depth + 1)))
        return "{" + ",".join(parts) + "}"
    raise ParameterError("parameter of type %s is not allowed" % type(value).__name__)


def encode_string(value: str) -> str:
    if "\x00" in value:
        raise ParameterError("text contains a NUL byte")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParameterError("text is not valid Unicode: %s" % exc.reason) from None
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cypher_header(params: Mapping[str, object] | None) -> str:
    """`CYPHER a=1 b="x" ` for the given parameters ('' when there are none)."""
    if not params:
        return ""
    parts = []
    for name, value in params.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise ParameterError("parameter name %r is not a plain identifier" % (name,))
        parts.append("%s=%s" % (name, encode_value(value)))
    return "CYPHER " + " ".join(parts) + " "
