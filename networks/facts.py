# SPDX-License-Identifier: GPL-3.0-or-later
"""The facts network detection reasons from, pulled with plain Cypher into pandas.

Only plain MATCH/RETURN reads, so Neo4j and FalkorDB hand back the same rows; big
listings are paged on their merge key and look-ups go by chunks of ids, so no read
outgrows the store's result limit. Everything is sorted, so what follows is
deterministic for the same graph.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from csenet.graph.store import GraphStore, read_paged
from csenet.networks.facts_queries import (
    _COMPACT_CHARS, Q_ALL_HOMES, Q_CSE_INCIDENTS, Q_CSE_INCIDENTS_AT, Q_CSE_INCIDENTS_OF, Q_IDENTIFIER_USERS,
    Q_INCIDENTS_BY_ID, Q_LOCATIONS, Q_LOCATIONS_AT, Q_MISSING, Q_OCG, Q_OTHER_ROLES, Q_PERSON_INCIDENTS, Q_PERSONS,
    Q_RECORDED_IN, Q_RECORDED_OUT, Q_RECORDS, Q_RECORDS_AT, Q_ROLES, Q_USES)

PAGE = 20_000
CHUNK = 5_000
HOME_CHUNK = 2_000
READERS = 3
MAX_SHARED_GROUP = 8  # networks/associations.py: an identifier shared by more people makes no link

def compact_address(address: Any) -> str:
    """The address as Q_RECORDS_AT's Cypher compacts it: lower case, without spaces and , . - / '."""
    text = str(address).lower()
    for ch in _COMPACT_CHARS:
        text = text.replace(ch, "")
    return text


def postcode_indexed() -> bool:
    from csenet.graph.schema import LOOKUP_INDEXES
    return "postcode" in LOOKUP_INDEXES.get("PersonRecord", ())


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while millions of small rows are built and kept.

    Each full collection walks every object alive, again and again as they grow: on the
    large benchmark that took more time than the reads themselves. What is built here
    holds no reference cycles to free.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_chunked(store: GraphStore, query: str, ids: Sequence[str], chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """Rows of a query taking `$ids`, asked for a chunk of ids at a time."""
    for start in range(0, len(ids), chunk):
        yield from store.read(query, {"ids": list(ids[start:start + chunk])})


def day(value: Any) -> str | None:
    """The date part of an ISO date or date-time, as text (sorts like a date)."""
    if not value:
        return None
    text = str(value)
    return text[:10] if len(text) >= 10 else None


_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")


def norm_postcode(value: Any) -> str | None:
    text = _SPACE.sub("", str(value or "")).upper()
    return text or None


def norm_address(value: Any) -> str | None:
    text = _SPACE.sub(" ", _PUNCT.sub(" ", str(value or "").lower())).strip()
    return text or None


def address_key(postcode: Any, address: Any) -> str | None:
    """Postcode and street address together: a postcode alone covers a street, not a home."""
    pc, ad = norm_postcode(postcode), norm_address(address)
    return "%s|%s" % (pc, ad) if pc and ad else None


@dataclass
class Facts:
    incidents: pd.DataFrame   # incident_id, date, district, cse, basis, flagged, location_id, location_kind, ...
    roles: pd.DataFrame       # person_id, incident_id, role, record_ids
    persons: pd.DataFrame     # person_id, date_of_birth
    records: pd.DataFrame     # record_id, person_id, home (address key): records with a home address
    locations: pd.DataFrame   # location_id, kind, home (address key)
    recorded: pd.DataFrame    # a, b, record_a, record_b, kind, grade, source_ref, recorded_at
    identifiers: pd.DataFrame  # person_id, record_id, identifier_key
    ocg: pd.DataFrame         # person_id, ocg_id, primary_crime
    missing: pd.DataFrame     # person_id, episode_id, started_at, found_location_id
    core: frozenset | None = None  # the people evidence was read around (None: everyone)


def by_key(df: pd.DataFrame, key: str, value: str) -> dict[Any, Any]:
    """`value` by `key` in plain Python values (Series.to_dict boxes them one by one: slow on large)."""
    return dict(zip(df[key].tolist(), df[value].tolist()))


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Object columns with None for unknown (pandas would turn None into NaN, which is truthy)."""
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    df = pd.DataFrame(rows, columns=columns).astype(object)
    return df.where(df.notna(), None)


