"""bundle -> validate -> resolve -> load: a record bundle into the graph, idempotently.

Source facts are merged on their stable keys; the person layer is rebuilt only for
people whose records changed, so re-loading the same bundle changes nothing and a later
extract adds to what is there. Every batch is acknowledged only once durable, so a load
cut short (a crash, a kill) is finished by loading the same bundle again.
"""

from __future__ import annotations

import datetime as _dt
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from csenet.columns import isin, none_for_unknown
from csenet.memory import give_back
from csenet.settings import Settings
from csenet.graph.neo4j_import import import_target
from csenet.graph.store import GraphStore, read_paged
from csenet.loaders import statements as cy
from csenet.loaders.bulk import bulk_facts, bulk_people, import_facts
from csenet.loaders.fact_rows import FrameRows, NodeRows, RelRows, frame_records, referenced
from csenet.loaders.progress import NullReporter, Reporter
from csenet.loaders.quality import quality_props
from csenet.loaders.record_cache import RecordCache, graph_state, rules_digest
from csenet.loaders.read import read_bundle
from csenet.loaders.validate import ISSUE_COLUMNS, FileCount, ValidBundle, validate
from csenet.resolution.types import Resolution

log = logging.getLogger(__name__)

RECORD_FIELDS = ["record_id", "source", "family_name", "given_names", "date_of_birth", "date_of_birth_raw",
                 "gender", "postcode", "address", "phones", "national_id"]
Resolver = Callable[[pd.DataFrame, dict[str, str] | None], Resolution]
DERIVED_BY = "csenet-load-1"


@dataclass
class LoadSummary:
    load_id: str
    bundle: Path
    counts: dict[str, FileCount]
    extra_columns: dict[str, list[str]]
    issues: pd.DataFrame
    rejects_path: Path | None
    records_total: int = 0
    persons_total: int = 0
    persons_changed: int = 0
    resolution_method: str = ""
    touched_incidents: list[str] = field(default_factory=list)
    """Incidents whose audit inputs this load may have changed: its own incidents and
    involvements, and every incident of a person it wrote (new, re-linked or re-described)."""
    touched_persons: list[str] | None = None
    """Whose association evidence this load may have changed besides those incidents'
    people (`touched_people`); None when the load was too big to say (a whole detection)."""
    timings: dict[str, float] = field(default_factory=dict)
    resolved_records: int = 0
    """Records this load resolved: all of them, or a delta's neighbourhood (`incremental`)."""
    incremental: bool = False
    analyses: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_read(self) -> int:
        return sum(c.read for c in self.counts.values())

    @property
    def rows_loaded(self) -> int:
        return sum(c.loaded for c in self.counts.values())

    @property
    def rows_rejected(self) -> int:
        return sum(c.rejected for c in self.counts.values())


def default_resolver(settings: Settings) -> Resolver:
    from csenet.resolution.splink_resolver import resolve
    from csenet.resolution.link_rules import read_link_rules

    rules = read_link_rules(settings.link_rules) if settings.link_rules else None

    def run(records: pd.DataFrame, previous: dict[str, str] | None) -> Resolution:
        return resolve(records, previous, threshold=settings.match_threshold,
                       link_on_shared_phone=settings.link_on_shared_phone, link_rules=rules,
                       model_dir=settings.models_path(), model=kept_model(settings, records, previous))

    return run


def kept_model(settings: Settings, records: pd.DataFrame, previous: dict[str, str] | None) -> dict | None:
    """The latest load's model when this load adds only a small share of new records.

    Training (EM over the whole graph's records) is most of a delta's resolution time, and a
    day's extract does not change what agreement on a name or a date of birth is worth.
    """
    from csenet.resolution import model_store

    new = int((~isin(records["record_id"], list(previous or {}))).sum())
    if not previous or new >= settings.retrain_share * len(records):
        return None
    kept = model_store.load(settings.models_path())
    if kept is None or kept[1] != settings.match_threshold:
        return None
    return kept[0]


@dataclass
class Delta:
    """A day's neighbourhood (resolution/incremental.py): the cached records to resolve again
    with the bundle's, and what scores them as among all records."""

    existing: pd.DataFrame
    model: dict
    term_frequencies: dict[str, pd.DataFrame]
    fact_people: dict[str, str] = field(default_factory=dict)
    """The persons of known records the bundle's facts name, as the cache holds them."""


def cache_settings(settings: Settings, resolver: Resolver | None) -> dict[str, Any]:
    """What the cached person ids depend on besides the graph: a change means a full resolution."""
    return {"format": 1, "threshold": settings.match_threshold, "link_on_shared_phone": settings.link_on_shared_phone,
            "link_rules": rules_digest(settings.link_rules),
            "resolver": "splink" if resolver is None else getattr(resolver, "__qualname__", repr(resolver))}


def comparison_rows(records: pd.DataFrame, person_of: pd.Series | None = None) -> "pa.Table":
    """normalise.prepare's columns keyed by record id (and person id, when known)."""
    from csenet.resolution.normalise import prepare

    table = prepare(records).drop_columns(["unique_id"])
    table = table.append_column("record_id", pa.array(records["record_id"].astype(str).tolist(), type=pa.string()))
    if person_of is not None:
        table = table.append_column("person_id", pa.array(person_of.tolist(), type=pa.string()))
    return table


