# SPDX-License-Identifier: GPL-3.0-or-later
"""A real embedded FalkorDB holding the tiny bundle, shared by the API and export tests.

Loaded with `loaders.load.load_bundle` once the loader exists; until then seeded with
parameterised Cypher shaped as docs/graph-model.md describes, from the same records.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from csenet.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    from tests.conftest import shared_dir as beside_the_checkout

    found = beside_the_checkout()
    if found is not None and (found / "examples" / "tiny-bundle").exists():
        return found
    # The shared bundle is an extra check: without it the modules built on it are skipped
    # (tests/test_conformance.py covers a load end to end from the repository's own bundle).
    pytest.skip("shared/examples/tiny-bundle not beside the checkout", allow_module_level=True)


TINY = shared_dir() / "examples" / "tiny-bundle"
PROV = {"source": "EXAMPLE-RMS", "load_ids": ["LOAD-TEST"]}

RECORDS = [
    ("P-1", "RMS", "Nowell", "Tayla", "2008-09", "F", "WB1 2CD", None, ["07700900111"], None),
    ("P-2", "RMS", "Nowel", "Taylah", None, "F", None, None, ["07700900111"], None),
    ("P-3", "RMS", "Brannigan", "Kyle Anthony", "1990-04-13", "M", "WB2 9XY", None, [], "PNC-11/222"),
    ("P-4", "CUSTODY", "Brannigan", "Kyle", None, "M", "WB2 9XY", None, [], None),
    ("P-5", "RMS", "Oduya", "Dennis", "1987", "M", "WB3 1AA", None, ["07700900222"], None),
    ("P-6", "RMS", "Kerr", "Simon", "1979-02-02", "M", "WB3 1AA", None, [], None),
    ("P-7", "RMS", "Lindqvist", "Eira", "2015-06-30", "F", "EV1 1EE", "12 Elm Grove", [], None),
    ("P-8", "RMS", "Lindqvist", "Arne", "1950-06-30", "M", "EV1 1EE", "12 Elm Grove", [], None),
    ("P-9", "RMS", "Mbeki", "Joel", "2007-03-03", "M", "EV2 2FF", None, [], None),
    ("P-10", "RMS", "Shoplift", "Unknown", None, "X", None, None, [], None),
]
PERSONS = {"PER-TAYLA": ["P-1", "P-2"], "PER-KYLE": ["P-3", "P-4"], "PER-DENNIS": ["P-5"], "PER-SIMON": ["P-6"],
           "PER-EIRA": ["P-7"], "PER-ARNE": ["P-8"], "PER-JOEL": ["P-9"], "PER-UNKNOWN": ["P-10"]}
INCIDENTS = [
    ("INC-1", "22B", "Sexual activity involving a child under 16", "2023-03-02T14:05", "2023-02-27", ["CSE"], True,
     "Westbrook", "Girl aged 14 met two older men at the market car park; they supplied cider.", 2023,
     True, "CONFIRMED", [], ["AGE<18", "EXCHANGE:alcohol", "SEXUAL:22B"], "LOC-1"),
    ("INC-2", "22B", "Sexual activity involving a child under 16", "2023-05-10", "2023-05-09", [], False,
     "Westbrook", "Tayla Nowell located at a guest house with a man who bought her a phone top-up.", 2023,
     True, "UNDER_FLAGGED", ["CSE"], ["AGE<18", "EXCHANGE:phone top-up", "SEXUAL:22B"], "LOC-2"),
    ("INC-3", "46", "Theft from a shop", "2023-06-01", None, [], False, "Eastvale", "Shoplifting of razor blades.",
     2023, False, "NOT_CSE", [], [], "LOC-3"),
    ("INC-4", "20B", "Sexual assault on a female child under 13", "2023-07-15", "2021-01-01", ["CSE"], True,
     "Eastvale", "Disclosure of abuse by a grandparent at home.", 2021, False, "OVER_FLAGGED", ["CSA"],
     ["NO_EXCHANGE"], "LOC-4"),
    ("INC-5", "8N", "Criminal exploitation", "2023-08-01", None, ["CSE"], True, "Eastvale",
     "Boy running drugs for older men.", 2023, False, "OVER_FLAGGED", ["CCE"], ["NO_SEXUAL"], None),
]
INVOLVEMENTS = [("INC-1", "P-1", "VICTIM"), ("INC-1", "P-3", "SUSPECT"), ("INC-1", "P-5", "SUSPECT"),
                ("INC-2", "P-2", "VICTIM"), ("INC-2", "P-6", "SUSPECT"), ("INC-3", "P-10", "SUSPECT"),
                ("INC-4", "P-7", "VICTIM"), ("INC-4", "P-8", "SUSPECT"), ("INC-5", "P-9", "VICTIM")]
LOCATIONS = [("LOC-1", "RESIDENTIAL", None, "Flat 3 Dock Row", "WB3 1AA"),
             ("LOC-2", "HOTEL", "Harbour Guest House", "2 Quay St", "WB1 4QQ"),
             ("LOC-3", "SHOP", "Corner Pharmacy", "9 High St", "EV1 3HH"),
             ("LOC-4", "RESIDENTIAL", None, "12 Elm Grove", "EV1 1EE")]
IDENTIFIERS = [("P-1", "PHONE", "07700900111"), ("P-2", "PHONE", "07700900111"), ("P-5", "PHONE", "07700900222"),
               ("P-6", "VEHICLE", "AB12CDE"), ("P-4", "VEHICLE", "AB12CDE")]
VICTIM_NAMES = ["Nowell", "Nowel", "Tayla", "Taylah", "Lindqvist", "Eira", "Mbeki", "Joel"]


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != []}


def seed(store) -> None:
    """The tiny bundle as the loader would leave it, written with parameterised UNWINDs."""
    rows = [_clean({**PROV, "record_id": r[0], "source": r[1], "family_name": r[2], "given_names": r[3],
                    "date_of_birth": r[4], "gender": r[5], "postcode": r[6], "address": r[7], "phones": r[8],
                    "national_id": r[9], "source_rows": ["person_records.csv:%d" % (i + 2)]})
            for i, r in enumerate(RECORDS)]
    store.write("UNWIND $rows AS row MERGE (r:PersonRecord {record_id: row.record_id}) SET r += row", {"rows": rows})
    by_record = {r[0]: r for r in RECORDS}
    prow = []
    for pid, recs in PERSONS.items():
        first = by_record[recs[0]]
        dobs = [by_record[r][4] for r in recs if by_record[r][4]]
        prow.append(_clean({"person_id": pid, "family_name": first[2], "given_names": first[3],
                            "date_of_birth": max(dobs, key=len) if dobs else None, "gender": first[5],
                            "record_count": len(recs), "resolution_method": "test", "model_version": "seed",
                            "derived_by": "seed/1"}))
    store.write("UNWIND $rows AS row MERGE (p:Person {person_id: row.person_id}) SET p += row", {"rows": prow})
    store.write("UNWIND $rows AS row MATCH (r:PersonRecord {record_id: row.r}), (p:Person {person_id: row.p}) "
                "MERGE (r)-[x:RESOLVED_TO]->(p) SET x.match_probability = row.mp, x.method = 'test', "
                "x.model_version = 'seed'",
                {"rows": [{"r": r, "p": pid, "mp": 0.97 if len(recs) > 1 else 1.0}
                          for pid, recs in PERSONS.items() for r in recs]})
    irow = [_clean({"incident_id": i[0], "offence_code": i[1], "offence": i[2], "reported_at": i[3],
                    "occurred_at": i[4], "flags": i[5], "flagged_cse": i[6], "district": i[7], "summary": i[8],
                    "year": i[9], "meets_cse_definition": i[10], "cse_verdict": i[11], "suggested_flags": i[12],
                    "audit_reasons": i[13], "source_rows": ["incidents.csv:%d" % (n + 2)], **PROV})
            for n, i in enumerate(INCIDENTS)]
    store.write("UNWIND $rows AS row MERGE (i:Incident {incident_id: row.incident_id}) SET i += row", {"rows": irow})
    store.write("UNWIND $rows AS row MERGE (l:Location {location_id: row.location_id}) SET l += row",
                {"rows": [_clean({"location_id": l[0], "kind": l[1], "name": l[2], "address": l[3], "postcode": l[4],
                                  **PROV}) for l in LOCATIONS]})
    store.write("UNWIND $rows AS row MATCH (i:Incident {incident_id: row.i}), (l:Location {location_id: row.l}) "
                "MERGE (i)-[:OCCURRED_AT]->(l)", {"rows": [{"i": i[0], "l": i[14]} for i in INCIDENTS if i[14]]})
    store.write("UNWIND $rows AS row MATCH (r:PersonRecord {record_id: row.r}), (i:Incident {incident_id: row.i}) "
                "MERGE (r)-[x:INVOLVED_IN {role: row.role}]->(i) SET x.source = $src, x.load_ids = $loads",
                {"rows": [{"i": i, "r": r, "role": role} for i, r, role in INVOLVEMENTS],
                 "src": PROV["source"], "loads": PROV["load_ids"]})
    person_of = {r: pid for pid, recs in PERSONS.items() for r in recs}
    for role in ("VICTIM", "SUSPECT"):
        rows_ = [{"p": person_of[r], "i": i, "rid": r} for i, r, ro in INVOLVEMENTS if ro == role]
        store.write("UNWIND $rows AS row MATCH (p:Person {person_id: row.p}), (i:Incident {incident_id: row.i}) "
                    "MERGE (p)-[x:%s_IN]->(i) SET x.record_ids = [row.rid]" % role, {"rows": rows_})
    store.write("UNWIND $rows AS row MERGE (i:Identifier {identifier_key: row.key}) SET i.kind = row.kind, "
                "i.value = row.value", {"rows": [{"key": "%s:%s" % (k, v), "kind": k, "value": v}
                                                 for _, k, v in IDENTIFIERS]})
    store.write("UNWIND $rows AS row MATCH (r:PersonRecord {record_id: row.r}), (i:Identifier {identifier_key: row.key}) "
                "MERGE (r)-[x:HAS_IDENTIFIER]->(i) SET x.raw_value = row.value",
                {"rows": [{"r": r, "key": "%s:%s" % (k, v), "value": v} for r, k, v in IDENTIFIERS]})
    store.write("UNWIND $rows AS row MATCH (p:Person {person_id: row.p}), (i:Identifier {identifier_key: row.key}) "
                "MERGE (p)-[x:USES]->(i) SET x.record_ids = [row.r]",
                {"rows": [{"p": person_of[r], "r": r, "key": "%s:%s" % (k, v)} for r, k, v in IDENTIFIERS]})
    store.write("MATCH (a:PersonRecord {record_id: 'P-4'}), (b:PersonRecord {record_id: 'P-6'}) "
                "MERGE (a)-[x:RECORDED_ASSOCIATION {kind: 'ASSOCIATE', source_ref: 'IR/2023/0042'}]->(b) "
                "SET x.grade = 'B2', x.recorded_at = '2023-04-01', x.source = $src, x.load_ids = $loads",
                {"src": PROV["source"], "loads": PROV["load_ids"]})
    store.write("MATCH (a:Person {person_id: 'PER-KYLE'}), (b:Person {person_id: 'PER-SIMON'}) "
                "MERGE (a)-[x:ASSOCIATE_OF {kind: 'ASSOCIATE'}]->(b) SET x.grades = ['B2'], "
                "x.source_refs = ['IR/2023/0042'], x.record_ids = ['P-4', 'P-6']")
    store.write("MERGE (o:OCG {ocg_id: 'OCG-1'}) SET o.name = 'Dock Row crew', o.primary_crime = 'DRUGS' "
                "WITH o MATCH (r:PersonRecord {record_id: 'P-5'}), (p:Person {person_id: 'PER-DENNIS'}) "
                "MERGE (r)-[:MEMBER_OF]->(o) MERGE (p)-[x:MAPPED_TO]->(o) SET x.record_ids = ['P-5']")
    store.write("MERGE (m:MissingEpisode {episode_id: 'P-2@2023-05-08'}) SET m.started_at = '2023-05-08', "
                "m.ended_at = '2023-05-10' WITH m MATCH (r:PersonRecord {record_id: 'P-2'}), "
                "(p:Person {person_id: 'PER-TAYLA'}), (l:Location {location_id: 'LOC-2'}) "
                "MERGE (r)-[:REPORTED_MISSING]->(m) MERGE (p)-[x:WENT_MISSING]->(m) SET x.record_ids = ['P-2'] "
                "MERGE (m)-[:FOUND_AT]->(l)")
    store.write("MERGE (n:Network {network_id: 'NET-1'}) SET n.size = 4 WITH n "
                "UNWIND $rows AS row MATCH (p:Person {person_id: row.p}) MERGE (p)-[x:IN_NETWORK]->(n) "
                "SET x.role = row.role",
                {"rows": [{"p": "PER-KYLE", "role": "PERPETRATOR"}, {"p": "PER-DENNIS", "role": "PERPETRATOR"},
                          {"p": "PER-SIMON", "role": "PERPETRATOR"}, {"p": "PER-TAYLA", "role": "VICTIM"}]})


def load_tiny(store, settings: Settings) -> str:
    """'loader' when the real loader loaded the tiny bundle, 'seed' otherwise."""
    try:
        from csenet.pipeline import load_and_analyse
    except ImportError:
        seed(store)
        return "seed"
    load_and_analyse(store, TINY, settings)
    return "loader"


def person_of_record(store, record_id: str) -> str:
    rows = store.read("MATCH (:PersonRecord {record_id: $r})-[:RESOLVED_TO]->(p:Person) RETURN p.person_id AS id",
                      {"r": record_id})
    assert rows, "record %s is not resolved to a person" % record_id
    return rows[0]["id"]


@pytest.fixture(scope="session")
def graph_store(tmp_path_factory):
    from csenet.graph.falkordb_store import FalkorStore

    data = tmp_path_factory.mktemp("db")
    settings = Settings(data=data, graph_name="t_api")
    store = FalkorStore.embedded(settings)
    try:
        store.drop_graph()
        store.ensure_schema()
        store.loaded_by = load_tiny(store, settings)
        yield store
    finally:
        store.close()