def cse_relevance(row: dict[str, Any]) -> tuple[bool, str]:
    """The flag audit's verdict where it exists, else the officer's CSE flag."""
    if row.get("meets_cse_definition") is not None:
        return bool(row["meets_cse_definition"]), "audit"
    flagged = row.get("flagged_cse")
    if flagged is None:
        flagged = "CSE" in [str(f).upper() for f in (row.get("flags") or [])]
    return bool(flagged), "recorded_flag"


def _incident_row(row: dict[str, Any]) -> dict[str, Any]:
    cse, basis = cse_relevance(row)
    flagged = cse_relevance({**row, "meets_cse_definition": None})[0]
    return {"incident_id": row["incident_id"], "date": day(row.get("occurred_at")) or day(row.get("reported_at")),
            "district": row.get("district"), "cse": cse, "basis": basis, "flagged": flagged,
            "location_id": row.get("location_id"), "offence_code": row.get("offence_code")}


def _role_row(r: dict[str, Any]) -> dict[str, Any]:
    return {"person_id": r["person_id"], "incident_id": r["incident_id"], "role": r["rel"][:-3],
            "record_ids": sorted(r.get("record_ids") or [])}


def load_facts(store: GraphStore, chunk: int = CHUNK, readers: int = READERS,
               around: tuple[Collection[str], Collection[str]] | None = None) -> Facts:
    """The neighbourhood of CSE, not the whole graph.

    It starts from the incidents that are CSE-relevant or flagged CSE, and the people
    mapped to an OCG whose primary crime is CSE. Everyone with a role in those incidents
    and those people are the *core*; then come the core's other incidents (with the
    people in them), their records and homes, the recorded associations and
    identifiers that touch them (with everyone at the other end), who lives at the
    premises of CSE incidents and where missing children were found. Association
    evidence is derived for every pair with at least one core person.

    Reads that do not depend on each other are started together on `readers` threads,
    so the store answers one while this process parses another; rows are taken in the
    order they were asked for, so the facts are the same as read one by one.

    `around` = (people, core): only the CSE incidents those people have a role in (and
    the CSE incidents at their premises); the incidents of `core` (the people of the whole
    read's core among them) and everyone's other evidence. networks/partial.py chooses
    the people so that the evidence of every tie it keeps is all there.
    """
    with gc_paused(), ThreadPoolExecutor(max_workers=max(readers, 1), thread_name_prefix="csenet-read") as pool:
        try:
            return _load_facts(_Reader(store, pool, chunk), around)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


class _Reader:
    """Chunked reads started ahead on a thread pool."""

    def __init__(self, store: GraphStore, pool: ThreadPoolExecutor, chunk: int):
        self.store, self.pool, self.chunk = store, pool, chunk

    def start(self, query: str, ids: Sequence[Any], chunk: int | None = None, **params: Any) -> list[Future]:
        size = chunk or self.chunk
        return [self.pool.submit(self.store.read, query, {**params, "ids": list(ids[at:at + size])})
                for at in range(0, len(ids), size)]

    def paged(self, query: str, key: str) -> Future:
        return self.pool.submit(lambda: list(read_paged(self.store, query, key)))


def _rows(futures: list[Future]) -> Iterator[dict[str, Any]]:
    for future in futures:
        yield from future.result()