def neighbourhood_of(store: GraphStore, cache: RecordCache, valid: ValidBundle,
                     settings: Settings, resolver: Resolver | None) -> Delta | None:
    """The day's neighbourhood when the cache matches the graph and the records may be
    resolved by neighbourhood: by a resolver with `neighbourhood_rules`, or by Splink with
    the latest model (the bundle's records under `retrain_share` of all). Else None:
    resolve everything (with the latest model when the new records are few: `kept_model`)."""
    import duckdb

    rules = getattr(resolver, "neighbourhood_rules", None)
    if (resolver is not None and not rules) or not cache.matches(graph_state(store), cache_settings(settings, resolver)):
        return None
    incoming = valid.frames.get("person_records")
    incoming = (incoming if incoming is not None else pd.DataFrame(columns=RECORD_FIELDS)).reindex(columns=RECORD_FIELDS)
    con = duckdb.connect()
    try:
        known = cache.relation(con)
        delta = _by_rules(con, known, cache, incoming, rules) if rules else _by_model(con, known, cache, incoming,
                                                                                     settings)
        if delta is not None:
            named = cache.read(con, fact_records(valid))
            delta.fact_people = {r: p for r, p in zip(named["record_id"], named["person_id"]) if isinstance(p, str)}
        return delta
    finally:
        con.close()


def _by_rules(con, known: str, cache: RecordCache, incoming: pd.DataFrame, rules: list) -> Delta:
    from csenet.resolution import incremental

    picked = incremental.linked_neighbourhood(con, known, comparison_rows(incoming), rules)
    return Delta(cache.read(con, picked), {}, {})


def _by_model(con, known: str, cache: RecordCache, incoming: pd.DataFrame, settings: Settings) -> Delta | None:
    from csenet.resolution import incremental, model_store
    from csenet.resolution.link_rules import read_link_rules
    from csenet.resolution.splink_resolver import RIVAL_FLOOR

    kept = model_store.load(settings.models_path())
    if kept is None or kept[1] != settings.match_threshold:
        return None
    model = kept[0]
    ids = incoming["record_id"].astype(str).tolist()
    present = con.execute(f"SELECT count(*) FROM {known} WHERE record_id IN (SELECT unnest(?::VARCHAR[]))",
                          [ids]).fetchall()[0][0]
    total = cache.count(con) + len(ids) - present
    if len(ids) >= settings.retrain_share * total:
        return None  # a large bundle: scoring its neighbourhood would cost more than scoring everything once
    seeds = comparison_rows(incoming)
    pinned: list[str] = []
    if settings.link_rules:
        named = read_link_rules(settings.link_rules)
        pinned = named["record_id_a"].astype(str).tolist() + named["record_id_b"].astype(str).tolist()
    tf = incremental.term_frequencies(con, known, seeds, model)
    picked = incremental.neighbourhood(con, known, seeds, model, threshold=settings.match_threshold,
                                       floor=RIVAL_FLOOR, term_frequencies=tf, pinned=pinned,
                                       link_on_shared_phone=settings.link_on_shared_phone)
    return Delta(cache.read(con, picked), model, tf)


def delta_resolver(settings: Settings, delta: Delta) -> Resolver:
    from csenet.resolution.link_rules import read_link_rules
    from csenet.resolution.splink_resolver import resolve

    rules = read_link_rules(settings.link_rules) if settings.link_rules else None

    def run(records: pd.DataFrame, previous: dict[str, str] | None) -> Resolution:
        return resolve(records, previous, threshold=settings.match_threshold,
                       link_on_shared_phone=settings.link_on_shared_phone, link_rules=rules,
                       model_dir=settings.models_path(), model=delta.model,
                       term_frequencies=delta.term_frequencies)

    return run


def mark_loaded(store: GraphStore, valid: ValidBundle, persons_written: set[str], persons_touched: set[str],
                load_id: str, meta: dict, folder: Path) -> tuple[list[str], list[str] | None]:
    """The incidents and persons this load touched, then its Load node, written last: a
    load cut short is never marked complete. (Into an empty graph, every incident of a
    person written is one of this bundle's: `persons_written` is then empty.)"""
    touched = touched_incidents(store, valid, persons_written)
    people = touched_people(store, valid, persons_touched)
    store.write_batches(cy.LOAD, [{
        "load_id": load_id, "loaded_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "source": meta.get("source"), "force": meta.get("force"), "extracted_at": meta.get("extracted_at"),
        "bundle": folder.name, **quality_props(valid.counts, valid.issues),
    }])
    store.sync()
    return touched, people


def _waited(pending: Future | None) -> float:
    """Seconds spent waiting for `pending` (raising what it raised)."""
    began = time.perf_counter()
    if pending is not None:
        pending.result()
    return time.perf_counter() - began


