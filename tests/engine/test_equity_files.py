"""equity.csv is byte for byte pandas' to_csv; equity.parquet reads back as the frame written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.engine.equity_files import (
    read_equity,
    write_equity_csv,
    write_equity_parquet,
)
from tests.engine.test_csv_fields import EDGES


def _equity(index: pd.DatetimeIndex, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(index)
    equity = 10_000.0 + np.cumsum(rng.normal(0.0, 25.0, n))
    size = np.round(rng.normal(0.0, 0.4, n), 3)
    frame = pd.DataFrame({"equity": equity, "cash": equity - 1234.5678, "position_size": size,
                          "notional": size * rng.uniform(15_000.0, 70_000.0, n)}, index=index)
    frame["drawdown_pct"] = (1.0 - frame["equity"] / frame["equity"].cummax()) * 100.0
    return frame


def _pandas_bytes(frame: pd.DataFrame, path: Path) -> bytes:
    frame.to_csv(path, index_label="datetime", float_format="%.10f")
    return path.read_bytes()


def _edge_frame() -> pd.DataFrame:
    index = pd.date_range("2022-09-05", periods=len(EDGES), freq="1min", name="datetime")
    edges = np.array(EDGES)
    return pd.DataFrame({"equity": edges, "cash": -edges[::-1], "position_size": np.zeros(
        len(EDGES)), "notional": edges * 1e6, "drawdown_pct": np.where(edges > 0, edges, 0.0)},
        index=index)


@pytest.mark.parametrize("frame", [
    _equity(pd.date_range("2022-09-05", periods=5_000, freq="1min", name="datetime")),
    _equity(pd.date_range("2017-08-17", periods=400, freq="1D", name="datetime")),
    _equity(pd.DatetimeIndex(pd.date_range("2022-01-01", periods=300, freq="1h")).as_unit("s")),
    _edge_frame(),
    _equity(pd.date_range("2022-01-01", periods=0, freq="1min", name="datetime")),
    # Left to pandas by the writer, the same bytes all the same:
    _equity(pd.date_range("2022-01-01", periods=50, freq="1min", tz="UTC", name="datetime")),
    _equity(pd.date_range("2022-01-01", periods=50, freq="100ms", name="datetime")),
    _equity(pd.date_range("2022-01-01", periods=50, freq="1min")).astype({"position_size": int}),
], ids=["minutes", "days", "seconds-unit", "edge values", "empty", "time zone", "sub-second",
        "integer column"])
def test_csv_is_pandas_to_csv_byte_for_byte(tmp_path: Path, frame: pd.DataFrame) -> None:
    ours = write_equity_csv(frame, tmp_path / "equity.csv").read_bytes()
    assert ours == _pandas_bytes(frame, tmp_path / "pandas.csv")


def test_parquet_reads_back_as_the_frame_written(tmp_path: Path) -> None:
    frame = _equity(pd.date_range("2022-09-05", periods=2_000, freq="1min", name="datetime"))
    frame.iloc[7, 0] = np.nan
    path = write_equity_parquet(frame, tmp_path / "equity.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame, check_freq=False)
    unnamed = frame.rename_axis(None)  # the index is named datetime in the file either way
    back = pd.read_parquet(write_equity_parquet(unnamed, tmp_path / "unnamed.parquet"))
    assert back.index.name == "datetime"


def test_parquet_bytes_depend_only_on_the_frame(tmp_path: Path) -> None:
    frame = _equity(pd.date_range("2022-09-05", periods=3_000, freq="1min", name="datetime"))
    first = write_equity_parquet(frame, tmp_path / "a.parquet").read_bytes()
    second = write_equity_parquet(frame.copy(), tmp_path / "b.parquet").read_bytes()
    assert first == second
    changed = frame.copy()
    changed.iloc[-1, 0] += 0.01
    assert write_equity_parquet(changed, tmp_path / "c.parquet").read_bytes() != first


def test_read_equity_prefers_parquet_and_reads_older_reports_from_csv(tmp_path: Path) -> None:
    frame = _equity(pd.date_range("2022-09-05", periods=100, freq="1min", name="datetime"))
    write_equity_csv(frame, tmp_path / "equity.csv")
    from_csv = read_equity(tmp_path)
    pd.testing.assert_frame_equal(from_csv, frame, check_freq=False, atol=1e-9)
    write_equity_parquet(frame.iloc[:10], tmp_path / "equity.parquet")
    assert len(read_equity(tmp_path)) == 10