def _load_facts(rd: _Reader, around: tuple[Collection[str], Collection[str]] | None = None) -> Facts:
    store = rd.store
    seen_inc: dict[str, dict[str, Any]] = {}
    roles: dict[tuple[str, str, str], dict[str, Any]] = {}
    ocg_pages = rd.paged(Q_OCG, "ocg_id")
    if around is None:
        for row in read_paged(store, Q_CSE_INCIDENTS, "incident_id"):
            seen_inc[row["incident_id"]] = _incident_row(row)
    else:
        for row in _rows(rd.start(Q_CSE_INCIDENTS_OF, sorted(around[0]))):
            seen_inc[row["incident_id"]] = _incident_row(row)
        premises = sorted({r["location_id"] for r in seen_inc.values() if r["location_id"]})
        for row in _rows(rd.start(Q_CSE_INCIDENTS_AT, premises)):
            seen_inc.setdefault(row["incident_id"], _incident_row(row))
    for r in _rows(rd.start(Q_ROLES, sorted(seen_inc))):
        role = _role_row(r)
        roles[(role["person_id"], role["incident_id"], role["role"])] = role
    ocg_rows = []
    for row in ocg_pages.result():
        for pid in row.get("people") or []:
            ocg_rows.append({"person_id": pid, "ocg_id": row["ocg_id"], "primary_crime": row.get("primary_crime")})
    ocg = _frame(ocg_rows, ["person_id", "ocg_id", "primary_crime"])
    ocg = ocg.drop_duplicates().sort_values(["person_id", "ocg_id"]).reset_index(drop=True)

    if around is None:
        core = {r["person_id"] for r in roles.values()}
        core |= {r["person_id"] for r in ocg_rows if str(r.get("primary_crime") or "").upper() == "CSE"}
        reach = core
    else:
        # The children of the CSE incidents read are in the whole read's core: a person's
        # introductions to them are read from their side.
        children = {r["person_id"] for r in roles.values() if r["role"] == "VICTIM"}
        core = set(around[1]) | children
        reach = set(around[0]) | core
    # The core's incidents; and, of everyone reached (the core, unless `around` says
    # more), what else ties people: intelligence, identifiers, homes, missing episodes.
    core_ids, reach_ids = sorted(core), sorted(reach)
    person_incidents = rd.start(Q_PERSON_INCIDENTS, core_ids)
    recorded_reads = [rd.start(Q_RECORDED_OUT, reach_ids), rd.start(Q_RECORDED_IN, reach_ids)]
    uses = rd.start(Q_USES, reach_ids)
    missing_reads = rd.start(Q_MISSING, reach_ids)
    record_reads = rd.start(Q_RECORDS, reach_ids)
    core_persons = rd.start(Q_PERSONS, reach_ids)

    # The core's other incidents, and everyone in them.
    more = sorted({r["incident_id"] for r in _rows(person_incidents)} - set(seen_inc))
    more_incidents = rd.start(Q_INCIDENTS_BY_ID, more)
    more_roles = rd.start(Q_OTHER_ROLES, more)

    # Recorded associations and identifiers that touch the core.
    keys = sorted({r["identifier_key"] for r in _rows(uses)})
    users = rd.start(Q_IDENTIFIER_USERS, keys, most=MAX_SHARED_GROUP)
    for r in _rows(more_incidents):
        seen_inc[r["incident_id"]] = _incident_row(r)
    for r in _rows(more_roles):
        role = _role_row(r)
        roles.setdefault((role["person_id"], role["incident_id"], role["role"]), role)
    recorded = [r for reads in recorded_reads for r in _rows(reads) if r["a"] and r["b"] and r["a"] != r["b"]]
    ident = [{"person_id": pid, "record_id": rid, "identifier_key": r["identifier_key"]}
             for r in _rows(users) for pid, rid in r["uses"]]

    # Locations: of the incidents, and where missing children of the core were found.
    missing = _frame(list(_rows(missing_reads)), ["person_id", "episode_id", "started_at", "found_location_id"])
    loc_ids = sorted({i["location_id"] for i in seen_inc.values() if i["location_id"]}
                     | {x for x in missing["found_location_id"] if x})
    loc_rows = {r["location_id"]: r for r in _rows(rd.start(Q_LOCATIONS, loc_ids))}

    rec_rows = {r["record_id"]: r for r in _rows(record_reads) if r.get("postcode") and r.get("address")}
    _read_homes(rd, rec_rows, loc_rows)
    people = reach | {r["person_id"] for r in roles.values()} | {r["b"] for r in recorded} \
        | {r["a"] for r in recorded} | {r["person_id"] for r in ident} | {r["person_id"] for r in rec_rows.values()}
    persons = _frame(sorted([*_rows(core_persons), *_rows(rd.start(Q_PERSONS, sorted(people - reach)))],
                            key=lambda r: r["person_id"]), ["person_id", "date_of_birth"])
    return _facts(seen_inc, roles, persons, rec_rows, loc_rows, recorded, ident, ocg, missing, core)