def stage_records(cache: RecordCache, records: pd.DataFrame, entities: pd.DataFrame, delta: Delta | None) -> None:
    """Leave the resolved records beside the graph for the next load's neighbourhood; they
    count once `cache.seal` names the graph they describe."""
    person_of = records["record_id"].map(dict(zip(entities["record_id"], entities["person_id"])))
    rows = records[RECORD_FIELDS].assign(person_id=person_of.where(person_of.notna(), None))
    cache.stage(rows, comparison_rows(records, rows["person_id"]), keep_from=None if delta is None else cache,
                replaced=set(records["record_id"]))


def records_to_resolve(store: GraphStore, cache: RecordCache, valid: ValidBundle, settings: Settings,
                       resolver: Resolver | None) -> tuple[pd.DataFrame, dict[str, str], Resolver, Delta | None]:
    """(records, their person ids before this load, the resolver, the day's neighbourhood):
    every record of the graph, or only a day's neighbourhood when it can be trusted."""
    incoming = valid.frames.get("person_records")
    delta = neighbourhood_of(store, cache, valid, settings, resolver)
    if delta is None:
        existing = existing_records(store, settings.result_limit)
        resolve = resolver or default_resolver(settings)
    else:
        existing = delta.existing
        resolve = resolver or delta_resolver(settings, delta)
    previous = {r: p for r, p in zip(existing["record_id"], existing["person_id"]) if isinstance(p, str) and p}
    return merge_records(existing, incoming), previous, resolve, delta


FirstView = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]
"""Incidents, their people's roles (incident_id, person_id, role) and those people
(person_id, date_of_birth, gender, dob_candidates): what a whole-graph read gives."""


def load_bundle(store: GraphStore, folder: Path, settings: Settings, *,
                rejects_path: Path | None = None, resolver: Resolver | None = None,
                reporter: Reporter | None = None, encoding: str | None = None,
                on_first_view: Callable[[FirstView], None] | None = None,
                on_first_incidents: Callable[[pd.DataFrame], None] | None = None,
                on_written: Callable[[], None] | None = None) -> LoadSummary:
    """Validate, resolve and write one bundle; the analyses are csenet.pipeline's to run.

    Into an empty graph, `on_first_incidents` is given the incidents this load will leave
    once they are validated, and `on_first_view` the whole graph (see `first_view`) as soon
    as people are resolved, while their writing is still to come. `on_written` is called once
    everything is written and the load's frames are let go, before the graph is made durable."""
    t: dict[str, float] = {}
    cache = RecordCache(settings.records_path())
    keep = resolver is None or bool(getattr(resolver, "neighbourhood_rules", None))
    summary, start = write_bundle(store, Path(folder), settings, cache, t, keep, rejects_path=rejects_path,
                                  resolver=resolver, reporter=reporter or NullReporter(), encoding=encoding,
                                  on_first_view=on_first_view, on_first_incidents=on_first_incidents)
    # write_bundle's frames went with it: the reload and the analyses do not run beside them
    # (on large, about 2 GB; docs/scaling.md, stop 35)
    give_back()
    if on_written is not None:
        on_written()
    began = time.perf_counter()
    state = graph_state(store)
    if keep:
        cache.seal(state, cache_settings(settings, resolver))
    t["keep_records"] = time.perf_counter() - began
    t.update(settle(store, bulk="bulk_bulk" in t))
    t["resolve_and_load"] = time.perf_counter() - start
    summary.records_total, summary.persons_total = state["records"], state["persons"]
    return summary


