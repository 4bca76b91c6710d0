"""Column-at-a-time CSV fields give exactly the text Python's ``%`` and pandas' ``to_csv`` give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.engine.csv_fields import Fields, datetimes, fixed_point, join_rows

# Values whose text is easy to get wrong: signed zeros, exact ties at the 11th decimal
# (multiples of 2**-11 round half to even), values a hair either side of a carry into the
# whole part, what rounds to zero from below, the edges of exact integer arithmetic and
# everything that is no number at all.
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-11, -1e-11, 5e-11, -4.9e-11, 0.00048828125,
         3 / 2048, 5 / 2048, -7 / 2048, 1 / 1024, 0.99999999995, 0.999999999949999,
         9.99999999995, -9.99999999995, 123456.78901234567, 1 / 3, -2 / 3, 0.1, 0.3,
         2.0**52 + 0.5, 2.0**53 - 1, 2.0**53, -(2.0**53), 1e15, 1e20, -1e300, 1e-300, 5e-324,
         float("nan"), float("inf"), float("-inf")]


def _texts(fields: Fields) -> list[str]:
    keep = fields.mask()
    return [bytes(row[ok]).decode("ascii") for row, ok in zip(fields.data, keep, strict=True)]


def _python(values: np.ndarray, decimals: int = 10) -> list[str]:
    return ["" if np.isnan(v) else f"%.{decimals}f" % v for v in values.tolist()]


def test_edge_values_match_python_formatting() -> None:
    values = np.array(EDGES)
    assert _texts(fixed_point(values)) == _python(values)


def test_random_values_of_every_size_match_python_formatting() -> None:
    rng = np.random.default_rng(11)
    values = np.concatenate([
        rng.normal(0.0, 1.0, 20_000),
        rng.normal(0.0, 1e6, 20_000),
        rng.uniform(0.0, 1e-9, 10_000),
        rng.integers(-(2**40), 2**40, 20_000) / 2**11,  # many exact ties
        10.0 ** rng.uniform(-15, 16, 20_000) * rng.choice([-1.0, 1.0], 20_000),
        rng.integers(0, 2**64, 20_000, dtype=np.uint64).view(np.float64),  # any bit pattern
    ])
    assert _texts(fixed_point(values)) == _python(values)


@pytest.mark.parametrize("decimals", [1, 2, 6, 15])
def test_other_precisions_match_python_formatting(decimals: int) -> None:
    values = np.concatenate([np.array(EDGES), np.random.default_rng(5).normal(0, 1e3, 5_000)])
    assert _texts(fixed_point(values, decimals)) == _python(values, decimals)


def test_nan_takes_the_given_text() -> None:
    assert _texts(fixed_point(np.array([np.nan, 1.0]), 2, na_rep="NA")) == ["NA", "1.00"]


@pytest.mark.parametrize("index", [
    pd.date_range("2022-09-05", periods=500, freq="1min"),
    pd.date_range("1999-12-31 23:00", periods=50, freq="7h"),
    pd.date_range("2020-02-27", periods=10, freq="1D"),  # dates only: no time written
    pd.DatetimeIndex(["2019-01-01 00:00:00", "2024-02-29 13:45:59"]).as_unit("s"),
    pd.DatetimeIndex([], dtype="datetime64[ns]"),
], ids=["minutes", "hours", "days", "seconds-unit", "empty"])
def test_datetimes_are_written_as_pandas_writes_them(index: pd.DatetimeIndex) -> None:
    fields = datetimes(index)
    assert fields is not None
    expected = pd.DataFrame({"x": np.zeros(len(index))}, index=index).to_csv(
        header=False).splitlines()
    assert _texts(fields) == [line.rsplit(",", 1)[0] for line in expected]


@pytest.mark.parametrize("index", [
    pd.date_range("2022-01-01", periods=3, freq="1min", tz="UTC"),
    pd.date_range("2022-01-01", periods=3, freq="250ms"),
    pd.DatetimeIndex(["2022-01-01", None]),
    pd.RangeIndex(3),
], ids=["time zone", "sub-second", "NaT", "not times"])
def test_datetimes_left_to_pandas(index: pd.Index) -> None:
    assert datetimes(index) is None


def test_join_rows_squeezes_out_padding() -> None:
    left = fixed_point(np.array([1.5, -22.25, np.nan]), 2)
    right = fixed_point(np.array([1000.0, 0.0, -0.001]), 3)
    assert join_rows([left, right], chunk_rows=2) == b"1.50,1000.000\n-22.25,0.000\n,-0.001\n"
    assert join_rows([fixed_point(np.array([]), 2)]) == b""
