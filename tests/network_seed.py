# SPDX-License-Identifier: GPL-3.0-or-later
"""Plant a person-layer graph (docs/graph-model.md) straight into a store, for network tests.

Detection reads only the graph, so a scenario written here exercises exactly what a
load would: PersonRecord -RESOLVED_TO-> Person, the role relationships, locations,
identifiers, recorded associations, OCG mapping and missing episodes. One record per
person (`R-<person id>`) keeps the scenarios readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Q_PERSONS = """
UNWIND $rows AS row
MERGE (p:Person {person_id: row.person_id})
SET p.family_name = row.family_name, p.given_names = row.given_names, p.date_of_birth = row.dob
MERGE (r:PersonRecord {record_id: row.record_id})
SET r.family_name = row.family_name, r.given_names = row.given_names, r.date_of_birth = row.dob,
    r.postcode = row.postcode, r.address = row.address
MERGE (r)-[:RESOLVED_TO]->(p)
"""
Q_LOCATIONS = """
UNWIND $rows AS row
MERGE (l:Location {location_id: row.location_id})
SET l.kind = row.kind, l.name = row.name, l.postcode = row.postcode, l.address = row.address
"""
Q_INCIDENTS = """
UNWIND $rows AS row
MERGE (i:Incident {incident_id: row.incident_id})
SET i.occurred_at = row.date, i.reported_at = row.date, i.district = row.district, i.flags = row.flags,
    i.flagged_cse = row.flagged_cse, i.offence = row.offence, i.offence_code = row.offence_code,
    i.meets_cse_definition = row.meets
WITH i, row WHERE row.location_id IS NOT NULL
MATCH (l:Location {location_id: row.location_id})
MERGE (i)-[:OCCURRED_AT]->(l)
"""
ROLE_QUERIES = {
    role: """
UNWIND $rows AS row
MATCH (p:Person {person_id: row.person_id}), (i:Incident {incident_id: row.incident_id}),
      (r:PersonRecord {record_id: row.record_id})
