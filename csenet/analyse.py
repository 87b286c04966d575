"""The analyses re-run after every load: the CSE flag audit, then network detection.

The audit goes first so that networks are built on audited CSE involvement, not on the
raw flag. Incidents the detected networks account for are then audited once more with
that network context, which the verdict's reasons cite.

After a delta only the incidents whose inputs may have changed are audited: those the
load touched, those audited by another audit version (or never), and those whose network
context changed. A verdict is a function of the incident, its people and its networks, so
this gives the verdicts a full audit would (tests/test_incremental.py proves it).
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd

from csenet.columns import isin
from csenet.settings import Settings
from csenet.graph.store import GraphStore, read_paged
from csenet.loaders.progress import NullReporter, Reporter

log = logging.getLogger(__name__)

INCIDENTS = """
MATCH (i:Incident) WHERE i.incident_id > $after
WITH i ORDER BY i.incident_id LIMIT $page
RETURN i.incident_id AS incident_id, i.reported_at AS reported_at, i.occurred_at AS occurred_at,
       i.offence_code AS offence_code, i.offence AS offence, i.flags AS flags, i.district AS district,
       i.summary AS summary
ORDER BY incident_id
"""

INVOLVEMENTS = """
MATCH (i:Incident) WHERE i.incident_id > $after
WITH i ORDER BY i.incident_id LIMIT $page
OPTIONAL MATCH (p:Person)-[r:VICTIM_IN|SUSPECT_IN|OFFENDER_IN|WITNESS_IN|REPORTER_IN|OTHER_IN]->(i)
RETURN i.incident_id AS incident_id, collect([p.person_id, type(r)]) AS people
ORDER BY incident_id
"""

PERSONS = """
MATCH (p:Person) WHERE p.person_id > $after
WITH p ORDER BY p.person_id LIMIT $page
OPTIONAL MATCH (p)<-[:RESOLVED_TO]-(r:PersonRecord)
RETURN p.person_id AS person_id, p.date_of_birth AS date_of_birth, p.gender AS gender,
       collect(r.date_of_birth) AS dob_candidates
ORDER BY person_id
"""

NETWORK_INCIDENTS = """
MATCH (n:Network) WHERE n.network_id > $after
WITH n ORDER BY n.network_id LIMIT $page
RETURN n.network_id AS network_id, n.incident_ids AS incident_ids
ORDER BY network_id
"""


_PICK_INCIDENT = "UNWIND $ids AS id\nMATCH (i:Incident {incident_id: id})\n"
BY_ID = {
    INCIDENTS: _PICK_INCIDENT + INCIDENTS.split("\n", 3)[3],
    INVOLVEMENTS: _PICK_INCIDENT + INVOLVEMENTS.split("\n", 3)[3],
    PERSONS: "UNWIND $ids AS id\nMATCH (p:Person {person_id: id})\n" + PERSONS.split("\n", 3)[3],
}
"""Each whole-graph read's body after its keyset-paging head, fed a list of ids instead."""

UNANALYSED_LOADS = "MATCH (l:Load) WHERE l.analysed_at IS NULL AND l.load_id <> $load_id RETURN count(l) AS n"
ANALYSED = "MATCH (l:Load) WHERE l.analysed_at IS NULL SET l.analysed_at = $now, l.detection = $detection"
LAST_DETECTION = """
MATCH (l:Load) WHERE l.analysed_at IS NOT NULL
RETURN l.detection AS detection ORDER BY l.analysed_at DESC, l.load_id DESC LIMIT 1
"""

STALE_AUDITS = """
MATCH (i:Incident) WHERE i.incident_id > $after AND (i.audit_version IS NULL OR i.audit_version <> $version)
WITH i ORDER BY i.incident_id LIMIT $page
RETURN i.incident_id AS incident_id
ORDER BY incident_id
"""
INCIDENT_COUNT = "MATCH (i:Incident) RETURN count(i) AS n"
PERSON_COUNT = "MATCH (p:Person) RETURN count(p) AS n"


