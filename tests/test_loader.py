"""A bundle into the graph: counts, provenance, idempotence, later extracts, refusals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from csenet.api.person_queries import profile
from csenet.loaders.load import load_bundle
from csenet.loaders.read import BundleError
from csenet.resolution.deterministic import resolve_deterministic
from tests.conftest import frames_holding, graph_counts

TINY_NODES = {"Identifier": 3, "Incident": 5, "Load": 1, "Location": 4, "MissingEpisode": 1, "OCG": 1,
              "PersonRecord": 10}
TINY_FACTS = {"FOUND_AT": 1, "HAS_IDENTIFIER": 5, "INVOLVED_IN": 9, "MEMBER_OF": 1, "OCCURRED_AT": 5,
              "RECORDED_ASSOCIATION": 1, "REPORTED_MISSING": 1, "RESOLVED_TO": 10}


def load(store, folder: Path, settings, **kw):
    kw.setdefault("resolver", resolve_deterministic)
    return load_bundle(store, folder, settings, **kw)


def dump(store) -> tuple:
    """Every node and relationship with its properties, in a stable order."""
    nodes = store.read("MATCH (n) RETURN labels(n) AS l, n ORDER BY l[0]", limit=100_000)
    rels = store.read("MATCH (a)-[r]->(b) RETURN type(r) AS t, properties(a) AS a, properties(b) AS b, r",
                      limit=100_000)

    def key(x):
        return repr(sorted((k, repr(v)) for k, v in x.items()))

    return sorted(map(key, nodes)), sorted(map(key, rels))


def test_tiny_bundle_loads_as_its_readme_describes(store, backend_settings, tiny_bundle):
    summary = load(store, tiny_bundle, backend_settings)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (34, 34, 0)
    nodes, rels = graph_counts(store)
    assert {k: v for k, v in nodes.items() if k != "Person"} == TINY_NODES
    assert {k: v for k, v in rels.items() if k in TINY_FACTS} == TINY_FACTS
    # the phone in two notations and the plate in two spellings are one identifier each
    shared = store.read("MATCH (r:PersonRecord)-[:HAS_IDENTIFIER]->(i:Identifier) "
                        "WITH i, collect(r.record_id) AS rs WHERE size(rs) > 1 "
                        "RETURN i.identifier_key AS k, rs ORDER BY k")
    assert [(s["k"], sorted(s["rs"])) for s in shared] == [("PHONE:07700900111", ["P-1", "P-2"]),
                                                           ("VEHICLE:AB12CDE", ["P-4", "P-6"])]
    # Eira and Arne share surname, postcode and birthday but are two people
    lind = store.read("MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p:Person) WHERE r.family_name = 'Lindqvist' "
                      "RETURN count(DISTINCT p) AS n")
    assert lind == [{"n": 2}]
    p4 = store.read("MATCH (r:PersonRecord {record_id: 'P-4'}) RETURN r")[0]["r"]
    assert p4["date_of_birth_raw"] == "1990-13-04" and "date_of_birth" not in p4
    inc1 = store.read("MATCH (i:Incident {incident_id: 'INC-1'}) RETURN i")[0]["i"]
    assert inc1["x_officer_collar"] == "4411" and inc1["flags"] == ["CSE"] and inc1["flagged_cse"] is True
    assert inc1["year"] == 2023 and inc1["reported_at"] == "2023-03-02T14:05"
    missing = store.read("MATCH (p:Person)-[:WENT_MISSING]->(m:MissingEpisode)-[:FOUND_AT]->(l:Location) "
                         "RETURN m.started_at AS s, l.location_id AS l")
    assert missing == [{"s": "2023-05-08", "l": "LOC-2"}]
    rejects = pd.read_csv(tiny_bundle / "rejects.csv")
    assert list(rejects.columns) == ["file", "line", "severity", "column", "value", "reason"]
    assert rejects[["file", "line", "severity"]].values.tolist() == [["person_records.csv", 5, "WARNING"]]


def test_person_layer_projects_roles_and_links(store, backend_settings, tiny_bundle):
    load(store, tiny_bundle, backend_settings)
    roles = store.read("MATCH (p:Person)-[r]->(i:Incident) RETURN type(r) AS t, count(*) AS n ORDER BY t")
    assert roles == [{"t": "SUSPECT_IN", "n": 5}, {"t": "VICTIM_IN", "n": 4}]
    assoc = store.read("MATCH (a:Person)-[x:ASSOCIATE_OF]->(b:Person) RETURN x.kind AS k, x.grades AS g, "
                       "x.source_refs AS s")
    assert assoc == [{"k": "ASSOCIATE", "g": ["B2"], "s": ["IR/2023/0042"]}]
    mapped = store.read("MATCH (p:Person)-[:MAPPED_TO]->(o:OCG) RETURN p.family_name AS f, o.primary_crime AS c")
    assert mapped == [{"f": "Oduya", "c": "DRUGS"}]


def test_every_node_and_fact_carries_provenance(store, backend_settings, tiny_bundle):
    summary = load(store, tiny_bundle, backend_settings)
    for label in ("PersonRecord", "Incident", "Location", "OCG", "MissingEpisode"):
        rows = store.read("MATCH (n) WHERE $l IN labels(n) RETURN n.source AS s, n.source_rows AS r, n.load_ids AS l",
                          {"l": label})
        assert rows and all(r["s"] and r["r"] and r["l"] == [summary.load_id] for r in rows), label
    rows = store.read("MATCH ()-[x:INVOLVED_IN|RECORDED_ASSOCIATION|HAS_IDENTIFIER|MEMBER_OF|OCCURRED_AT]->() "
                      "RETURN x.source_rows AS r, x.load_ids AS l")
    assert rows and all(r["r"] and r["l"] == [summary.load_id] for r in rows)
    p1 = store.read("MATCH (r:PersonRecord {record_id: 'P-1'}) RETURN r.source_rows AS rows")[0]["rows"]
    assert p1 == ["person_records.csv:2"]
    derived = store.read("MATCH (:Person)-[x:VICTIM_IN]->() RETURN x.record_ids AS r, x.derived_by AS d")
    assert all(r["r"] and r["d"] for r in derived)


def test_loading_the_same_bundle_twice_changes_nothing(store, backend_settings, any_bundle):
    load(store, any_bundle, backend_settings)
    first = dump(store)
    again = load(store, any_bundle, backend_settings)
    assert again.persons_changed == 0
    assert dump(store) == first


def test_a_later_extract_adds_to_the_graph(store, backend_settings, tiny_bundle, tmp_path):
    load(store, tiny_bundle, backend_settings)
    before_nodes, before_rels = graph_counts(store)
    later = tmp_path / "later"
    later.mkdir()
    (later / "incidents.csv").write_text("incident_id,reported_at,offence,location_id\n"
                                         "INC-9,2023-09-01,Sexual activity involving a child under 16,LOC-2\n")
    (later / "person_records.csv").write_text("record_id,family_name,given_names,date_of_birth\n"
                                              "Q-1,Hale,Ryan,1985-05-05\n")
    (later / "involvements.csv").write_text("incident_id,record_id,role\nINC-9,Q-1,SUSPECT\nINC-9,P-1,VICTIM\n")
    summary = load(store, later, backend_settings)
    assert summary.rows_rejected == 0
    nodes, rels = graph_counts(store)
    assert nodes["Incident"] == before_nodes["Incident"] + 1
    assert nodes["PersonRecord"] == before_nodes["PersonRecord"] + 1
    assert nodes["Load"] == 2
    assert rels["INVOLVED_IN"] == before_rels["INVOLVED_IN"] + 2
    tayla = store.read("MATCH (r:PersonRecord {record_id: 'P-1'})-[:RESOLVED_TO]->(p:Person)-[:VICTIM_IN]->(i) "
                       "RETURN i.incident_id AS i ORDER BY i")
    assert [t["i"] for t in tayla] == ["INC-1", "INC-9"]
    assert store.read("MATCH (i:Incident {incident_id: 'INC-9'})-[:OCCURRED_AT]->(l) RETURN l.location_id AS l") == \
        [{"l": "LOC-2"}]


def test_re_resolution_moves_records_and_retires_empty_persons(store, backend_settings, tiny_bundle):
    load(store, tiny_bundle, backend_settings)
    n_before = store.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]

    def merge_tayla(records, previous):
        res = resolve_deterministic(records, previous)
        ent = res.entities.copy()
        keep = ent.loc[ent["record_id"] == "P-1", "person_id"].iloc[0]
        ent.loc[ent["record_id"] == "P-2", ["person_id", "match_probability", "method"]] = [keep, 0.97, "test"]
        res.entities = ent
        return res

    load(store, tiny_bundle, backend_settings, resolver=merge_tayla)
    assert store.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"] == n_before - 1
    tayla = store.read("MATCH (r:PersonRecord)-[x:RESOLVED_TO]->(p:Person)-[:VICTIM_IN]->(i:Incident) "
                       "WHERE r.record_id IN ['P-1', 'P-2'] "
                       "RETURN collect(DISTINCT p.person_id) AS p, collect(DISTINCT i.incident_id) AS i")
    assert len(tayla[0]["p"]) == 1 and sorted(tayla[0]["i"]) == ["INC-1", "INC-2"]
    assert store.read("MATCH (p:Person) WHERE NOT (p)<-[:RESOLVED_TO]-() RETURN count(p) AS n") == [{"n": 0}]
    assert store.read("MATCH (:PersonRecord)-[x:RESOLVED_TO]->() RETURN count(x) AS n") == [{"n": 10}]


def test_a_refused_bundle_writes_nothing(store, backend_settings, any_bundle):
    (any_bundle / "involvements.csv").write_text("incident_id,record_id\nINC-1,P-1\n")
    with pytest.raises(BundleError, match="required column role"):
        load(store, any_bundle, backend_settings)
    assert graph_counts(store) == ({}, {})


def test_rejects_go_to_the_file_asked_for(store, backend_settings, any_bundle, tmp_path):
    path = any_bundle / "involvements.csv"
    header = [c.strip().lower() for c in path.read_text().splitlines()[0].split(",")]
    incident = pd.read_csv(path, dtype=str).rename(columns=str.lower)["incident_id"].iloc[0]
    row = {"incident_id": incident, "record_id": "N-9913", "role": "WITNESS"}
    with open(path, "a") as fh:
        fh.write(",".join(row[c] for c in header) + "\n")
    out = tmp_path / "elsewhere" / "r.csv"
    summary = load(store, any_bundle, backend_settings, rejects_path=out)
    assert summary.rows_rejected == 1 and summary.rows_read == summary.rows_loaded + summary.rows_rejected
    rejects = pd.read_csv(out)
    row = rejects[rejects["severity"] == "REJECT"].iloc[0]
    assert (row["file"], row["line"], row["value"]) == ("involvements.csv", 11, "N-9913")
    assert row["reason"] == 'record_id "N-9913" not in person_records.csv'


class Watched:
    """The real store, writing one row per statement and checking after each one what a
    reader could see at that moment."""

    def __init__(self, inner, linked: list[str]):
        self.inner, self.linked, self.checks = inner, linked, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def write_batches(self, query, rows, batch_size=None, progress=None, extra=None):
        for row in rows:
            self.inner.write_batches(query, [row], 1, None, extra)
            self.inner.sync()
            self.see()
            if progress:
                progress(1)
        return len(rows)

    def see(self):
        read = self.inner.read
        self.checks += 1
        assert read("MATCH (p:Person) WHERE NOT (p)<-[:RESOLVED_TO]-() RETURN p.person_id AS p") == []
        assert read("MATCH (r:PersonRecord)-[x:RESOLVED_TO]->() WITH r, count(x) AS n WHERE n > 1 "
                    "RETURN r.record_id AS r") == []
        assert read("MATCH (r:PersonRecord) WHERE r.record_id IN $ids AND NOT (r)-[:RESOLVED_TO]->() "
                    "RETURN r.record_id AS r", {"ids": self.linked}) == []
        holder = read("MATCH (:PersonRecord {record_id: 'P-1'})-[:RESOLVED_TO]->(p:Person) RETURN p.person_id AS p")
        answer = profile(lambda q, params: read(q, params), holder[0]["p"], 100)
        shown = {r["record"]["record_id"] for r in answer["records"]}
        assert "P-1" in shown
        assert {"relationship": "VICTIM_IN", "id": "INC-1"} in [
            {"relationship": i["relationship"], "id": i["incident"]["incident_id"]} for i in answer["incidents"]]
        cited = {rid for key in ("incidents", "identifiers", "ocgs", "missing_episodes")
                 for row in answer[key] for rid in row["record_ids"]}
        assert cited <= shown


@pytest.mark.parametrize("change", ["merge", "swap", "split"])
def test_no_reader_sees_a_partial_person_while_people_move(store, backend_settings, tiny_bundle, change):
    """Every statement of a re-resolution leaves whole persons: none without records, no record
    between two persons or none, and a profile read at any moment shows each of its records
    with its incidents and cites no record it does not show."""
    load(store, tiny_bundle, backend_settings)
    linked = [r["r"] for r in store.read("MATCH (r:PersonRecord)-[:RESOLVED_TO]->() RETURN r.record_id AS r")]
    before = {r["r"]: r["p"] for r in store.read(
        "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p) RETURN r.record_id AS r, p.person_id AS p")}

    def moved(records, previous):
        res = resolve_deterministic(records, previous)
        ent = res.entities.copy()
        one, two = (ent.loc[ent["record_id"] == r, "person_id"].iloc[0] for r in ("P-1", "P-3"))
        if change == "merge":
            ent.loc[ent["record_id"] == "P-2", ["person_id", "match_probability", "method"]] = [one, 0.97, "test"]
        elif change == "split":
            ent.loc[ent["record_id"] == "P-1", "person_id"] = "PER-SPLIT-1"
        else:
            ent.loc[ent["record_id"] == "P-1", "person_id"] = two
            ent.loc[ent["record_id"] == "P-3", "person_id"] = one
        res.entities = ent
        return res

    watched = Watched(store, linked)
    load(watched, tiny_bundle, backend_settings, resolver=moved)
    assert watched.checks > 5
    after = {r["r"]: r["p"] for r in store.read(
        "MATCH (r:PersonRecord)-[:RESOLVED_TO]->(p) RETURN r.record_id AS r, p.person_id AS p")}
    assert set(after) == set(before) and after != before
    assert store.read("MATCH (p:Person) WHERE NOT (p)<-[:RESOLVED_TO]-() RETURN count(p) AS n") == [{"n": 0}]
    stale = store.read("MATCH (p:Person)-[x:VICTIM_IN]->(i:Incident) "
                       "WHERE NOT (p)<-[:RESOLVED_TO]-(:PersonRecord)-[:INVOLVED_IN {role: 'VICTIM'}]->(i) "
                       "RETURN p.person_id AS p, i.incident_id AS i")
    assert stale == []
    pairs = "RETURN DISTINCT p.person_id AS p, i.incident_id AS i ORDER BY p, i"
    from_records = store.read("MATCH (p:Person)<-[:RESOLVED_TO]-(:PersonRecord)-[:INVOLVED_IN]->(i:Incident) " + pairs)
    projected = store.read("MATCH (p:Person)-[:VICTIM_IN|SUSPECT_IN|OFFENDER_IN|WITNESS_IN|REPORTER_IN|OTHER_IN]->"
                           "(i:Incident) " + pairs)
    assert projected == from_records


def test_a_person_split_off_by_a_later_load_gets_the_incidents_of_its_records(store, backend_settings, tiny_bundle,
                                                                                 tmp_path):
    """The moved record's facts came in an earlier load, not in this bundle: they are projected
    onto the new person all the same, and its incidents count as touched."""
    load(store, tiny_bundle, backend_settings)
    delta = tmp_path / "delta"
    delta.mkdir()
    for name in ("incidents", "involvements"):
        header = (tiny_bundle / (name + ".csv")).read_text(encoding="utf-8").splitlines()[0]
        (delta / (name + ".csv")).write_text(header + "\n", encoding="utf-8")
    records = pd.read_csv(tiny_bundle / "person_records.csv", dtype=str, keep_default_na=False)
    extra = records.head(1).assign(record_id="P-NEW", given_names="Someone")
    extra.to_csv(delta / "person_records.csv", index=False)  # input, not an export
    incidents_of_p1 = {r["i"] for r in store.read(
        "MATCH (:PersonRecord {record_id: 'P-1'})-[:INVOLVED_IN]->(i:Incident) RETURN i.incident_id AS i")}
    assert incidents_of_p1

    def split(records, previous):
        res = resolve_deterministic(records, previous)
        res.entities.loc[res.entities["record_id"] == "P-1", "person_id"] = "PER-SPLIT-1"
        return res

    summary = load(store, delta, backend_settings, resolver=split)
    projected = {r["i"] for r in store.read(
        "MATCH (:Person {person_id: 'PER-SPLIT-1'})-[:VICTIM_IN|SUSPECT_IN|OFFENDER_IN|WITNESS_IN|REPORTER_IN|OTHER_IN]"
        "->(i:Incident) RETURN i.incident_id AS i")}
    assert projected == incidents_of_p1
    assert incidents_of_p1 <= set(summary.touched_incidents)


ASSOCIATES = ("MATCH (a:Person)-[x:ASSOCIATE_OF]->(b:Person) RETURN a.person_id AS a, b.person_id AS b, "
              "x.kind AS kind, x.record_ids AS records, x.grades AS grades, x.source_refs AS refs")


def test_a_recorded_association_is_projected_once_however_the_people_are_batched(store, backend_settings,
                                                                                   tmp_path):
    """Both people of a pair re-project it; in batches written at once, each could find it
    missing and make it (a duplicate), and which end came first set its record order."""
    from csenet.synth import generate

    folder = tmp_path / "force"
    generate(folder, scale="small", seed=13)

    def projected(batch_size: int) -> list[tuple]:
        store.drop_graph()
        store.ensure_schema()
        load_bundle(store, folder, backend_settings.model_copy(update={"batch_size": batch_size}),
                    resolver=resolve_deterministic, rejects_path=tmp_path / "rejects.csv")
        return sorted((r["a"], r["b"], r["kind"], tuple(r["records"]), tuple(r["grades"]), tuple(r["refs"]))
                      for r in store.read(ASSOCIATES))

    small, whole = projected(40), projected(100_000)
    assert len(whole) > 20
    assert len({row[:3] for row in small}) == len(small), "a pair projected twice"
    assert small == whole


def test_only_persons_whose_older_facts_may_be_missing_are_rebuilt_whole():
    """A person new to the graph whose records are all new is projected from this bundle's
    facts alone; one the graph held, or one that took a record from another, is rebuilt
    from all of its records' facts."""
    from csenet.loaders.load import membership_changes, rebuilt_persons

    ent = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4", "r5"],
                        "person_id": ["P-new", "P-held", "P-held", "P-took", "P-same"]})
    previous = {"r2": "P-held", "r4": "P-old", "r5": "P-same"}  # r1 and r3 are new records
    changed, _, _ = membership_changes(ent, previous)
    assert changed == {"P-new", "P-held", "P-took"}
    existed = {"P-held", "P-same", "P-old"}
    assert rebuilt_persons(ent, previous, changed, existed) == {"P-held", "P-took"}
    # a first load: nobody held, nobody took
    first = ent.assign(person_id=["A", "A", "B", "C", "D"])
    changed, _, _ = membership_changes(first, {})
    assert rebuilt_persons(first, {}, changed, set()) == set()


