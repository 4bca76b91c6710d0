"""Metrics never raise OverflowError and never report inf or nan."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from backtrader_engine.engine.metrics import cagr_pct, compute_metrics
from backtrader_engine.engine.trades import TRADE_COLUMNS


def _equity(values: list[float], freq: str = "1h") -> pd.DataFrame:
    index = pd.date_range("2022-01-01", periods=len(values), freq=freq)
    return pd.DataFrame({"equity": values, "notional": [0.0] * len(values)}, index=index)


def test_cagr_matches_the_power_formula_and_is_none_beyond_float():
    span = pd.Timedelta(days=730)
    assert cagr_pct(100.0, 121.0, span) == pytest.approx(10.0)
    # +100% in one hour: 2 ** 8760 per year does not fit in a float.
    assert cagr_pct(100.0, 200.0, pd.Timedelta(hours=1)) is None
    assert cagr_pct(100.0, math.inf, span) is None
    assert cagr_pct(100.0, 0.0, span) == -100.0


@pytest.mark.parametrize("values", [
    [1e4, 1e300, 1e308],          # gains no float can annualise
    [1e4, math.inf, math.inf],    # an equity that overflowed
    [1e4, 0.0, 1e4],              # a day-over-day return from zero
])
def test_compute_metrics_never_raises_and_never_reports_inf_or_nan(values):
    equity = _equity(values, freq="1D")
    metrics = compute_metrics(equity, pd.DataFrame(columns=list(TRADE_COLUMNS)),
                              initial_cash=1e4, bar=pd.Timedelta(days=1), fees_paid=0.0,
                              funding_paid=0.0, liquidations=0)
    for key, value in metrics.items():
        if isinstance(value, float):
            assert math.isfinite(value), key
