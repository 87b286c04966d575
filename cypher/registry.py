"""Canned queries as data: one `.cypher` file each, a `//` metadata header, one registry.

Header lines (before the first non-comment line):

    // name: network_members
    // title: One network: members, roles, victims and evidence
    // purpose: one line saying what an investigator learns
    // inquiry: which finding of the Inquiry it addresses
    // param: network_id string required -- the network's id
    // param: limit int default=100 min=1 max=1000 -- most rows
    // returns: network_id, person_id, member_role

The body is Neo4j Cypher (what a Browser user copies). `cypher/falkordb/NAME.cypher`
holds a FalkorDB variant only where the dialects differ. CLI, API and the Browser guide
all read this one registry.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from csenet.errors import InputError

HERE = Path(__file__).resolve().parent
TYPES = ("string", "int", "float", "bool", "date")
_PARAM_REF = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class QueryDefinitionError(InputError):
    """A .cypher file's header is malformed: a developer's error, raised at load."""


class QueryParamError(InputError):
    """A caller's parameter is wrong; the message says what to fix."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool = False
    default: Any = None
    min: float | None = None
    max: float | None = None
    description: str = ""

    def coerce(self, raw: Any) -> Any:
        """The value as its declared type, inside its bounds, or QueryParamError."""
        if raw is None or (isinstance(raw, str) and raw == "" and self.type != "string"):
            return None
        try:
            value: Any = _COERCE[self.type](raw)
        except (TypeError, ValueError):
            raise QueryParamError("%s must be %s, got %r" % (self.name, _ARTICLE[self.type], raw)) from None
        if self.type in ("int", "float"):
            if self.min is not None and value < self.min:
                raise QueryParamError("%s must be at least %s, got %s" % (self.name, _num(self.min), value))
            if self.max is not None and value > self.max:
                raise QueryParamError("%s must be at most %s, got %s" % (self.name, _num(self.max), value))
        if self.type == "string" and self.max is not None and len(value) > self.max:
            raise QueryParamError("%s must be at most %d characters" % (self.name, int(self.max)))
        return value


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(raw)


def _int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, float) and not raw.is_integer():
        raise ValueError(raw)
    return int(str(raw).strip()) if isinstance(raw, str) else int(raw)


def _float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(raw)
    value = float(raw)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(raw)
    return value


def _date(raw: Any) -> str:
    if isinstance(raw, _dt.date):
        return raw.isoformat()
    return _dt.date.fromisoformat(str(raw).strip()).isoformat()


def _string(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(raw)
    return raw


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_COERCE = {"string": _string, "int": _int, "float": _float, "bool": _bool, "date": _date}
_ARTICLE = {"string": "text", "int": "a whole number", "float": "a number", "bool": "true or false",
            "date": "a date YYYY-MM-DD"}


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    purpose: str
    inquiry: str
    params: tuple[Param, ...]
    returns: tuple[str, ...]
    neo4j_text: str
    falkordb_text: str | None = None
    path: Path | None = field(default=None, compare=False)

    def text_for(self, dialect: str) -> str:
        if dialect == "falkordb" and self.falkordb_text is not None:
            return self.falkordb_text
        return self.neo4j_text

    def bind(self, raw: Mapping[str, Any] | None) -> dict[str, Any]:
        """Every declared parameter, typed and bounded; unknown or missing ones refused."""
        raw = dict(raw or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise QueryParamError("%s takes no parameter %s; it takes: %s"
                                  % (self.name, ", ".join(unknown), ", ".join(sorted(known)) or "none"))
        bound: dict[str, Any] = {}
        for p in self.params:
            value = p.coerce(raw.get(p.name))
            if value is None:
                if p.required:
                    raise QueryParamError("%s needs the parameter %s (%s)" % (self.name, p.name, p.description or p.type))
                value = p.default
            bound[p.name] = value
        return bound


def _parse_default(ptype: str, text: str) -> Any:
    return _COERCE[ptype](text) if ptype != "string" else text


def parse_param(line: str, where: str) -> Param:
    spec, _, description = line.partition("--")
    words = spec.split()
    if len(words) < 2 or words[1] not in TYPES or not _NAME.match(words[0]):
        raise QueryDefinitionError("%s: param line %r: want 'NAME TYPE [required] [default=V] [min=N] [max=N]'"
                                   % (where, line))
    name, ptype = words[0], words[1]
    opts: dict[str, Any] = {"required": False}
    for word in words[2:]:
        if word == "required":
            opts["required"] = True
        elif word == "optional":
            opts["required"] = False
        elif "=" in word:
            key, value = word.split("=", 1)
            if key == "default":
                opts["default"] = _parse_default(ptype, value)
            elif key in ("min", "max"):
                opts[key] = float(value)
            else:
                raise QueryDefinitionError("%s: unknown param option %r" % (where, key))
        else:
            raise QueryDefinitionError("%s: unknown param word %r" % (where, word))
    return Param(name=name, type=ptype, description=description.strip(), **opts)


def parse(text: str, where: str = "<query>") -> tuple[dict[str, Any], str]:
    meta: dict[str, Any] = {"params": [], "returns": ()}
    lines = text.splitlines()
    body_start = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("//"):
            body_start = i
            break
        key, sep, value = stripped[2:].strip().partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "param":
            meta["params"].append(parse_param(value, where))
        elif key == "returns":
            meta["returns"] = tuple(c.strip() for c in value.split(",") if c.strip())
        elif key in ("name", "title", "purpose", "inquiry"):
            meta[key] = value
    else:
        body_start = len(lines)
    body = "\n".join(lines[body_start:]).strip()
    return meta, body


def load_file(path: Path) -> CannedQuery:
    meta, body = parse(path.read_text(encoding="utf-8"), str(path))
    for key in ("name", "title", "purpose", "inquiry"):
        if not meta.get(key):
            raise QueryDefinitionError("%s: header has no '// %s:' line" % (path, key))
    if meta["name"] != path.stem:
        raise QueryDefinitionError("%s: name %r differs from the file name" % (path, meta["name"]))
    if not body:
        raise QueryDefinitionError("%s: no query after the header" % path)
    falkordb_text = None
    variant = path.parent / "falkordb" / path.name
    if variant.exists():
        _, falkordb_text = parse(variant.read_text(encoding="utf-8"), str(variant))
    declared = {p.name for p in meta["params"]}
    for text, where in ((body, path), (falkordb_text, variant)):
        if text is None:
            continue
        used = set(_PARAM_REF.findall(text))
        if used != declared:
            raise QueryDefinitionError("%s: parameters used %s but declared %s" % (where, sorted(used), sorted(declared)))
    return CannedQuery(name=meta["name"], title=meta["title"], purpose=meta["purpose"], inquiry=meta["inquiry"],
                       params=tuple(meta["params"]), returns=meta["returns"], neo4j_text=body,
                       falkordb_text=falkordb_text, path=path)


@lru_cache(maxsize=4)
def load_registry(folder: Path = HERE) -> dict[str, CannedQuery]:
    """name -> query, for every `*.cypher` in the folder, sorted by name."""
    queries = [load_file(p) for p in sorted(folder.glob("*.cypher"))]
    return {q.name: q for q in queries}


def get_query(name: str) -> CannedQuery:
    registry = load_registry()
    if name not in registry:
        raise QueryParamError("no canned query %r; `csenet query --list` lists them" % name)
    return registry[name]