def write_bundle(store: GraphStore, folder: Path, settings: Settings, cache: RecordCache, t: dict[str, float],
                 keep: bool, *, rejects_path: Path | None, resolver: Resolver | None, reporter: Reporter,
                 encoding: str | None, on_first_view: Callable[[FirstView], None] | None,
                 on_first_incidents: Callable[[pd.DataFrame], None] | None) -> tuple[LoadSummary, float]:
    """load_bundle's writing: every fact and person, and (`keep`) the resolved records staged
    in `cache`; the summary, and when resolution's part of the load began. Its frames are
    its own: they go when it returns."""
    start = time.perf_counter()
    raw = read_bundle(folder, encoding)
    store.ensure_schema()
    valid = validate(raw, known_in_graph=lambda label, key, ids: known_ids(store, label, key, ids))
    load_id, meta = raw.load_id, raw.meta
    del raw  # the source text of every file, as read: as large again as the validated frames
    give_back()
    t["read_validate"] = time.perf_counter() - start
    rejects_path = Path(rejects_path) if rejects_path else folder / "rejects.csv"
    write_issues(valid.issues, rejects_path)

    start = time.perf_counter()
    records, previous, resolve, delta = records_to_resolve(store, cache, valid, settings, resolver)
    t["read_existing_records"] = time.perf_counter() - start

    def timed_resolution(records: pd.DataFrame) -> Resolution:
        began = time.perf_counter()
        try:
            return resolve(records, previous)
        finally:
            t["resolve"] = time.perf_counter() - began

    empty = store.read(cy.ANY_NODE)[0]["n"] == 0
    incidents = shown_incidents(valid, on_first_incidents) if empty else None
    cache.invalidate()  # from the first write on, until the records are kept again
    # Source facts do not depend on who is who: they are written while people are resolved.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csenet-resolve") as pool:
        pending = pool.submit(timed_resolution, records)
        t.update(source_facts(store, valid, load_id, settings, reporter, empty))
        t["write_facts"] = time.perf_counter() - start - t["read_existing_records"]
        resolution = pending.result()
    everyone = first_people(valid, records, resolution.entities, on_first_view, incidents) if empty else None
    keep_what_is_read(valid)
    began = time.perf_counter()
    resolved = len(records)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csenet-keep-records") as pool:
        # the records are written out while the store does the people's MERGE work
        staged = pool.submit(stage_records, cache, records, resolution.entities, delta) if keep else None
        # A first load's persons are `everyone`: its records go once they are kept, not at the
        # end of the people's writing (on large, 1 GB beside it; docs/scaling.md, stop 35).
        records_for_people = records if everyone is None else None
        del records
        if staged is not None and everyone is not None:
            staged.add_done_callback(lambda _: give_back())
        bulk = people_by_bulk(store, valid, resolution, previous, everyone, load_id, reporter, t) \
            if settings.falkordb_bulk_people and "bulk_bulk" in t else None  # facts by GRAPH.BULK: a first load
        changed, written, _, projected = bulk or write_people(
            store, records_for_people, resolution, previous, valid, settings, reporter, load_id,
            None if delta is None else delta.fact_people, everyone)
        touched, people = mark_loaded(store, valid, set() if empty else written, written | projected, load_id, meta,
                                      folder)
        t["keep_records_waited"] = _waited(staged)
    t["write_people"] = time.perf_counter() - began
    return LoadSummary(
        load_id=load_id, bundle=folder, counts=valid.counts, extra_columns=valid.extra_columns,
        issues=valid.issues, rejects_path=rejects_path, persons_changed=len(changed), touched_incidents=touched,
        touched_persons=people, resolution_method=",".join(sorted(set(resolution.entities["method"]))),
        timings=t, resolved_records=resolved, incremental=delta is not None,
    ), start


READ_AFTER_FACTS = {
    "incidents": ["incident_id"],
    "locations": ["location_id"],
    "person_records": ["record_id", "phones", "source", "source_row"],
}
"""What the person layer and the load's report read of these frames once their facts are
written and the records to resolve are taken (touched_incidents, touched_people, identifier_links)."""


def keep_what_is_read(valid: ValidBundle) -> None:
    """The validated frames cut to READ_AFTER_FACTS: on large, 1.5 GB that would otherwise sit
    beside the person layer as it is built and written."""
    for name, columns in READ_AFTER_FACTS.items():
        frame = valid.frames.get(name)
        if frame is not None:
            valid.frames[name] = frame[[c for c in columns if c in frame.columns]]
    give_back()


def settle(store: GraphStore, bulk: bool) -> dict[str, float]:
    """The loaded graph made durable as a snapshot: reloaded from one when GRAPH.BULK made
    it (FalkorStore.reload), else compacted when its tail is long; the step's timing."""
    began = time.perf_counter()
    if bulk:
        store.reload()  # type: ignore[attr-defined]
        return {"reload": time.perf_counter() - began}
    store.compact(past_limit=True)
    return {"compact": time.perf_counter() - began}


# -- reading what the graph already holds ------------------------------------------------

def touched_incidents(store: GraphStore, valid: ValidBundle, persons: set[str]) -> list[str]:
    f = valid.frames
    ids = set(f["incidents"]["incident_id"]) | set(f["involvements"]["incident_id"])
    people = sorted(persons)
    for start in range(0, len(people), 2_000):
        ids.update(r["incident_id"] for r in store.read(cy.INCIDENTS_OF_PERSONS, {"ids": people[start:start + 2_000]}))
    return sorted(ids)


PEOPLE_LOOKUP_MAX = 20_000


def touched_people(store: GraphStore, valid: ValidBundle, persons: set[str]) -> list[str] | None:
    """Whose association evidence this load may have changed, besides the people of the
    incidents it touched: the persons it wrote or re-projected, everyone mapped to an OCG
    it re-sent (the OCG's crime is the members' CSE involvement), and everyone in an
    incident at a location it re-sent (premises and homes are read through locations).
    None for a load too big for it to matter: its networks are detected whole anyway."""
    f = valid.frames
    if sum(len(f[frame]) for frame in ("ocg_members", "locations") if frame in f) > PEOPLE_LOOKUP_MAX:
        return None
    people = set(persons)
    for frame, column, query in (("ocg_members", "ocg_id", cy.PEOPLE_OF_OCGS),
                                 ("locations", "location_id", cy.PEOPLE_AT_LOCATIONS)):
        ids = sorted(set(f[frame][column])) if frame in f else []
        for start in range(0, len(ids), 2_000):
            people.update(r["person_id"] for r in store.read(query, {"ids": ids[start:start + 2_000]}))
    return sorted(people)