def _chunks(ids: Collection[str], size: int = 5_000) -> Iterator[list[str]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def _rows(store: GraphStore, query: str, key: str, ids: Collection[str] | None) -> Iterator[dict[str, Any]]:
    """Every row of a paged whole-graph read, or of its by-id form for just `ids`."""
    if ids is None:
        yield from read_paged(store, query, key)
        return
    for chunk in _chunks(ids):
        yield from store.read(BY_ID[query], {"ids": chunk})


def audit_inputs(store: GraphStore, ids: Collection[str] | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Incidents (all, or those in `ids`), their people's roles, and those people.

    The whole graph's three listings are read at once, each by its own pages: the store
    pages one while csenet decodes another."""
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="csenet-audit-read") as pool:
        incidents = pool.submit(lambda: list(_rows(store, INCIDENTS, "incident_id", ids)))
        involved = pool.submit(lambda: list(_rows(store, INVOLVEMENTS, "incident_id", ids)))
        everyone = pool.submit(lambda: list(_rows(store, PERSONS, "person_id", None))) if ids is None else None
        rows = []
        for row in involved.result():
            for person_id, rel in row["people"]:
                if person_id is not None and rel:
                    rows.append((row["incident_id"], person_id, rel[:-3]))
        involvements = pd.DataFrame(rows, columns=["incident_id", "person_id", "role"])
        people = everyone.result() if everyone is not None else \
            list(_rows(store, PERSONS, "person_id", set(involvements["person_id"])))
        incidents = pd.DataFrame(incidents.result(), columns=["incident_id", "reported_at", "occurred_at",
                                                              "offence_code", "offence", "flags", "district",
                                                              "summary"])
    persons = pd.DataFrame(people, columns=["person_id", "date_of_birth", "gender", "dob_candidates"])
    return incidents, involvements, persons


def network_context(store: GraphStore) -> pd.DataFrame:
    rows = [(inc, r["network_id"]) for r in read_paged(store, NETWORK_INCIDENTS, "network_id")
            for inc in (r["incident_ids"] or [])]
    return pd.DataFrame(rows, columns=["incident_id", "network_id"])


class FirstAudit:
    """The flag audit of a first load, computed from the load's own view of the graph
    (loaders.load.first_view) while its people are written: the store is busy then and
    csenet's process mostly waits. `run_analyses` takes its verdicts instead of reading
    the whole graph back and auditing it. With many incidents, their summaries are read
    before that, while people are resolved (`read`, audit.parallel.StagedAudit)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csenet-first-audit")
        self._staged: Future | None = None
        self._verdicts: Future | None = None

    def read(self, incidents: pd.DataFrame) -> None:
        """Start the workers reading the first load's validated incidents, if there are enough for two."""
        from csenet.audit.parallel import StagedAudit, processes_for

        workers = self.settings.audit_workers or os.cpu_count() or 1
        if self.settings.audit_read_ahead and processes_for(len(incidents), workers) >= 2:
            # sending each worker its part waits for the worker to start: not on the load's thread
            self._staged = self._pool.submit(StagedAudit, incidents, workers=workers)

    def start(self, view: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> None:
        """The whole graph's view: audited at once in this process, or, where readers hold the
        summaries, judged by them once the load has let its frames go (`written`): judging
        adds about half again to a reader, and beside the people's writing it made the peak."""
        self.inputs = view
        if self._staged is None:
            self._verdicts = self._pool.submit(self._audit, view)

    def written(self) -> None:
        """The load has written everything and let its frames go: the readers may judge."""
        if self._verdicts is None and self.inputs is not None:
            self._verdicts = self._pool.submit(self._audit, self.inputs)

    def _audit(self, view: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
        if self._staged is not None:
            try:
                staged = self._staged.result()
            except Exception:  # noqa: BLE001 - no worker started; the audit is the same without them
                log.warning("the audit's readers did not start; auditing after resolution", exc_info=True)
            else:
                return staged.finish(view[1], view[2])
        return _audit(self.settings, *view, None, here=False)

    def verdicts(self) -> pd.DataFrame | None:
        self.written()  # a load that never said so has still written everything by now
        return None if self._verdicts is None else self._verdicts.result()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._staged is not None:
            self._staged.add_done_callback(_close_staged)


def _close_staged(started: Future) -> None:
    """Stop the readers of a first audit, whether or not they were waited for."""
    if not started.cancelled() and started.exception() is None:
        started.result().close()


def run_analyses(store: GraphStore, settings: Settings, reporter: Reporter | None = None,
                 touched: Collection[str] | None = None, load_id: str | None = None,
                 people: Collection[str] | None = (), first: FirstAudit | None = None) -> dict[str, Any]:
    """The flag audit and network detection; with `touched` (the incidents load `load_id`
    touched) the audit reads and writes only the incidents whose verdict may have changed,
    and networks are detected again around their people and `people` (those whose other
    evidence the load changed; None: not known, the whole graph). Both cover everything
    when an earlier load was never analysed (a crash, `--no-analyse`). `first`: the audit
    of a first load, already under way."""
    from csenet.audit.graph import write_verdicts
    from csenet.networks.detection import DetectionParams
    from csenet.networks.partial import params_digest

    reporter = reporter or NullReporter()
    result: dict[str, Any] = {}
    start = time.perf_counter()
    ids, before = _audit_scope(store, touched, load_id)
    (incidents, involvements, persons), verdicts, later = _flag_audit(store, settings, reporter, ids, first)
    scope = "" if ids is None else " (%d incidents audited after this load)" % len(incidents)
    took = time.perf_counter() - start

    start = time.perf_counter()
    step = reporter.stage("network detection", 1)
    detection = params_digest(DetectionParams.from_settings(settings))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="csenet-verdicts") as pool:
        beside: list[Future] = []

        def write_the_rest() -> None:
            """Once detection has read the graph: writes beside its read slowed it twice over."""
            if later is not None and not beside:
                beside.append(pool.submit(write_verdicts, store, verdicts[later], settings.batch_size))

        summary = _detect(store, settings, detection, None if ids is None or people is None
                          else set(involvements["person_id"]) | set(people), after_read=write_the_rest)
        write_the_rest()
        store.sync()
        if later is not None:
            beside[0].result()
            store.sync()
            scope += " (%d verdicts written beside network detection)" % int(later.sum())
    step(1)
    result["flag audit"] = verdict_counts(store) + scope + " (%.1f s)" % took
    context = network_context(store)
    if ids is None:
        again, alone = set(context["incident_id"]), set()
    else:
        after = _contexts(context)
        moved = {i for i in set(before) | set(after) if before.get(i) != after.get(i)}
        again, alone = set(after) & (ids | moved), (moved - set(after)) - ids
        incidents, involvements, persons = audit_inputs(store, again | alone)
    _reaudit(store, settings, (incidents, involvements, persons), context, again, alone, verdicts)
    store.write(ANALYSED, {"now": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                           "detection": detection})
    store.compact(past_limit=True)
    result["networks"] = ("%d networks (%d not on the OCG map as a group), %d perpetrators, %d facilitators, "
                          "%d children; %d association links; CSE involvement from %s; detected in %s "
                          "(%.1f s: %s)"
                          % (summary.networks, summary.not_ocg_mapped, summary.perpetrators, summary.facilitators,
                             summary.victims, summary.associations,
                             ", ".join(sorted(summary.cse_basis)) or "no CSE incidents", summary.scope,
                             time.perf_counter() - start,
                             ", ".join("%s %.1f s" % kv for kv in summary.timings.items())))
    result["network changes"] = "%d elements deleted, %d written" % (summary.changed.get("deleted", 0),
                                                                       summary.changed.get("written", 0))
    if summary.lineage:
        result["network ids"] = lineage_line(summary.lineage)
    return result


def _detect(store: GraphStore, settings: Settings, detection: str, around: set[str] | None,
            after_read: Callable[[], None] | None = None) -> Any:
    """Network detection: around the people a delta touched when the last analysis ran
    under the same detection settings (`detection`, their digest), else the whole graph.
    `after_read`: as for detect_networks."""
    from csenet.networks.partial import short_networks
    from csenet.networks.projection import detect_networks

    most = 0
    if around is not None and settings.network_part_max_share > 0:
        last = store.read(LAST_DETECTION)
        if last and last[0]["detection"] == detection:
            most = int(settings.network_part_max_share * store.read(PERSON_COUNT)[0]["n"])
    if not most:
        return detect_networks(store, settings, after_read=after_read)
    return detect_networks(store, settings, around=around, max_people=most, components=short_networks(store),
                           after_read=after_read)


def _audit_scope(store: GraphStore, touched: Collection[str] | None, load_id: str | None
                 ) -> tuple[set[str] | None, dict[str, tuple[str, ...]]]:
    """The incidents to audit (None: the whole graph) and, for a part, their networks before.
    Most of the graph is read whole: its paged reads are quicker than lookups by id (a first
    load touched every incident, and reading which are stale would read them all again)."""
    from csenet.audit.engine import current_version

    if touched is None or store.read(UNANALYSED_LOADS, {"load_id": load_id or ""})[0]["n"] > 0:
        return None, {}
    count = store.read(INCIDENT_COUNT)[0]["n"]
    if len(touched) * 2 > count:
        return None, {}
    ids = set(touched) | stale_incidents(store, current_version())
    if len(ids) * 2 > count:
        return None, {}
    return ids, _contexts(network_context(store))


def _flag_audit(store: GraphStore, settings: Settings, reporter: Reporter, ids: set[str] | None,
                first: FirstAudit | None) -> tuple[tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], pd.DataFrame,
                                                   pd.Series | None]:
    """The audit's inputs and verdicts, written but for those left to write beside network
    detection (the third value, a mask): a first load's graph holds no verdict yet, and
    detection reads only the incidents CSE by the definition or by the flag."""
    from csenet.audit.graph import write_verdicts

    verdicts, later = None, None
    if ids is None and first is not None and first.inputs is not None:
        inputs, verdicts = first.inputs, first.verdicts()
    else:
        inputs = audit_inputs(store, ids)
    step = reporter.stage("flag audit", len(inputs[0]))
    if verdicts is None:
        verdicts = _audit(settings, *inputs)
    else:
        later = unread_by_detection(verdicts)
    write_verdicts(store, verdicts if later is None else verdicts[~later], settings.batch_size)
    store.sync()
    step(len(inputs[0]))
    return inputs, verdicts, later


def unread_by_detection(verdicts: pd.DataFrame) -> pd.Series:
    """Verdicts network detection does not read: neither meeting the definition nor flagged CSE
    (networks.facts_queries.Q_CSE_INCIDENTS). Unwritten, such an incident reads the same."""
    return ~(verdicts["meets_cse_definition"].astype(bool) | verdicts["flagged_cse"].astype(bool))


def stale_incidents(store: GraphStore, version: str) -> set[str]:
    """Incidents audited by another audit version, or never: after an upgrade, all of them."""
    return {r["incident_id"] for r in read_paged(store, STALE_AUDITS, "incident_id", params={"version": version})}


def lineage_line(lineage: list[dict[str, Any]], shown: int = 8) -> str:
    """The load report's line on network ids that changed with their membership."""
    moved = [r for r in lineage if r["old"] and r["new"]]
    ended = [r["old"] for r in lineage if r["old"] and not r["new"]]
    born = [r["new"] for r in lineage if not r["old"]]
    parts = ["%s → %s (%d of %d members kept, now %d)" % (r["old"], r["new"], r["kept"], r["old_size"], r["new_size"])
             for r in moved[:shown]]
    if len(moved) > shown:
        parts.append("%d more changed" % (len(moved) - shown))
    if ended:
        parts.append("%d ended (%s)" % (len(ended), ", ".join(ended[:shown])))
    if born:
        parts.append("%d new" % len(born))
    return "; ".join(parts)


def _reaudit(store: GraphStore, settings: Settings, inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
             context: pd.DataFrame, again: set[str], alone: set[str], audited: pd.DataFrame) -> None:
    """Verdicts again for the incidents in networks (`again`, with their networks cited) and
    for those a network no longer accounts for (`alone`, without). Those `audited` (this
    run's verdicts, without networks) gain their networks' citation without being read again."""
    from csenet.audit.engine import with_networks
    from csenet.audit.graph import write_verdicts

    incidents, involvements, persons = inputs
    known = audited[isin(audited["incident_id"], again)]
    if len(known):
        write_verdicts(store, with_networks(known, context), settings.batch_size)
    for chosen, ctx in ((again - set(known["incident_id"]), context), (alone, None)):
        if chosen:
            picked = incidents[isin(incidents["incident_id"], chosen)]
            write_verdicts(store, _audit(settings, picked, involvements[isin(involvements["incident_id"], chosen)],
                                         persons, ctx), settings.batch_size)
    store.sync()


def _audit(settings: Settings, incidents: pd.DataFrame, involvements: pd.DataFrame, persons: pd.DataFrame,
           context: pd.DataFrame | None = None, here: bool = True) -> pd.DataFrame:
    from csenet.audit.parallel import audit_in_parallel

    return audit_in_parallel(incidents, involvements, persons, context,
                             workers=settings.audit_workers or os.cpu_count() or 1, here=here)


def _contexts(context: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """incident id -> the networks it is attributed to."""
    out: dict[str, list[str]] = {}
    for inc, net in zip(context["incident_id"].tolist(), context["network_id"].tolist()):
        out.setdefault(str(inc), []).append(str(net))
    return {k: tuple(sorted(v)) for k, v in out.items()}


VERDICTS = "MATCH (i:Incident) WHERE i.cse_verdict IS NOT NULL RETURN i.cse_verdict AS verdict, count(i) AS n"


def verdict_counts(store: GraphStore) -> str:
    """The whole graph's verdicts, however few incidents this run audited."""
    counts = {r["verdict"]: r["n"] for r in store.read(VERDICTS)}
    return ", ".join("%s %d" % (v, int(counts.get(v, 0)))
                     for v in ("CONFIRMED", "OVER_FLAGGED", "UNDER_FLAGGED", "NOT_CSE"))
