"""Vega-Lite chart specs: price line with buy/sell markers, equity line."""

from __future__ import annotations

import json

import pandas as pd

from backtrader_engine.dashboard import charts


def _frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_price_chart_layers_fills_as_markers_by_side() -> None:
    times = pd.to_datetime([0, 3_600_000], unit="ms", utc=True)
    bars = _frame(time=times, close=[100.0, 101.0])
    fills = _frame(time=times[1:], side=["sell"], price=[101.0], size=[-0.5],
                   account=["A:BTCUSDT"], pnl=[1.25])
    spec = charts.price_with_trades(bars, fills, "BTCUSDT")
    line, points = spec["layer"]
    assert line["data"]["values"] == [{"time": "1970-01-01T00:00:00Z", "close": 100.0},
                                      {"time": "1970-01-01T01:00:00Z", "close": 101.0}]
    assert points["data"]["values"][0]["side"] == "sell"
    assert points["encoding"]["color"]["scale"]["range"] == ["#22c55e", "#ef4444"]
    json.dumps(spec)  # the spec goes to the browser as JSON
    assert len(charts.price_with_trades(bars, fills.iloc[0:0], "x")["layer"]) == 1