def test_a_key_sent_twice_in_one_file_ends_as_its_later_row_says(store, backend_settings, tiny_bundle):
    """A missing episode re-sent lower in its file with its end corrected, an association
    re-graded: the later row wins and both rows are its provenance, in file order. FalkorDB
    applies one statement's rows of a repeated key out of order; the loader sends a key's
    n-th row in round n."""
    import gzip

    episodes = tiny_bundle / "missing_episodes.csv.gz"
    with gzip.open(episodes, "rt") as fh:
        text = fh.read()
    with gzip.open(episodes, "wt") as fh:
        fh.write(text.rstrip("\n") + "\nP-2,2023-05-08,2023-05-11,\n")
    with (tiny_bundle / "associations.csv").open("a") as fh:
        fh.write("P-4,P-6,ASSOCIATE,IR/2023/0042,C3,2023-04-02\n")
    summary = load(store, tiny_bundle, backend_settings)
    assert summary.rows_rejected == 0
    got = store.read("MATCH (m:MissingEpisode {episode_id: 'P-2@2023-05-08'}) "
                     "RETURN m.ended_at AS ended, m.source_rows AS rows")
    assert got == [{"ended": "2023-05-11", "rows": ["missing_episodes.csv.gz:2", "missing_episodes.csv.gz:3"]}]
    graded = store.read("MATCH (:PersonRecord {record_id: 'P-4'})-[r:RECORDED_ASSOCIATION]->"
                        "(:PersonRecord {record_id: 'P-6'}) RETURN r.grade AS g, r.recorded_at AS at")
    assert graded == [{"g": "C3", "at": "2023-04-02"}]