def _read_homes(rd: _Reader, rec_rows: dict[str, dict], loc_rows: dict[str, dict]) -> None:
    """Homes: the core's records, then everyone else recorded at those homes and at the premises."""
    homes = sorted({(r["postcode"], compact_address(r["address"])) for r in [*rec_rows.values(), *loc_rows.values()]
                    if r.get("postcode") and r.get("address")})
    by_postcode: dict[str, list[str]] = {}
    for postcode, compact in homes:
        by_postcode.setdefault(postcode, []).append(compact)
    pairs = [[postcode, compact] for postcode, compact in by_postcode.items()]
    locations_at = rd.start(Q_LOCATIONS_AT, pairs, HOME_CHUNK)
    if postcode_indexed():
        found = _rows(rd.start(Q_RECORDS_AT, pairs, HOME_CHUNK))
    else:
        wanted = {address_key(r.get("postcode"), r.get("address")) for r in [*rec_rows.values(), *loc_rows.values()]}
        found = (r for r in read_paged(rd.store, Q_ALL_HOMES, "record_id")
                 if r.get("person_id") and r.get("postcode") and r.get("address")
                 and address_key(r["postcode"], r["address"]) in wanted)
    for r in found:
        rec_rows.setdefault(r["record_id"], r)
    for r in _rows(locations_at):
        loc_rows.setdefault(r["location_id"], r)


def _facts(seen_inc: dict, roles: dict, persons: pd.DataFrame, rec_rows: dict, loc_rows: dict, recorded: list,
           ident: list, ocg: pd.DataFrame, missing: pd.DataFrame, core: set[str]) -> Facts:
    """The rows read, as sorted frames."""
    inc = _frame(sorted(seen_inc.values(), key=lambda r: r["incident_id"]),
                 ["incident_id", "date", "district", "cse", "basis", "flagged", "location_id", "offence_code"])
    inc["location_kind"] = [(str(loc_rows[x].get("kind") or "").upper() or None) if x in loc_rows else None
                            for x in inc["location_id"]]
    inc["cse"] = inc["cse"].astype(bool)
    inc["flagged"] = inc["flagged"].astype(bool)
    roles_df = _frame(list(roles.values()), ["person_id", "incident_id", "role", "record_ids"])
    if len(roles_df):
        roles_df = roles_df.sort_values(["incident_id", "person_id", "role"], kind="stable").reset_index(drop=True)
    records = _frame([{"record_id": rid, "person_id": r["person_id"],
                       "home": address_key(r.get("postcode"), r.get("address"))}
                      for rid, r in sorted(rec_rows.items())], ["record_id", "person_id", "home"])
    locations = _frame([{"location_id": lid, "kind": (r.get("kind") or "").upper() or None,
                         "home": address_key(r.get("postcode"), r.get("address"))}
                        for lid, r in sorted(loc_rows.items())], ["location_id", "kind", "home"])
    recorded_df = _frame(recorded, ["a", "b", "record_a", "record_b", "kind", "grade", "source_ref", "recorded_at"])
    recorded_df = recorded_df.drop_duplicates(subset=["record_a", "record_b", "kind", "source_ref"])
    recorded_df = recorded_df.sort_values(["record_a", "record_b", "kind", "source_ref"], na_position="first",
                                          kind="stable").reset_index(drop=True)
    ident_df = _frame(ident, ["person_id", "record_id", "identifier_key"])
    ident_df = ident_df.drop_duplicates().sort_values(["identifier_key", "person_id", "record_id"])
    ident_df = ident_df.reset_index(drop=True)
    missing = missing.sort_values(["person_id", "episode_id"]).reset_index(drop=True)
    return Facts(inc, roles_df, persons, records, locations, recorded_df, ident_df, ocg, missing, frozenset(core))
