"""Networks detected around some people equal a whole detection, there (networks/partial.py).

A generated force is loaded and analysed; then, for people picked in every kind of place
(a member of each network, children, people tied to no one, people in no CSE incident),
detection around them is compared with the whole detection on everything the part owns:
its networks with their members, evidence and bridges, the links with an end in it, and
its people's bridging scores. Written over the graph, the part's result changes nothing.
How the part follows what a day changes is tests/test_delta_equivalence.py's to prove.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from csenet.networks.detection import Detection, DetectionParams, detect
from csenet.networks.facts import load_facts
from csenet.networks.partial import detect_part
from csenet.networks.projection import graph_summary, member_rows, summarise, write_detection
from csenet.pipeline import load_and_analyse
from csenet.resolution.deterministic import resolve_deterministic


@pytest.fixture(scope="module")
def force(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from csenet.synth import generate

    folder = tmp_path_factory.mktemp("force") / "bundle"
    generate(folder, scale="small", seed=29)
    return folder


def owned(result: Detection, part: set[str]) -> dict[str, object]:
    """Everything a detection says that the part's people own."""
    nets = [n for n in result.networks if part.intersection(n.members)]
    ids = {n.network_id for n in nets}
    return {
        "networks": {n.network_id: n.props for n in nets},
        "members": sorted((r["network_id"], r["person_id"], r["role"], sorted(r["props"].items()))
                          for r in member_rows(result, nets)),
        "links": [r for r in result.links.rows() if r["a"] in part or r["b"] in part],
        "bridges": [b for b in result.bridges if b["a"] in ids or b["b"] in ids],
        "scores": [s for s in result.scores if s["person_id"] in part],
    }


def picks(whole: Detection, everyone: list[str]) -> list[set[str]]:
    rng = random.Random(5)
    nets = sorted(whole.networks, key=lambda n: n.network_id)
    children = sorted({v for n in nets for v in n.victims})
    tied = {p for pair in whole.links.pairs for p in pair}
    alone = sorted(set(everyone) - tied)
    out = [{n.members[0]} for n in nets[:12]]
    out += [{c} for c in children[:4]]
    out += [set(rng.sample(alone, 3)), set(rng.sample(everyone, 10)), {n.members[-1] for n in nets[-5:]}]
    return [s for s in out if s]


def test_a_part_detected_alone_equals_the_whole_detection_there(store, backend_settings, force, tmp_path):
    load_and_analyse(store, force, backend_settings, resolver=resolve_deterministic,
                     rejects_path=tmp_path / "rejects.csv")
    params = DetectionParams.from_settings(backend_settings)
    whole = detect(load_facts(store), params)
    assert len(whole.networks) >= 5, "the generated force should hold networks to compare"
    everyone = sorted(r["p"] for r in store.read("MATCH (p:Person) RETURN p.person_id AS p"))
    sizes = []
    for seeds in picks(whole, everyone):
        found = detect_part(store, seeds, params, max_people=10**9)
        assert found is not None
        result, part = found
        assert seeds <= part.people
        assert owned(result, part.people) == owned(whole, part.people), sorted(seeds)
        assert write_detection(store, result, part=part.people) == {"deleted": 0, "written": 0}
        sizes.append(len(part.read))
    # A part is a part: most of them read far less than the graph.
    assert sorted(sizes)[len(sizes) // 2] < len(everyone) / 2, sizes


def test_a_part_too_big_gives_way_to_the_whole(store, backend_settings, force, tmp_path):
    load_and_analyse(store, force, backend_settings, resolver=resolve_deterministic,
                     rejects_path=tmp_path / "rejects.csv")
    params = DetectionParams.from_settings(backend_settings)
    net = detect(load_facts(store), params).networks[0]
    assert detect_part(store, set(net.members), params, max_people=len(net.members) - 1) is None


def test_the_whole_graph_summary_counts_what_a_whole_detection_found(store, backend_settings, force, tmp_path):
    load_and_analyse(store, force, backend_settings, resolver=resolve_deterministic,
                     rejects_path=tmp_path / "rejects.csv")
    whole = detect(load_facts(store), DetectionParams.from_settings(backend_settings))
    counted, found = graph_summary(store, whole).as_dict(), summarise(whole).as_dict()
    assert counted == found


def test_a_day_is_detected_in_part_only_under_the_settings_the_rest_was_detected_with(
        store, backend_settings, force, tmp_path):
    from csenet.synth.extracts import cut_days

    base, days = cut_days(force, tmp_path / "cut", days=3, per_day=2, new_records=0)
    everyone = backend_settings.model_copy(update={"network_part_max_share": 1.0})
    store.drop_graph()
    store.ensure_schema()

    def load(folder, settings):
        return load_and_analyse(store, folder, settings, resolver=resolve_deterministic,
                                rejects_path=tmp_path / (folder.name + "-rejects.csv")).analyses["networks"]

    assert "detected in the whole graph" in load(base, everyone)
    assert "around the load" in load(days[0], everyone)
    # Other detection settings would leave the rest detected under the old ones: all again.
    stricter = everyone.model_copy(update={"network_min_tie_weight": 2.0})
    assert "detected in the whole graph" in load(days[1], stricter)
    # A part reading more than the share allowed gives way to the whole graph too.
    assert "detected in the whole graph" in load(days[2], stricter.model_copy(
        update={"network_part_max_share": 0.0001}))