MERGE (r)-[:INVOLVED_IN {role: '%s'}]->(i)
MERGE (p)-[x:%s_IN]->(i)
SET x.record_ids = [row.record_id]
""" % (role, role) for role in ("VICTIM", "SUSPECT", "OFFENDER", "WITNESS", "REPORTER", "OTHER")
}
Q_ASSOCIATIONS = """
UNWIND $rows AS row
MATCH (ra:PersonRecord {record_id: row.record_a}), (rb:PersonRecord {record_id: row.record_b})
MERGE (ra)-[x:RECORDED_ASSOCIATION {kind: row.kind, source_ref: row.source_ref}]->(rb)
SET x.grade = row.grade, x.recorded_at = row.recorded_at
WITH ra, rb, row
MATCH (ra)-[:RESOLVED_TO]->(a:Person), (rb)-[:RESOLVED_TO]->(b:Person)
MERGE (a)-[y:ASSOCIATE_OF {kind: row.kind}]->(b)
SET y.grades = [row.grade], y.source_refs = [row.source_ref], y.record_ids = [row.record_a, row.record_b]
"""
Q_IDENTIFIERS = """
UNWIND $rows AS row
MERGE (n:Identifier {identifier_key: row.key})
SET n.kind = row.kind, n.value = row.value
WITH n, row
MATCH (r:PersonRecord {record_id: row.record_id})-[:RESOLVED_TO]->(p:Person)
MERGE (r)-[:HAS_IDENTIFIER]->(n)
MERGE (p)-[u:USES]->(n)
SET u.record_ids = [row.record_id]
"""
Q_OCGS = """
UNWIND $rows AS row
MERGE (o:OCG {ocg_id: row.ocg_id})
SET o.name = row.ocg_id, o.primary_crime = row.primary_crime
WITH o, row
MATCH (r:PersonRecord {record_id: row.record_id})-[:RESOLVED_TO]->(p:Person)
MERGE (r)-[:MEMBER_OF]->(o)
MERGE (p)-[m:MAPPED_TO]->(o)
SET m.record_ids = [row.record_id]
"""
Q_MISSING = """
UNWIND $rows AS row
MATCH (r:PersonRecord {record_id: row.record_id})-[:RESOLVED_TO]->(p:Person)
MERGE (m:MissingEpisode {episode_id: row.episode_id})
SET m.started_at = row.started_at
MERGE (r)-[:REPORTED_MISSING]->(m)
MERGE (p)-[w:WENT_MISSING]->(m)
SET w.record_ids = [row.record_id]
WITH m, row WHERE row.found_location_id IS NOT NULL
MATCH (l:Location {location_id: row.found_location_id})
MERGE (m)-[:FOUND_AT]->(l)
"""


def rid(person_id: str) -> str:
    return "R-" + person_id


@dataclass
class Seed:
    persons: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    roles: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    associations: list[dict[str, Any]] = field(default_factory=list)
    identifiers: list[dict[str, Any]] = field(default_factory=list)
    ocgs: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)

    def person(self, pid: str, dob: str | None = "1985-01-01", postcode: str | None = None,
               address: str | None = None) -> str:
        self.persons.append({"person_id": pid, "record_id": rid(pid), "family_name": pid.title(),
                             "given_names": "Test", "dob": dob, "postcode": postcode, "address": address})
        return pid

    def child(self, pid: str, **kw: Any) -> str:
        return self.person(pid, dob="2009-05-05", **kw)

    def location(self, lid: str, kind: str, postcode: str | None = None, address: str | None = None) -> str:
        self.locations.append({"location_id": lid, "kind": kind, "name": lid, "postcode": postcode,
                               "address": address})
        return lid

    def incident(self, iid: str, date: str, *, victims=(), suspects=(), others=(), cse: bool = True,
                 audited: bool | None = None, location: str | None = None, district: str = "North",
                 offence_code: str = "22B") -> str:
        self.incidents.append({"incident_id": iid, "date": date, "district": district,
                               "flags": ["CSE"] if cse else [], "flagged_cse": cse, "offence": "test offence",
                               "offence_code": offence_code, "meets": audited, "location_id": location})
        for role, people in (("VICTIM", victims), ("SUSPECT", suspects), ("OTHER", others)):
            for p in people:
                self.roles.setdefault(role, []).append({"person_id": p, "incident_id": iid, "record_id": rid(p)})
        return iid

    def associate(self, a: str, b: str, kind: str = "ASSOCIATE", ref: str = "IR/1", grade: str = "B2",
                  recorded_at: str | None = "2022-01-01") -> None:
        self.associations.append({"record_a": rid(a), "record_b": rid(b), "kind": kind, "source_ref": ref,
                                  "grade": grade, "recorded_at": recorded_at})

    def identifier(self, person: str, kind: str, value: str) -> None:
        self.identifiers.append({"record_id": rid(person), "key": "%s:%s" % (kind, value), "kind": kind,
                                 "value": value})

    def ocg(self, person: str, ocg_id: str, primary_crime: str) -> None:
        self.ocgs.append({"record_id": rid(person), "ocg_id": ocg_id, "primary_crime": primary_crime})

    def went_missing(self, person: str, started_at: str, found_at: str | None = None) -> None:
        self.missing.append({"record_id": rid(person), "episode_id": "%s@%s" % (rid(person), started_at),
                             "started_at": started_at, "found_location_id": found_at})

    def write(self, store) -> None:
        store.write_batches(Q_PERSONS, self.persons)
        store.write_batches(Q_LOCATIONS, self.locations)
        store.write_batches(Q_INCIDENTS, self.incidents)
        for role, rows in sorted(self.roles.items()):
            store.write_batches(ROLE_QUERIES[role], rows)
        store.write_batches(Q_ASSOCIATIONS, self.associations)
        store.write_batches(Q_IDENTIFIERS, self.identifiers)
        store.write_batches(Q_OCGS, self.ocgs)
        store.write_batches(Q_MISSING, self.missing)
        sync = getattr(store, "sync", None)
        if sync:
            sync()


def planted() -> Seed:
    """Scenarios with known answers (see test_networks.py for what each must give)."""
    s = Seed()
    hotel = s.location("L-HOTEL", "HOTEL", "NN1 1AA", "1 Station Road")
    flat = s.location("L-FLAT", "RESIDENTIAL", "NN2 2BB", "Flat 7 Mill Court")
    park = s.location("L-PARK", "PARK")

    # Two tight groups of five joined by a single shared phone: one component, two networks.
    for group, tag in (("A", "N1"), ("B", "N2")):
        people = [s.person("%s%d" % (group, k)) for k in range(1, 6)]
        kids = [s.child("%sKID%d" % (group, k)) for k in range(1, 4)]
        for k, kid in enumerate(kids):
            s.incident("I-%s-%d" % (group, k), "2023-0%d-10" % (k + 1), victims=[kid], suspects=people[:3],
                       district="North" if group == "A" else "South")
        for k, kid in enumerate(kids):
            s.incident("I-%s-x%d" % (group, k), "2023-0%d-20" % (k + 1), victims=[kid], suspects=people[2:],
                       district="North" if group == "A" else "South")
        for a, b in ((people[0], people[3]), (people[1], people[4]), (people[0], people[4])):
            s.associate(a, b, ref="IR/%s/%s-%s" % (tag, a, b))
    s.identifier("A5", "PHONE", "07700900555")
    s.identifier("B1", "PHONE", "07700900555")
    s.ocg("B2", "OCG-CSE", "CSE")
    s.ocg("B4", "OCG-CSE", "CSE")
    s.ocg("A3", "OCG-DRUGS", "DRUGS")  # one member on a drugs OCG does not put group A on the map

    # A lone offender and a pair of burglars are not networks.
    s.child("LKID")
    s.person("LONE")
    s.incident("I-LONE", "2023-02-02", victims=["LKID"], suspects=["LONE"], location=park)
    s.person("BURG1")
    s.person("BURG2")
    s.incident("I-BURG", "2023-03-03", suspects=["BURG1", "BURG2"], cse=False, offence_code="28A")

    # Premises: a flat whose tenant is never a suspect, used by two different men.
    s.person("TENANT", postcode="NN2 2BB", address="Flat 7, Mill Court")
    s.person("F1")
    s.person("F2")
    s.child("FKID1")
    s.child("FKID2")
    s.incident("I-FLAT-1", "2023-04-01", victims=["FKID1"], suspects=["F1"], location=flat)
    s.incident("I-FLAT-2", "2023-09-01", victims=["FKID2"], suspects=["F2"], location=flat)

    # Introduction: an adult known to the child before the child's abuse by his associate.
    s.person("INTRO")
    s.person("ABUSER")
    s.child("IKID")
    s.associate("IKID", "INTRO", ref="IR/INTRO", recorded_at="2023-01-05")
    s.identifier("INTRO", "VEHICLE", "AB12CDE")
    s.identifier("ABUSER", "VEHICLE", "AB12CDE")
    s.incident("I-INTRO", "2023-03-15", victims=["IKID"], suspects=["ABUSER"], location=hotel)
    s.went_missing("IKID", "2023-03-14", found_at=hotel)

    # Same premises within the window: two men at the hotel, 30 days apart.
    s.person("H1")
    s.child("HKID")
    s.incident("I-HOTEL", "2023-04-14", victims=["HKID"], suspects=["H1"], location=hotel)

    # A man abusing a child in his own home, twice: the child was found there when missing.
    # His household (a housemate at the same address) facilitates nothing by living there.
    home = s.location("L-HOME", "RESIDENTIAL", "NN3 3CC", "4 Elm Grove")
    s.person("HOMEMAN", postcode="NN3 3CC", address="4 Elm Grove")
    s.person("HOUSEMATE", postcode="NN3 3CC", address="4, Elm Grove")
    s.child("GKID")
    s.went_missing("GKID", "2023-05-01", found_at=home)
    s.incident("I-HOME-1", "2023-05-02", victims=["GKID"], suspects=["HOMEMAN"], location=home)
    s.incident("I-HOME-2", "2023-06-02", victims=["GKID"], suspects=["HOMEMAN"], location=home)

    # Two men abusing one child separately, with nothing to show they know each other.
    s.person("SEP1")
    s.person("SEP2")
    s.child("SKID")
    s.incident("I-SEP-1", "2023-02-10", victims=["SKID"], suspects=["SEP1"])
    s.incident("I-SEP-2", "2023-07-10", victims=["SKID"], suspects=["SEP2"])

    # An exploited child's other offender (the incident is not CSE), a known associate of
    # her exploiter; and a stranger who assaulted her, known to no one.
    s.person("EXPL")
    s.person("MATE")
    s.person("STRANGER")
    s.child("EKID")
    s.incident("I-EXPL", "2023-03-01", victims=["EKID"], suspects=["EXPL"])
    s.incident("I-MATE", "2023-03-20", victims=["EKID"], suspects=["MATE"], cse=False, offence_code="8N")
    s.incident("I-STRANGER", "2023-04-20", victims=["EKID"], suspects=["STRANGER"], cse=False, offence_code="8N")
    s.associate("EXPL", "MATE", ref="IR/EXPL-MATE")
    return s
