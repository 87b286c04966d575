# SPDX-License-Identifier: GPL-3.0-or-later
"""Detection writes only what changed, and the graph still ends as a clean rewrite leaves it.

On every reachable backend, with the planted scenarios of tests/network_seed.py: a
re-run on an unchanged graph writes nothing; after the records change, or after the
projection was damaged (an element without its digest, a duplicate, a left-over
network, score or role), the incremental write gives exactly what clearing the
projection and writing it again gives.
"""

from __future__ import annotations

import json

from csenet.analyse import lineage_line
from csenet.networks.projection import clear_networks, detect_networks
from tests.network_seed import Seed, planted


def projection(store) -> dict[str, list]:
    """Every derived element with all its properties, sorted."""
    def rows(query: str) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True) for r in store.read(query))

    return {
        "links": rows("MATCH (a:Person)-[r:ASSOCIATED_WITH]->(b:Person) "
                      "RETURN a.person_id AS a, b.person_id AS b, properties(r) AS props"),
        "any_links": rows("MATCH ()-[r:ASSOCIATED_WITH]->() RETURN count(r) AS n"),
        "networks": rows("MATCH (n:Network) RETURN properties(n) AS props"),
        "members": rows("MATCH (p)-[m:IN_NETWORK]->(n) RETURN p.person_id AS p, n.network_id AS n, "
                        "properties(m) AS props"),
        "bridges": rows("MATCH (a)-[r:BRIDGES_TO]->(b) RETURN a.network_id AS a, b.network_id AS b, "
                        "properties(r) AS props"),
        "scores": rows("MATCH (p:Person) WHERE p.bridging_score IS NOT NULL OR p.bridges_network_ids IS NOT NULL "
                       "RETURN p.person_id AS p, p.bridging_score AS s, p.bridges_network_ids AS nets"),
    }


def clean(store) -> dict[str, list]:
    clear_networks(store)
    detect_networks(store)
    return projection(store)


def rows_written(store) -> int:
    written: list[int] = []
    detect_networks(store, progress=written.append)
    return sum(written)


def test_a_rerun_on_an_unchanged_graph_writes_nothing(store):
    planted().write(store)
    everything = rows_written(store)
    first = projection(store)
    assert everything > 0 and first["networks"] and first["bridges"] and first["scores"]
    assert rows_written(store) == 0
    assert projection(store) == first == clean(store)


def test_after_the_records_change_only_the_difference_is_written(store):
    planted().write(store)
    everything = rows_written(store)
    before = projection(store)
    change = Seed()
    change.child("NEWKID")
    change.incident("I-NEW", "2023-08-01", victims=["NEWKID"], suspects=["LONE", "SEP1", "A1"])
    change.write(store)
    store.write("MATCH (i:Incident {incident_id: 'I-FLAT-2'}) SET i.meets_cse_definition = false")
    changed = rows_written(store)
    after = projection(store)
    assert 0 < changed < everything and after != before
    assert after == clean(store)


def test_a_damaged_projection_is_repaired_to_a_clean_write(store):
    planted().write(store)
    detect_networks(store)
    (net,) = [r["n"] for r in store.read("MATCH (:Person {person_id: 'A1'})-[:IN_NETWORK]->(n:Network) "
                                         "RETURN n.network_id AS n")]
    for damage in (
        "MATCH (a:Person {person_id: 'A1'})-[r:ASSOCIATED_WITH]->(b:Person {person_id: 'A2'}) "
        "SET r.digest = null, r.stale = true, r.weight = 0.5",
        "MATCH (a:Person {person_id: 'A1'})-[:ASSOCIATED_WITH]->(b:Person {person_id: 'A3'}) "
        "CREATE (a)-[:ASSOCIATED_WITH {weight: 0.5}]->(b)",
        "MATCH (a:Person {person_id: 'A1'}), (b:Person {person_id: 'A4'}) CREATE (b)-[:ASSOCIATED_WITH]->(a)",
        "MATCH (n:Network {network_id: $n}) SET n.size = 99, n.stale = true, n.digest = 'networks/0'",
        "MATCH (p:Person {person_id: 'A1'}), (n:Network {network_id: $n}) "
        "CREATE (p)-[:IN_NETWORK {role: 'VICTIM', digest: 'x'}]->(n)",
        "MATCH (p:Person {person_id: 'A2'})-[m:IN_NETWORK]->(:Network {network_id: $n}) SET m.stale = true, "
        "m.digest = null",
        "MATCH (p:Person {person_id: 'LONE'}) CREATE (p)-[:IN_NETWORK {role: 'PERPETRATOR'}]->"
        "(:Network {network_id: 'NET-GONE', size: 1})",
        "MATCH (p:Person {person_id: 'BURG1'}) SET p.bridging_score = 0.5, p.bridges_network_ids = [$n]",
        "MATCH (n:Network {network_id: $n}), (g:Network {network_id: 'NET-GONE'}) CREATE (n)-[:BRIDGES_TO]->(g)",
    ):
        store.write(damage, {"n": net})
    assert rows_written(store) > 0
    repaired = projection(store)
    assert repaired == clean(store)
    assert all("stale" not in json.loads(row)["props"] for row in repaired["links"] + repaired["members"])



def test_the_projection_is_read_by_pages_when_it_outgrows_the_result_limit(store):
    from csenet.networks.projection import Q_OLD_ASSOCIATIONS, Q_OLD_SCORES, _read_all

    planted().write(store)
    detect_networks(store)
    for query, key in ((Q_OLD_ASSOCIATIONS, "a"), (Q_OLD_SCORES, "person_id")):
        whole = _read_all(store, query, key)
        assert len(whole) > 4
        assert _read_all(store, query, key, page=3, limit=4) == whole


def members_by_network(store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in store.read("MATCH (p:Person)-[:IN_NETWORK]->(n:Network) RETURN n.network_id AS n, p.person_id AS p"):
        out.setdefault(r["n"], set()).add(r["p"])
    return out


def test_network_ids_that_change_are_mapped_old_to_new(store):
    """A network's id is a digest of its members: when they change, the report says where it went."""
    planted().write(store)
    detect_networks(store)
    before = members_by_network(store)
    change = Seed()
    change.child("NEWKID")
    change.incident("I-NEW", "2023-08-01", victims=["NEWKID"], suspects=["LONE", "A1"])
    change.write(store)
    summary = detect_networks(store)
    after = members_by_network(store)
    old = next(n for n, m in before.items() if "A1" in m)
    new = next(n for n, m in after.items() if "A1" in m)
    assert old != new
    row = next(r for r in summary.lineage if r["old"] == old)
    assert row == {"old": old, "new": new, "kept": len(before[old] & after[new]), "old_size": len(before[old]),
                   "new_size": len(after[new])}
    assert "%s → %s (%d of %d members kept" % (old, new, row["kept"], row["old_size"]) in lineage_line(summary.lineage)
    unchanged = set(before) & set(after)
    assert unchanged and not any(r["old"] in unchanged or r["new"] in unchanged for r in summary.lineage)
    assert detect_networks(store).lineage == []
