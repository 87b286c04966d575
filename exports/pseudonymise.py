# SPDX-License-Identifier: GPL-3.0-or-later
"""Victim pseudonymisation for exports.

Victims of sexual offences have lifelong anonymity (Sexual Offences (Amendment) Act
1992), so an export replaces everything that identifies anyone who is a VICTIM in any
incident — not only in the exported ones: names, date of birth (the year is kept), address,
postcode, phones and other identifiers, national ids, source record ids and csenet ids.
Pseudonyms are keyed (HMAC-SHA256) so the same victim gets the same pseudonym in every
export (charts still merge) while no one without the key can reverse or recompute them.
Victim properties are kept only from an allow-list; their names are also scrubbed from
every free-text value (summaries, a relative's surname). A last scan refuses the export
if any victim name or identifier survived.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from csenet.exports.subgraph import Subgraph, node_id
from csenet.graph.store import GraphStore

from csenet.errors import CsenetError

log = logging.getLogger(__name__)

KEY_BYTES = 32
NAME_PLACEHOLDER = "[victim name]"
VICTIM_PERSON_KEEP = {"gender", "record_count", "resolution_method", "model_version", "derived_by"}
VICTIM_RECORD_KEEP = {"gender", "source", "source_rows", "load_ids"}
VICTIM_IDENTIFIER_KEEP = {"kind", "source", "source_rows", "load_ids"}
_NAME_FIELDS = ("family_name", "given_names")
_IDENTIFYING_FIELDS = ("address", "postcode", "national_id", "date_of_birth_raw")


class PseudonymisationError(CsenetError, RuntimeError):
    """Victim data would have left in an export; nothing is written."""


def load_or_create_key(path: Path) -> bytes:
    """The pseudonym key, created 0600 on first use; never logged, never exported."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            log.warning("pseudonym key file permissions were %o; tightened to 600", mode)
        key = path.read_bytes()
        if len(key) < KEY_BYTES:
            raise PseudonymisationError("pseudonym key file %s is too short; restore it from backup" % path)
        return key
    key = os.urandom(KEY_BYTES)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def pseudonym(key: bytes, kind: str, value: str, prefix: str) -> str:
    digest = hmac.new(key, ("%s\x00%s" % (kind, value)).encode("utf-8"), hashlib.sha256).hexdigest()
    return "%s-%s" % (prefix, digest[:16].upper())


_VICTIM_PERSONS = [
    "UNWIND $ids AS k MATCH (p:Person {person_id: k})-[:VICTIM_IN]->(:Incident) RETURN DISTINCT p.person_id AS id",
    "UNWIND $ids AS k MATCH (p:Person {person_id: k})<-[:RESOLVED_TO]-(:PersonRecord)-[v:INVOLVED_IN]->(:Incident) "
    "WHERE v.role = 'VICTIM' RETURN DISTINCT p.person_id AS id",
]
_VICTIM_RECORDS = [
    "UNWIND $ids AS k MATCH (r:PersonRecord {record_id: k})-[v:INVOLVED_IN]->(:Incident) "
    "WHERE v.role = 'VICTIM' RETURN DISTINCT r.record_id AS id",
    "UNWIND $ids AS k MATCH (r:PersonRecord {record_id: k})-[:RESOLVED_TO]->(:Person)-[:VICTIM_IN]->(:Incident) "
    "RETURN DISTINCT r.record_id AS id",
]
_PERSON_RECORDS = ("UNWIND $ids AS k MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person {person_id: k}) "
                   "RETURN p.person_id AS person_id, properties(r) AS record")
_RECORD_PERSON = ("UNWIND $ids AS k MATCH (r:PersonRecord {record_id: k})-[:RESOLVED_TO]->(p:Person) "
                  "RETURN r.record_id AS record_id, properties(p) AS person")
