"""Shared fixtures for the data-layer tests: bundled test files and synthetic OHLCV frames."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

TESTDATA = Path(__file__).resolve().parents[1] / "testdata"


def make_ohlcv_frame(
    n: int = 100, start: str = "2024-01-01", freq: str = "1min", seed: int = 0
) -> pd.DataFrame:
    """A valid canonical OHLCV frame: a random walk with consistent high/low and volume > 0."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, n)))
    open_ = np.r_[100.0, close[:-1]]
    spread = np.abs(rng.normal(0.0, 0.001, n)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    volume = rng.uniform(1.0, 10.0, n)
    index = pd.date_range(start, periods=n, freq=freq, name="datetime").as_unit("ns")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume}, index=index
    )


def write_zip(path: Path, member: str, text: str) -> Path:
    """Write a ZIP archive holding one text member, like a data.binance.vision archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, text)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def testdata() -> Path:
    """Directory of the real data files copied for tests (see tests/testdata/SOURCES.md)."""
    return TESTDATA


@pytest.fixture
def make_ohlcv() -> Callable[..., pd.DataFrame]:
    """Factory ``make_ohlcv(n, start, freq, seed)`` for synthetic canonical frames."""
    return make_ohlcv_frame


@pytest.fixture
def zip_writer() -> Callable[[Path, str, str], Path]:
    """Factory ``zip_writer(path, member, text)`` writing a one-member ZIP archive."""
    return write_zip


def assert_canonical(df: pd.DataFrame) -> None:
    """The invariants every loader output must satisfy."""
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dtype == np.float64 for dtype in df.dtypes)
    assert isinstance(df.index, pd.DatetimeIndex)
    assert df.index.name == "datetime"
    assert df.index.dtype == np.dtype("datetime64[ns]")
    assert df.index.tz is None
    assert df.index.is_monotonic_increasing
    assert df.index.is_unique


@pytest.fixture
def check_canonical() -> Callable[[pd.DataFrame], None]:
    """Assert the invariants every loader output must satisfy."""
    return assert_canonical
