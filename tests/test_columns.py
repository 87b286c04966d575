"""csenet.columns.isin answers as pandas' Series.isin does, for every kind of value set the
callers pass; only the speed differs (pandas 3.1 converts each value of an Arrow-backed text
column's test set to an Arrow scalar on its own)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csenet.columns import isin

TEXT = pd.Series(["a1", "a2", None, "a3", "é"], dtype="str", index=[10, 11, 12, 13, 14])


@pytest.mark.parametrize("values", [{"a1", "é"}, ["a2", None], [None], [], {"a3": 1}, [1, "a1"],
                                    pd.Index(["a1"]), np.array(["a2"], dtype=object), ("a3",),
                                    pd.Series(["a1", "a9"], dtype="str"), frozenset({"a2"})])
def test_isin_answers_as_pandas_for_a_text_column(values):
    got = isin(TEXT, values)
    assert got.index.equals(TEXT.index) and got.dtype == bool
    assert got.tolist() == TEXT.isin(values).tolist()


@pytest.mark.parametrize("column", [pd.Series([1, 2, 3]), pd.Series(["a", None, "b"], dtype=object),
                                    pd.Series([True, False])])
def test_other_columns_go_to_pandas(column):
    assert isin(column, [1, "a", True]).tolist() == column.isin([1, "a", True]).tolist()


def test_compact_text_makes_whole_text_arrow_backed_and_leaves_the_rest():
    from csenet.columns import TEXT as ARROW_TEXT, compact_text

    frame = pd.DataFrame({"ids": pd.Series(["R-1", "R-2", "R-é"], dtype=object),
                          "unknown": pd.Series(["x", None, "y"], dtype=object),
                          "lists": pd.Series([["a"], [], ["b"]], dtype=object),
                          "mixed": pd.Series(["1", 2, "3"], dtype=object),
                          "year": [2020, 2021, 2022]})
    out = compact_text(frame)
    assert out["ids"].dtype == ARROW_TEXT and out["ids"].tolist() == ["R-1", "R-2", "R-é"]
    assert {c: out[c].dtype for c in ("unknown", "lists", "mixed")} == {c: object for c in ("unknown", "lists", "mixed")}
    assert out["unknown"].tolist()[1] is None  # an unknown stays None, not NaN
    assert out["year"].dtype == np.int64


def test_validated_frames_keep_unknowns_as_none_beside_arrow_text(tiny_bundle):
    from csenet.columns import TEXT as ARROW_TEXT
    from csenet.loaders.read import read_bundle
    from csenet.loaders.validate import validate

    records = validate(read_bundle(tiny_bundle)).frames["person_records"]
    assert records["record_id"].dtype == ARROW_TEXT
    dob = records["date_of_birth"]
    assert dob.dtype == object and dob.isna().any()
    assert all(v is None or isinstance(v, str) for v in dob)


def test_none_for_unknown_keeps_whole_text_arrow_backed_and_gives_none_elsewhere():
    from csenet.columns import TEXT as ARROW_TEXT, none_for_unknown

    frame = pd.DataFrame({"ids": pd.Series(["I-1", "I-2", "I-3"], dtype=ARROW_TEXT),
                          "district": pd.Series(["North", None, "South"], dtype=ARROW_TEXT),
                          "flags": pd.Series([["CSE"], [], None], dtype=object),
                          "score": [1.0, float("nan"), 3.0]})
    out = none_for_unknown(frame)
    assert out["ids"].dtype == ARROW_TEXT and out["ids"].tolist() == ["I-1", "I-2", "I-3"]
    assert out["district"].dtype == object and out["district"].tolist() == ["North", None, "South"]
    assert out["flags"].tolist() == [["CSE"], [], None]
    assert out["score"].tolist() == [1.0, None, 3.0]
