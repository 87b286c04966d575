# SPDX-License-Identifier: GPL-3.0-or-later
"""`csenet workspace create`: a pseudonymised, logged copy of a subgraph in its own local Neo4j."""

from __future__ import annotations

import stat

import pytest

from csenet.access_log import read_entries
from csenet.errors import InputError
from csenet.settings import Settings
from tests.api_support import VICTIM_NAMES, graph_store  # noqa: F401  (fixture)


@pytest.fixture()
def settings(tmp_path):
    return Settings(data=tmp_path, graph_name="t_api", access_log=tmp_path / "access-log.jsonl",
                    pseudonym_key_file=tmp_path / "pseudonym.key")


def network_of(store) -> str:
    return store.read("MATCH (n:Network) RETURN n.network_id AS n ORDER BY n LIMIT 1")[0]["n"]


def test_a_workspace_holds_the_pseudonymised_subgraph_in_its_own_neo4j(graph_store, settings):  # noqa: F811
    from csenet.exports.workspace import create_workspace
    from csenet.graph.neo4j_local import LocalNeo4j
    from csenet.graph.neo4j_store import Neo4jStore
    from tests.neo4j_support import local_missing, unavailable

    if local_missing():
        unavailable(local_missing())
    net = network_of(graph_store)
    ws = create_workspace(graph_store, settings, {"network_id": net}, 2, "OP-HARBOUR-2024/17", name="harbour")
    server = LocalNeo4j.for_settings(settings, home=settings.data / "workspaces" / "harbour" / "neo4j")
    try:
        assert server.running_pid() and ws.url == server.url
        assert stat.S_IMODE(ws.password_file.stat().st_mode) == 0o600
        store = Neo4jStore.connect(ws.url, settings)  # the password is found beside the workspace's data
        try:
            text = str(store.read("MATCH (n) RETURN properties(n) AS p"))
            assert store.read("MATCH (n:Network {network_id: $n}) RETURN n", {"n": net})
            assert store.read("MATCH (:Person)-[:IN_NETWORK]->(:Network) RETURN count(*) AS c")[0]["c"] >= 3
            assert not [name for name in VICTIM_NAMES if name in text], "a victim's name reached the workspace"
            assert "VICTIM-" in text
            meta = store.read("MATCH (w:Workspace) RETURN w.justification AS j, w.pseudonymised AS p")
            assert meta == [{"j": "OP-HARBOUR-2024/17", "p": True}]
        finally:
            store.close()
        entry = read_entries(settings.access_log_path())[-1]
        assert entry["action"] == "workspace_create" and entry["justification"] == "OP-HARBOUR-2024/17"
        assert entry["parameters"]["network_id"] == net and entry["records"] == ws.nodes
        with pytest.raises(InputError, match="exists"):
            create_workspace(graph_store, settings, {"network_id": net}, 1, "OP-X", name="harbour")
    finally:
        server.stop()


def test_a_workspace_needs_a_justification_and_logs_nothing_without_one(graph_store, settings):  # noqa: F811
    from csenet.exports.workspace import create_workspace

    with pytest.raises(InputError, match="justification"):
        create_workspace(graph_store, settings, {"network_id": network_of(graph_store)}, 1, "  ")
    assert not settings.access_log_path().exists()
    assert not (settings.data / "workspaces").exists()
