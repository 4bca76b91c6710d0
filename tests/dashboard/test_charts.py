"""Vega-Lite chart specs: price with buy/sell markers, equity with drawdown, PnL per
strategy × symbol, rejections over time."""

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


def test_the_drawdown_sits_under_the_equity_curve_on_one_time_axis() -> None:
    frame = _frame(time=pd.to_datetime([0, 3_600_000], unit="ms", utc=True),
                   value=[10_000.0, 9_500.0], peak=[10_000.0, 10_000.0],
                   drawdown_pct=[0.0, 5.0])
    spec = charts.equity_with_drawdown(frame)
    equity, drawdown = spec["vconcat"]
    assert spec["resolve"] == {"scale": {"x": "shared"}}
    assert equity["encoding"]["x"]["field"] == drawdown["encoding"]["x"]["field"] == "time"
    assert equity["encoding"]["y"]["field"] == "value"
    assert equity["encoding"]["y"]["scale"] == {"zero": False}
    assert drawdown["encoding"]["y"]["field"] == "drawdown_pct"
    assert drawdown["encoding"]["y"]["scale"] == {"reverse": True}  # deeper hangs lower
    assert spec["data"]["values"][1] == {"time": "1970-01-01T01:00:00Z", "value": 9_500.0,
                                         "peak": 10_000.0, "drawdown_pct": 5.0}
    json.dumps(spec)


def test_pnl_bars_are_stacked_and_ordered_by_total() -> None:
    parts = _frame(label=["A · BTCUSDT", "A · BTCUSDT"], part=["realised", "unrealised"],
                   pnl=[12.5, -2.0], total=[10.5, 10.5])
    spec = charts.pnl_by_strategy(parts)
    assert spec["encoding"]["x"]["stack"] == "zero"
    assert spec["encoding"]["y"]["sort"]["field"] == "total"
    assert spec["encoding"]["color"]["scale"]["domain"] == ["realised", "unrealised"]
    json.dumps(spec)


def test_rejections_are_binned_by_the_chosen_period() -> None:
    frame = _frame(time=pd.to_datetime([0], unit="ms", utc=True), reason=["warmup"],
                   count=[3])
    assert charts.rejections_over_time(frame, "hour")["encoding"]["x"]["timeUnit"] == \
        "utcyearmonthdatehours"
    spec = charts.rejections_over_time(frame, "day")
    assert spec["encoding"]["x"]["timeUnit"] == "utcyearmonthdate"
    assert spec["encoding"]["y"]["title"] == "per day"
    assert spec["encoding"]["color"]["field"] == "reason"
    json.dumps(spec)
    # Given every reason of both charts, each reason keeps one colour in both.
    shared = charts.rejections_over_time(frame, "day", ["margin", "warmup"])
    assert shared["encoding"]["color"]["scale"] == {"domain": ["margin", "warmup"]}