_RECORDS = "UNWIND $ids AS k MATCH (r:PersonRecord {record_id: k}) RETURN properties(r) AS record"
_PERSONS = "UNWIND $ids AS k MATCH (p:Person {person_id: k}) RETURN properties(p) AS person"
_IDENTIFIERS = [
    "UNWIND $ids AS k MATCH (:Person {person_id: k})-[:USES]->(i:Identifier) RETURN properties(i) AS identifier",
    "UNWIND $ids AS k MATCH (:PersonRecord {record_id: k})-[:HAS_IDENTIFIER]->(i:Identifier) "
    "RETURN properties(i) AS identifier",
]


def _ids(rows: Iterable[dict[str, Any]]) -> set[str]:
    return {str(r["id"]) for r in rows if r.get("id") is not None}


class VictimFacts:
    """Everything that identifies the victims among a subgraph's people, read from the whole graph."""

    def __init__(self, store: GraphStore, sg: Subgraph):
        persons = [n["key"] for n in sg.nodes if n["label"] == "Person"]
        records = [n["key"] for n in sg.nodes if n["label"] == "PersonRecord"]
        self.person_ids: set[str] = set()
        self.record_ids: set[str] = set()
        for q in _VICTIM_PERSONS:
            self.person_ids |= _ids(store.read(q, {"ids": persons})) if persons else set()
        for q in _VICTIM_RECORDS:
            self.record_ids |= _ids(store.read(q, {"ids": records})) if records else set()
        # a victim record's person, and every record of a victim person, are victims too
        person_docs: list[dict[str, Any]] = []
        if self.record_ids:
            for row in store.read(_RECORD_PERSON, {"ids": sorted(self.record_ids)}):
                if row["person"] and row["person"].get("person_id") is not None:
                    self.person_ids.add(str(row["person"]["person_id"]))
        record_docs: list[dict[str, Any]] = []
        if self.person_ids:
            for row in store.read(_PERSON_RECORDS, {"ids": sorted(self.person_ids)}):
                record_docs.append(row["record"] or {})
                if (row["record"] or {}).get("record_id") is not None:
                    self.record_ids.add(str(row["record"]["record_id"]))
            person_docs = [r["person"] or {} for r in store.read(_PERSONS, {"ids": sorted(self.person_ids)})]
        if self.record_ids:
            record_docs += [r["record"] or {} for r in store.read(_RECORDS, {"ids": sorted(self.record_ids)})]
        identifier_docs = self._identifiers(store)
        self.identifier_keys = {str(i["identifier_key"]) for i in identifier_docs if i and i.get("identifier_key")}
        self.identifier_values = {str(i["value"]) for i in identifier_docs if i and i.get("value")}

        self.name_tokens: set[str] = set()
        self.values: set[str] = set()  # identifying strings that must not appear anywhere
        for doc in person_docs + record_docs:
            for f in _NAME_FIELDS:
                self.name_tokens |= _tokens(doc.get(f))
            for f in _IDENTIFYING_FIELDS:
                if doc.get(f):
                    self.values.add(str(doc[f]))
            phones = doc.get("phones") or []
            self.values |= {str(p) for p in (phones if isinstance(phones, list) else [phones]) if p}
        self.values |= self.identifier_values

    def _identifiers(self, store: GraphStore) -> list[dict[str, Any]]:
        """The identifiers the victims' persons and records use."""
        docs: list[dict[str, Any]] = []
        if self.person_ids:
            docs += [r["identifier"] for r in store.read(_IDENTIFIERS[0], {"ids": sorted(self.person_ids)})]
        if self.record_ids:
            docs += [r["identifier"] for r in store.read(_IDENTIFIERS[1], {"ids": sorted(self.record_ids)})]
        return docs


def _tokens(value: Any) -> set[str]:
    return {t for t in re.split(r"[^\w'-]+", str(value or "")) if len(t) >= 2}


def _year(dob: Any) -> str | None:
    m = re.match(r"^(\d{4})", str(dob or ""))
    return m.group(1) if m else None


def _word_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<![\w])(?:%s)(?![\w])" % "|".join(re.escape(w) for w in words), re.IGNORECASE)