def known_ids(store: GraphStore, label: str, key: str, ids: list[str]) -> set[str]:
    query = cy.KNOWN_IDS[(label, key)]
    found: set[str] = set()
    for start in range(0, len(ids), 10_000):
        found.update(r["id"] for r in store.read(query, {"ids": ids[start:start + 10_000]}, limit=10_001))
    return found


def existing_records(store: GraphStore, page: int) -> pd.DataFrame:
    rows = list(read_paged(store, cy.EXISTING_RECORDS, "record_id", min(page, 50_000)))
    frame = pd.DataFrame(rows, columns=RECORD_FIELDS + ["person_id"])
    frame["phones"] = frame["phones"].map(lambda v: v if isinstance(v, list) else [])
    return frame


def merge_records(existing: pd.DataFrame, incoming: pd.DataFrame | None) -> pd.DataFrame:
    """Every record the resolver must see: the graph's, updated by this bundle's."""
    if incoming is None or incoming.empty:
        frame = existing[RECORD_FIELDS]
    else:
        new = incoming.reindex(columns=RECORD_FIELDS)
        kept = existing[~isin(existing["record_id"], new["record_id"])][RECORD_FIELDS]
        frame = pd.concat([kept, new], ignore_index=True) if len(kept) else new.reset_index(drop=True)
    return none_for_unknown(frame).sort_values("record_id", kind="stable", ignore_index=True)


# -- writing source facts ----------------------------------------------------------------

def source_facts(store: GraphStore, valid: ValidBundle, load_id: str, settings: Settings,
                 reporter: Reporter, empty: bool = False) -> dict[str, float]:
    """The bundle's facts: into an empty graph by the engine's bulk path where it is on
    (GRAPH.BULK, or the import tool into a local Neo4j; its timings returned), by MERGE
    batches everywhere else."""
    rows = sum(c.loaded for c in valid.counts.values())
    most = settings.falkordb_bulk_max_rows
    wanted = settings.falkordb_bulk_min_rows <= rows and (most is None or rows <= most)
    # GRAPH.BULK's graph is reloaded before it is read (FalkorStore.reload): only by its sole client
    if empty and settings.falkordb_bulk_load and wanted and hasattr(store, "bulk_create") \
            and store.can_reload():  # type: ignore[attr-defined]
        step = reporter.stage("source facts by GRAPH.BULK", 1)
        sent = bulk_facts(store, fact_steps(valid), load_id)
        if sent is not None:
            step(1)
            return {"bulk_" + k: v for k, v in sent.items()}
    server = import_target(store, settings)
    if server is not None:
        step = reporter.stage("source facts by neo4j-admin import", 1)
        imported = import_facts(store, server, fact_steps(valid), load_id, settings)
        if imported is not None:
            step(1)
            return {"import_" + k: v for k, v in imported.items()}
    write_facts(store, valid, {"load_id": load_id}, settings, reporter)
    return {}


def write_facts(store: GraphStore, valid: ValidBundle, ctx: dict, settings: Settings, reporter: Reporter) -> None:
    """Nodes, then the relationships between them; each step's rows are built a batch at a
    time (FrameRows), so a large bundle never holds a step's parameters in memory at once."""
    for name, query, rows in fact_steps(valid):
        step = reporter.stage(name, len(rows))
        for part in rows.rounds():
            store.write_batches(query, part, settings.batch_size, step, extra=ctx)


def fact_steps(valid: ValidBundle) -> list[tuple[str, str, FrameRows]]:
    """(stage name, statement, its rows) for every source fact, nodes first."""
    f = valid.frames
    ident = identifier_links(valid)
    steps: list[tuple[str, str, FrameRows]] = []
    if "locations" in f:
        steps.append(("locations", cy.LOCATIONS, NodeRows(f["locations"], "location_id")))
    if "incidents" in f:
        steps.append(("incidents", cy.INCIDENTS, NodeRows(f["incidents"], "incident_id")))
    # a record's fields are what its latest extract says: a field sent blank is cleared
    steps.append(("person records", cy.PERSON_RECORDS, NodeRows(f["person_records"], "record_id", clear=RECORD_FIELDS)))
    if len(ident):
        nodes = ident.drop_duplicates("identifier_key")[["identifier_key", "kind", "value"]]
        steps.append(("identifiers", cy.IDENTIFIERS,
                      FrameRows(nodes.rename(columns={"identifier_key": "key"}), frame_records, fold=["key"])))
    if "ocg_members" in f:
        ocgs = f["ocg_members"].drop_duplicates("ocg_id", keep="last").rename(
            columns={"ocg_name": "name"})[["ocg_id", "name", "primary_crime", "source", "source_row", "_line"]]
        steps.append(("OCGs", cy.OCGS, NodeRows(ocgs, "ocg_id")))
    if "missing_episodes" in f:
        episodes = f["missing_episodes"][["episode_id", "started_at", "ended_at", "ended_at_raw", "source",
                                          "source_row", "_line"]]
        steps.append(("missing episodes", cy.MISSING_EPISODES, NodeRows(episodes, "episode_id")))

    if "incidents" in f:
        located = f["incidents"][f["incidents"]["location_id"].notna()]
        steps.append(("incident locations", cy.OCCURRED_AT, RelRows(located, ["incident_id", "location_id"])))
    steps.append(("involvements", cy.INVOLVED_IN, RelRows(f["involvements"], ["incident_id", "record_id", "role"])))
    if "associations" in f:
        steps.append(("associations", cy.RECORDED_ASSOCIATION,
                      RelRows(referenced(f["associations"]), ["record_id_a", "record_id_b", "kind", "source_ref"],
                              ["grade", "recorded_at"])))
    if len(ident):
        steps.append(("identifier links", cy.HAS_IDENTIFIER,
                      RelRows(ident, ["record_id", "identifier_key"], ["recorded_at", "raw_value"])))
    if "ocg_members" in f:
        steps.append(("OCG membership", cy.MEMBER_OF, RelRows(f["ocg_members"], ["record_id", "ocg_id"], ["mapped_at"])))
    if "missing_episodes" in f:
        m = f["missing_episodes"]
        found = m[m["found_location_id"].notna()].rename(columns={"found_location_id": "location_id"})
        steps.append(("missing reports", cy.REPORTED_MISSING, RelRows(m, ["record_id", "episode_id"])))
        steps.append(("found locations", cy.FOUND_AT, RelRows(found, ["episode_id", "location_id"])))
    return steps


