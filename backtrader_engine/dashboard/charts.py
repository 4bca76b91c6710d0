"""Vega-Lite specifications of the panel's charts (plain dicts: testable, no Streamlit)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

#: Marker colours of fills by side, readable on the dark theme.
SIDE_COLOURS = {"buy": "#22c55e", "sell": "#ef4444"}
LINE_COLOUR = "#60a5fa"


def _records(frame: pd.DataFrame) -> list[dict[Hashable, Any]]:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return out.to_dict(orient="records")


def price_with_trades(bars: pd.DataFrame, fills: pd.DataFrame, title: str) -> dict[str, Any]:
    """Closing price as a line, fills as triangles (up: buy, down: sell) with tooltips."""
    x = {"field": "time", "type": "temporal", "title": None}
    layers: list[dict[str, Any]] = [{
        "data": {"values": _records(bars[["time", "close"]])},
        "mark": {"type": "line", "color": LINE_COLOUR, "strokeWidth": 1.5},
        "encoding": {"x": x, "y": {"field": "close", "type": "quantitative", "title": "price",
                                   "scale": {"zero": False}},
                     "tooltip": [{"field": "time", "type": "temporal", "format": "%Y-%m-%d %H:%M"},
                                 {"field": "close", "type": "quantitative", "format": ",.2f"}]},
    }]
    if not fills.empty:
        layers.append({
            "data": {"values": _records(fills)},
            "mark": {"type": "point", "filled": True, "size": 90, "opacity": 0.95},
            "encoding": {
                "x": x, "y": {"field": "price", "type": "quantitative"},
                "shape": {"field": "side", "type": "nominal",
                          "scale": {"domain": ["buy", "sell"],
                                    "range": ["triangle-up", "triangle-down"]}},
                "color": {"field": "side", "type": "nominal",
                          "scale": {"domain": list(SIDE_COLOURS),
                                    "range": list(SIDE_COLOURS.values())}},
                "tooltip": [{"field": "time", "type": "temporal", "format": "%Y-%m-%d %H:%M"},
                            {"field": "side"}, {"field": "account"},
                            {"field": "price", "format": ",.2f"},
                            {"field": "size", "format": ".6g"},
                            {"field": "pnl", "format": "+,.2f"}]},
        })
    return {"title": title, "layer": layers, "height": 320}


#: The drawdown area under the equity curve.
DRAWDOWN_COLOUR = "#ef4444"
#: Realised and unrealised PnL bars: neutral hues (green/red would read as a sign).
PNL_COLOURS = {"realised": "#60a5fa", "unrealised": "#a78bfa"}
_TIME_TIP = {"field": "time", "type": "temporal", "format": "%Y-%m-%d %H:%M", "title": "time"}


def equity_with_drawdown(frame: pd.DataFrame) -> dict[str, Any]:
    """The equity curve with its drawdown below it, one x axis (time) for both.

    *frame* has ``time``, ``value``, ``peak`` and ``drawdown_pct`` (see
    :func:`~backtrader_engine.dashboard.model.equity.equity_drawdown`). The drawdown axis
    points down, so a deeper drawdown hangs lower under the curve.
    """
    x = {"field": "time", "type": "temporal", "title": None}
    tooltip = [_TIME_TIP,
               {"field": "value", "type": "quantitative", "format": ",.2f", "title": "equity"},
               {"field": "peak", "type": "quantitative", "format": ",.2f"},
               {"field": "drawdown_pct", "type": "quantitative", "format": ".2f",
                "title": "drawdown %"}]
    return {
        "data": {"values": _records(frame)},
        "vconcat": [
            {"mark": {"type": "line", "color": LINE_COLOUR, "strokeWidth": 1.5},
             "encoding": {"x": {**x, "axis": {"labels": False, "ticks": False}},
                          "y": {"field": "value", "type": "quantitative", "title": "USDT",
                                "scale": {"zero": False}},
                          "tooltip": tooltip},
             "height": 220},
            {"mark": {"type": "area", "color": DRAWDOWN_COLOUR, "opacity": 0.45,
                      "line": {"color": DRAWDOWN_COLOUR, "strokeWidth": 1}},
             "encoding": {"x": x,
                          "y": {"field": "drawdown_pct", "type": "quantitative",
                                "title": "drawdown %", "scale": {"reverse": True}},
                          "tooltip": tooltip},
             "height": 100},
        ],
        "resolve": {"scale": {"x": "shared"}},
        "spacing": 4,
    }


def pnl_by_strategy(parts: pd.DataFrame) -> dict[str, Any]:
    """Horizontal bars per strategy × symbol, realised and unrealised PnL stacked.

    *parts* is :func:`~backtrader_engine.dashboard.model.pnl.pnl_parts`; bars are ordered
    by total PnL, best on top.
    """
    return {
        "data": {"values": _records(parts)},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "title": None,
                  "sort": {"field": "total", "op": "max", "order": "descending"},
                  "axis": {"labelLimit": 320}},
            "x": {"field": "pnl", "type": "quantitative", "title": "PnL (USDT)",
                  "stack": "zero"},
            "color": {"field": "part", "type": "nominal", "title": None,
                      "scale": {"domain": list(PNL_COLOURS),
                                "range": list(PNL_COLOURS.values())}},
            "tooltip": [{"field": "label", "title": "strategy · symbol"}, {"field": "part"},
                        {"field": "pnl", "type": "quantitative", "format": "+,.2f"},
                        {"field": "total", "type": "quantitative", "format": "+,.2f"}],
        },
        "height": {"step": 28},
    }


def rejections_over_time(frame: pd.DataFrame, period: str,
                         reasons: Sequence[str] = ()) -> dict[str, Any]:
    """Refusals per *period* (``hour`` or ``day``) as bars stacked by reason.

    *frame* has ``time`` (start of the period), ``reason`` and ``count`` (see
    :func:`~backtrader_engine.dashboard.model.rejections.rejection_timeline`). *reasons*,
    when given, fixes the colour of each reason, so that charts drawn side by side (signals
    and orders) give one reason one colour.
    """
    colour: dict[str, Any] = {"field": "reason", "type": "nominal", "title": "reason"}
    if reasons:
        colour["scale"] = {"domain": list(reasons)}
    unit = "utcyearmonthdatehours" if period == "hour" else "utcyearmonthdate"
    return {
        "data": {"values": _records(frame)},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "time", "type": "temporal", "timeUnit": unit, "title": None},
            "y": {"field": "count", "type": "quantitative", "aggregate": "sum",
                  "title": f"per {period}"},
            "color": colour,
            "tooltip": [{"field": "time", "type": "temporal", "timeUnit": unit,
                         "title": period},
                        {"field": "reason"},
                        {"field": "count", "type": "quantitative", "aggregate": "sum",
                         "title": "count"}],
        },
        "height": 220,
    }