class Pseudonymiser:

    def __init__(self, key: bytes, facts: VictimFacts):
        self.key = key
        self.facts = facts
        self.ids: dict[str, str] = {}
        for pid in facts.person_ids:
            self.ids[pid] = pseudonym(key, "person", pid, "VICTIM")
        for rid in facts.record_ids:
            self.ids[rid] = pseudonym(key, "record", rid, "VREC")
        for ikey in facts.identifier_keys:
            kind = ikey.split(":", 1)[0] if ":" in ikey else "ID"
            self.ids[ikey] = "%s:%s" % (kind, pseudonym(key, "identifier", ikey, "VID"))
        for value in facts.identifier_values | facts.values:
            self.ids.setdefault(value, pseudonym(key, "value", value, "VVAL"))
        self._ids_re = _word_pattern(self.ids)
        self._lower_ids = {k.lower(): v for k, v in self.ids.items()}
        self._names_re = _word_pattern(facts.name_tokens)

    def text(self, value: str) -> str:
        if value in self.ids:
            return self.ids[value]
        if self._ids_re is not None:
            value = self._ids_re.sub(lambda m: self._lower_ids.get(m.group(0).lower(), "[victim id]"), value)
        if self._names_re is not None:
            value = self._names_re.sub(NAME_PLACEHOLDER, value)
        return value

    def deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        return value

    def node(self, node: dict[str, Any]) -> dict[str, Any]:
        label, key, props = node["label"], node["key"], dict(node["props"])
        victim = ((label == "Person" and key in self.facts.person_ids)
                  or (label == "PersonRecord" and key in self.facts.record_ids)
                  or (label == "Identifier" and key in self.facts.identifier_keys))
        if victim:
            keep = {"Person": VICTIM_PERSON_KEEP, "PersonRecord": VICTIM_RECORD_KEEP,
                    "Identifier": VICTIM_IDENTIFIER_KEEP}[label]
            year = _year(props.get("date_of_birth"))
            props = {k: v for k, v in props.items() if k in keep}
            if year and label != "Identifier":
                props["year_of_birth"] = year
            new_key = self.ids[key]
            props[{"Person": "person_id", "PersonRecord": "record_id", "Identifier": "identifier_key"}[label]] = new_key
            if label == "Identifier":
                props["value"] = new_key.split(":", 1)[-1]
            else:
                props["pseudonym"] = new_key
                props["is_victim"] = True
            props["pseudonymised"] = True
        else:
            new_key = self.text(key)
        props = self.deep(props)
        return {"id": node_id(label, new_key), "label": label, "key": new_key, "props": props}

    def apply(self, sg: Subgraph) -> Subgraph:
        renamed: dict[str, str] = {}
        nodes = []
        for n in sg.nodes:
            new = self.node(n)
            renamed[n["id"]] = new["id"]
            nodes.append(new)
        edges = []
        for e in sg.edges:
            source, target = renamed.get(e["source"], e["source"]), renamed.get(e["target"], e["target"])
            edges.append({"id": self.text(e["id"]), "type": e["type"], "source": source, "target": target,
                          "props": self.deep(dict(e["props"]))})
        meta = self.deep(dict(sg.meta))
        meta["pseudonymised"] = True
        out = Subgraph(nodes=nodes, edges=edges, meta=meta)
        self.check(out)
        return out

    def check(self, sg: Subgraph) -> None:
        """Fail closed if any victim name or identifier is still in the subgraph."""
        text = json.dumps({"nodes": sg.nodes, "edges": sg.edges, "meta": sg.meta}, ensure_ascii=False, default=str)
        leaks = []
        names = _word_pattern(self.facts.name_tokens)
        if names is not None and names.search(text):
            leaks.append("a victim name")
        ids = _word_pattern(list(self.ids))
        if ids is not None and ids.search(text):
            leaks.append("a victim identifier")
        if leaks:
            raise PseudonymisationError("export refused: %s would have been written" % " and ".join(leaks))


def pseudonymise(store: GraphStore, sg: Subgraph, key: bytes) -> Subgraph:
    return Pseudonymiser(key, VictimFacts(store, sg)).apply(sg)