def identifier_links(valid: ValidBundle) -> pd.DataFrame:
    """identifiers.csv rows plus each phone written on a person record, as one frame."""
    from csenet.loaders.normalise import identifier_key

    parts = []
    if "identifiers" in valid.frames:
        parts.append(valid.frames["identifiers"][["record_id", "kind", "value", "identifier_key", "recorded_at",
                                                  "raw_value", "source", "source_row"]])
    rec = valid.frames["person_records"][["record_id", "phones", "source", "source_row"]].explode("phones")
    rec = rec[rec["phones"].notna()]
    if len(rec):
        parts.append(pd.DataFrame({
            "record_id": rec["record_id"], "kind": "PHONE", "value": rec["phones"],
            "identifier_key": [identifier_key("PHONE", p) for p in rec["phones"]], "recorded_at": None,
            "raw_value": None, "source": rec["source"], "source_row": rec["source_row"],
        }))
    if not parts:
        return pd.DataFrame(columns=["record_id", "kind", "value", "identifier_key"])
    out = pd.concat(parts, ignore_index=True)
    return out.drop_duplicates(["record_id", "identifier_key"], keep="first").reset_index(drop=True)


# -- writing the person layer --------------------------------------------------------------

def person_properties(records: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """One row per person: the names, date of birth and gender most of its records agree on."""
    joined = records.merge(entities[["record_id", "person_id", "method", "model_version"]], on="record_id")
    joined["_dob_rank"] = joined["date_of_birth"].str.len().fillna(0)

    def mode(col: str) -> pd.Series:
        sub = joined[joined[col].notna()][["person_id", col]]
        counts = sub.groupby(["person_id", col], sort=True).size().rename("n").reset_index()
        counts = counts.sort_values(["person_id", "n", col], ascending=[True, False, True], kind="stable")
        return counts.drop_duplicates("person_id").set_index("person_id")[col]

    best_dob = joined[joined["_dob_rank"] > 0].copy()
    best_dob["_n"] = best_dob.groupby(["person_id", "date_of_birth"])["record_id"].transform("size")
    best_dob = best_dob.sort_values(["person_id", "_dob_rank", "_n", "date_of_birth"],
                                    ascending=[True, False, False, True], kind="stable")
    best_dob = best_dob.drop_duplicates("person_id").set_index("person_id")["date_of_birth"]
    out = pd.DataFrame({"person_id": sorted(entities["person_id"].unique())}).set_index("person_id")
    out["family_name"] = mode("family_name")
    out["given_names"] = mode("given_names")
    out["gender"] = mode("gender")
    out["date_of_birth"] = best_dob
    out["record_count"] = joined.groupby("person_id").size()
    out["resolution_method"] = mode("method")
    out["model_version"] = mode("model_version")
    return out.reset_index()


def first_people(valid: ValidBundle, records: pd.DataFrame, entities: pd.DataFrame,
                 on_first_view: Callable[[FirstView], None] | None,
                 incidents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every person of a load into an empty graph (all of them new), shown to `on_first_view`."""
    everyone = person_properties(records, entities)
    if on_first_view is not None:
        on_first_view(first_view(valid, records, entities, everyone, incidents))
    return everyone


def shown_incidents(valid: ValidBundle, on_first_incidents: Callable[[pd.DataFrame], None] | None
                    ) -> pd.DataFrame | None:
    """A first load's incidents (first_incidents), shown to `on_first_incidents` before resolution starts."""
    if on_first_incidents is None:
        return None
    incidents = first_incidents(valid)
    on_first_incidents(incidents)
    return incidents


def first_incidents(valid: ValidBundle) -> pd.DataFrame:
    """The incidents a first load leaves, as the audit reads them back (first_view's first frame)."""
    cols = ["incident_id", "reported_at", "occurred_at", "offence_code", "offence", "flags", "district", "summary"]
    inc = valid.frames.get("incidents", pd.DataFrame(columns=cols))
    incidents = pd.DataFrame({c: inc[c] if c in inc.columns else None for c in cols})
    # text Arrow-backed, as validated: on large, 0.6 GB of Python strings less here and in the audit's readers
    return none_for_unknown(incidents).sort_values("incident_id", ignore_index=True)


def first_view(valid: ValidBundle, records: pd.DataFrame, entities: pd.DataFrame,
               everyone: pd.DataFrame, incidents: pd.DataFrame | None = None) -> FirstView:
    """After a first load, the graph's incidents, who was involved in each and in what role,
    and those people, from the load's own frames: equal to reading them back
    (tests/test_incremental.py), without waiting for the people to be written or the read.
    `everyone`: person_properties of every person."""
    f = valid.frames
    incidents = first_incidents(valid) if incidents is None else incidents
    person_of = entities[["record_id", "person_id"]]
    involvements = (f["involvements"][["incident_id", "record_id", "role"]].merge(person_of, on="record_id")
                    [["incident_id", "person_id", "role"]].drop_duplicates().sort_values(
                        ["incident_id", "person_id", "role"], ignore_index=True))
    people = everyone[["person_id", "date_of_birth", "gender"]]
    people = people.astype(object).where(people.notna(), None)
    dobs = records[["record_id", "date_of_birth"]].merge(person_of, on="record_id")
    dobs = dobs[dobs["date_of_birth"].notna()].groupby("person_id")["date_of_birth"].agg(list)
    people["dob_candidates"] = [dobs.get(p, []) for p in people["person_id"]]
    return incidents, involvements, people


def membership_changes(ent: pd.DataFrame, previous: dict[str, str]) -> tuple[set[str], list[str], pd.Series]:
    """(persons whose record set changed or is new, persons left with no records, records that moved)."""
    prev = ent["record_id"].map(previous)
    moved = prev.ne(ent["person_id"])
    new_sizes = ent["person_id"].value_counts()
    old_sizes = pd.Series(previous, dtype=object).value_counts() if previous else pd.Series(dtype="int64")
    same_size = new_sizes.eq(old_sizes.reindex(new_sizes.index))
    changed = set(ent.loc[moved, "person_id"]) | set(new_sizes.index[~same_size])
    gone = sorted(set(old_sizes.index) - set(new_sizes.index))
    return changed, gone, moved


def rebuilt_persons(ent: pd.DataFrame, previous: dict[str, str], changed: set[str], existed: set[str]) -> set[str]:
    """Persons whose every projection is derived again, not only those this bundle's facts
    reach: a person the graph held whose records changed, and any person that took a record
    from another (its facts came in earlier loads). A person new to the graph whose records
    are all new has no facts but this bundle's, so the facts alone name it: on a first load
    that is everyone, and each projection reads only the persons with a fact of its kind."""
    prev = ent["record_id"].map(previous)
    took = set(ent.loc[prev.notna() & prev.ne(ent["person_id"]), "person_id"])
    return (changed & existed) | took


def fact_records(valid: ValidBundle) -> set[str]:
    """Every record a fact of this bundle names (involvements, associations, identifiers,
    OCG membership, missing episodes): known records among them may lie outside a day's
    neighbourhood, and their persons' projections still gain the fact."""
    f = valid.frames
    ids = set(f["involvements"]["record_id"]) | set(identifier_links(valid)["record_id"])
    if "associations" in f:
        ids |= set(f["associations"]["record_id_a"]) | set(f["associations"]["record_id_b"])
    for name in ("ocg_members", "missing_episodes"):
        if name in f:
            ids |= set(f[name]["record_id"])
    return {str(r) for r in ids if isinstance(r, str)}


def projection_targets(valid: ValidBundle, ent: pd.DataFrame, redo: set[str],
                       known: dict[str, str] | None = None) -> dict[str, list[str]]:
    """For each projection, the persons it must (re)build: those with a fact of that kind in
    this bundle, plus every person whose records changed (their older facts are in the graph).
    `known` gives the persons of records this load did not resolve again (a day's load)."""
    person_of = {**(known or {}), **dict(zip(ent["record_id"], ent["person_id"]))}
    f = valid.frames

    def people(record_ids: Iterable[str]) -> list[str]:
        return sorted({person_of[r] for r in record_ids if r in person_of} | redo)

    inv = f["involvements"]
    targets = {"role:" + role: people(inv.loc[inv["role"] == role, "record_id"]) for role in cy.ROLE_TYPES}
    assoc = f.get("associations")
    targets["ASSOCIATE_OF"] = people([] if assoc is None else pd.concat([assoc["record_id_a"], assoc["record_id_b"]]))
    ident = identifier_links(valid)
    targets["USES"] = people(ident["record_id"])
    targets["MAPPED_TO"] = people(f["ocg_members"]["record_id"] if "ocg_members" in f else [])
    targets["WENT_MISSING"] = people(f["missing_episodes"]["record_id"] if "missing_episodes" in f else [])
    return targets


def write_people(store: GraphStore, records: pd.DataFrame | None, resolution: Resolution, previous: dict[str, str],
                 valid: ValidBundle, settings: Settings, reporter: Reporter,
                 load_id: str, known: dict[str, str] | None = None,
                 everyone: pd.DataFrame | None = None) -> tuple[set[str], set[str], int, set[str]]:
    """Persons with their records, then the person-level projections; returns
    (persons whose records changed, persons written, persons in total, persons re-projected).

    Each write leaves the graph whole for a reader: a person arrives with its records, a
    record moves in one statement, a projection is re-derived before its stale part goes.
    `everyone`: given on a load into an empty graph, every person's properties, and then
    `records` (the resolved records, whose properties the persons take) is not needed.
    """
    ent = resolution.entities
    changed, gone, moved = membership_changes(ent, previous)
    in_bundle = isin(ent["record_id"], valid.frames["person_records"]["record_id"])
    touched = ent[moved | in_bundle]
    bs = settings.batch_size

    written = changed | set(touched["person_id"])
    if everyone is not None:
        people = everyone[isin(everyone["person_id"], written)]
    else:
        assert records is not None, "persons' properties come from `everyone` or from their records"
        people = person_properties(records, ent[isin(ent["person_id"], written)])
    existed = set() if everyone is not None else known_ids(store, "Person", "person_id", people["person_id"].tolist())
    new = set(people["person_id"]) - existed
    redo = rebuilt_persons(ent, previous, changed, existed)
    links = touched[["record_id", "person_id", "match_probability", "method", "model_version"]]
    by_person: dict[str, list[dict]] = {}
    for row in frame_records(links):
        by_person.setdefault(row.pop("person_id"), []).append(row)
    rows = [{"key": (pid := r.pop("person_id")), "props": {k: v for k, v in r.items() if v is not None},
             "records": by_person.get(pid, [])} for r in frame_records(people)]
    store.write_batches(cy.PERSONS_WITH_RECORDS, rows, bs, reporter.stage("persons and their records", len(rows)))
    if gone:
        store.write_batches(cy.RETIRE_PERSONS, gone, bs, reporter.stage("retired persons", len(gone)))

    # A person split off by re-resolution holds records whose facts came in earlier loads,
    # not in this bundle: `redo` names it.
    targets = projection_targets(valid, ent, redo, known)
    extra = {"derived_by": DERIVED_BY, "load_id": load_id}
    steps = [("roles " + role.lower(), q, rel, targets["role:" + role], {"role": role})
             for (role, q), rel in zip(cy.ROLE_PROJECTIONS.items(), cy.ROLE_TYPES.values())]
    steps.append(("recorded associates", cy.ASSOCIATE_OF, "ASSOCIATE_OF", targets["ASSOCIATE_OF"], {}))
    steps += [("person " + rel.lower().replace("_", " "), q, rel, targets[rel], {})
              for rel, q in cy.LINK_PROJECTIONS.items()]
    for name, query, rel, persons, params in steps:
        if not persons:
            continue
        progress = reporter.stage(name, len(persons))
        # A pair of people is MERGEd from either end: two batches in flight at once could
        # each find it missing and create it. Person-to-person steps go one batch at a time.
        for chunk in ([persons[at:at + bs] for at in range(0, len(persons), bs)] if rel in cy.BETWEEN_PERSONS
                      else [persons]):
            store.write_batches(query, chunk, bs, progress, extra={**extra, **params})
        older = [p for p in persons if p not in new]  # a person new to the graph has nothing stale
        if older:
            store.write_batches(cy.STALE_PROJECTIONS[rel], older, bs, extra={"load_id": load_id})
    projected = {p for persons in targets.values() for p in persons}
    return changed, set(people["person_id"]), int(ent["person_id"].nunique()), projected


def people_by_bulk(store: GraphStore, valid: ValidBundle, resolution: Resolution, previous: dict[str, str],
                   everyone: pd.DataFrame, load_id: str, reporter: Reporter, timings: dict[str, float]
                   ) -> tuple[set[str], set[str], int, set[str]] | None:
    """write_people's work and result for a first load whose facts went by GRAPH.BULK: the
    persons and their projections appended by it, no statement per person. None when they
    cannot be sent exactly; write_people then writes them by MERGE."""
    ent = resolution.entities
    sent = bulk_people(store, valid, identifier_links(valid), ent, everyone,
                       {"derived_by": DERIVED_BY, "derived_load": load_id}, reporter)
    if sent is None:
        return None
    timings.update(sent)
    changed, _, _ = membership_changes(ent, previous)
    return changed, set(everyone["person_id"]), int(ent["person_id"].nunique()), set()


def write_issues(issues: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    from csenet import csvsafe

    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csvsafe.writer(fh, lineterminator="\n")
        writer.writerow(ISSUE_COLUMNS)
        writer.writerows(issues.reindex(columns=ISSUE_COLUMNS).itertuples(index=False, name=None))
