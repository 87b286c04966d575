"""csenet's own parameter encoding for FalkorDB: whitelisted types, and text that cannot change a query."""

from __future__ import annotations

import datetime as dt
import math
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csenet.settings import Settings
from csenet.graph.falkordb_store import FalkorStore
from csenet.graph.params import ParameterError, cypher_header, encode_value
from csenet.graph.store import StoreError


@pytest.fixture(scope="module")
def fstore(tmp_path_factory):
    store = FalkorStore.embedded(Settings(data=tmp_path_factory.mktemp("prm"), graph_name="params"))
    store.write("MERGE (:Canary {id: 'keep'})")
    yield store
    store.drop_graph()
    store.close()


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200)
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
                    st.floats(min_value=-1e300, max_value=1e300), text)
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5),
    st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True), children, max_size=4)),
    max_leaves=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=text)
def test_any_text_round_trips_and_cannot_change_the_query(fstore, value):
    rows = fstore.read("RETURN $v AS v, 'sentinel' AS s", {"v": value})
    assert rows == [{"v": value, "s": "sentinel"}]
    assert fstore.read("MATCH (c:Canary) RETURN count(c) AS n", {"v": value}) == [{"n": 1}]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=values)
def test_nested_values_round_trip(fstore, value):
    got = fstore.read("RETURN $v AS v", {"v": value})[0]["v"]
    assert _same(got, value)


def _same(a, b) -> bool:
    if isinstance(b, float):
        # FalkorDB stores the exact double but prints replies with 15 significant digits.
        return isinstance(a, float) and math.isclose(a, b, rel_tol=1e-14, abs_tol=1e-300)
    if isinstance(b, tuple | list):
        return isinstance(a, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(b, dict):
        return dict(a).keys() == b.keys() and all(_same(a[k], b[k]) for k in b)
    return a == b and type(a) is type(b)


def test_injection_attempts_stay_text(fstore):
    attacks = ['" RETURN 1 //', "'}) DETACH DELETE c //", '\\" MATCH (n) DETACH DELETE n //',
               "x\nMATCH (n) DETACH DELETE n", 'a" b="c']
    for attack in attacks:
        fstore.write("MERGE (t:Probe {id: $v})", {"v": attack})
        assert fstore.read("MATCH (t:Probe {id: $v}) RETURN t.id AS id", {"v": attack}) == [{"id": attack}]
    assert fstore.read("MATCH (c:Canary) RETURN count(c) AS n") == [{"n": 1}]


@pytest.mark.parametrize("bad, why", [
    ("nul\x00byte", "NUL"),
    (float("nan"), "non-finite"),
    (float("inf"), "non-finite"),
    (2**63, "64-bit"),
    (object(), "not allowed"),
    (b"bytes", "not allowed"),
    ({"bad key": 1}, "plain identifier"),
    ({"k`": 1}, "plain identifier"),
    ("\ud800", "not valid Unicode"),
])
def test_refused_before_anything_is_sent(bad, why):
    with pytest.raises(ParameterError, match=why):
        cypher_header({"v": bad})


@pytest.mark.parametrize("name", ["", "1abc", "a b", "a=1 b", "x;y", "ü"])
def test_bad_parameter_names_refused(name):
    with pytest.raises(ParameterError, match="plain identifier"):
        cypher_header({name: 1})


def test_store_turns_refusal_into_store_error(fstore):
    with pytest.raises(StoreError, match="parameter refused"):
        fstore.read("RETURN $v AS v", {"v": "a\x00b"})


def test_dates_travel_as_iso_text():
    assert encode_value(dt.date(2023, 3, 2)) == '"2023-03-02"'
    assert encode_value(dt.datetime(2023, 3, 2, 14, 5)) == '"2023-03-02T14:05:00"'
    assert encode_value(True) == "true" and encode_value(None) == "null"


def _raises_within(seconds: float, call) -> BaseException | None:
    """Run `call` in a thread; the exception it raised, failing if it is still running."""
    box: list[BaseException | None] = [None]

    def run():
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            box[0] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "write_batches hung instead of raising"
    return box[0]


def test_a_batch_refused_before_it_is_written_fails_the_load_instead_of_hanging(fstore):
    """A parameter refused while a batch is prepared on a writer thread reaches the caller."""
    exc = _raises_within(30, lambda: fstore.write_batches("UNWIND $rows AS r RETURN r", [{"v": "a\x00b"}]))
    assert isinstance(exc, StoreError) and "parameter refused" in str(exc)
    with pytest.raises(StoreError, match="parameter refused"):
        fstore.sync()  # the batch's own future holds it too, reported once
    fstore.sync()


def test_a_writer_that_cannot_connect_fails_the_load_instead_of_hanging(fstore, monkeypatch):
    """A server that died between batches: the writer thread's connect fails, the load raises."""
    from csenet.errors import StoreUnavailable

    def dead(*args, **kwargs):
        raise StoreUnavailable("embedded FalkorDB is gone")

    monkeypatch.setattr(fstore, "_local", threading.local())  # every thread needs a new connection
    monkeypatch.setattr(fstore, "_connect", dead)
    exc = _raises_within(30, lambda: fstore.write_batches("UNWIND $rows AS r RETURN r", [{"v": 1}]))
    assert isinstance(exc, StoreUnavailable)
    with pytest.raises(StoreUnavailable):
        fstore.sync()
