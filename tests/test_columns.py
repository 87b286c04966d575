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