def test_a_load_lets_its_frames_go_before_the_graph_is_made_durable(store, backend_settings, tiny_bundle,
                                                                    monkeypatch):
    """The reload (or compaction) and the analyses after it run without the bundle's frames beside them."""
    import csenet.loaders.load as loader

    alive: list[list[str]] = []
    settle = loader.settle

    def looking(*args, **kw):
        alive.append([name for name in ("address", "given_names", "summary") if frames_holding(name)])
        return settle(*args, **kw)

    monkeypatch.setattr(loader, "settle", looking)
    summary = load(store, tiny_bundle, backend_settings)
    assert summary.records_total == 10 and summary.persons_total > 0
    assert alive == [[]]


def test_a_first_load_lets_its_resolved_records_go_once_they_are_kept(store, backend_settings, tiny_bundle,
                                                                      monkeypatch):
    """A first load's persons come whole from its own frames: the resolver's copy of the records
    need not sit beside the people's writing once the record cache has them."""
    import threading
    import time

    import csenet.loaders.load as loader

    kept, alive = threading.Event(), []
    stage, mark = loader.stage_records, loader.mark_loaded

    def staging(*args, **kw):
        try:
            return stage(*args, **kw)
        finally:
            kept.set()

    def marking(*args, **kw):
        assert kept.wait(60)
        for _ in range(50):  # the staging thread lets its arguments go as it returns
            held = frames_holding("record_id", "given_names")
            if not held:
                break
            time.sleep(0.1)
        alive.append(held)
        return mark(*args, **kw)

    monkeypatch.setattr(loader, "stage_records", staging)
    monkeypatch.setattr(loader, "mark_loaded", marking)
    load(store, tiny_bundle, backend_settings, resolver=None)
    assert alive == [0]
