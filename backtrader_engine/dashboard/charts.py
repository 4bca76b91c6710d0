"""Vega-Lite specifications of the panel's charts (plain dicts: testable, no Streamlit)."""

from __future__ import annotations

from collections.abc import Hashable
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


def equity_line(equity: pd.DataFrame) -> dict[str, Any]:
    """The portfolio equity curve (the y axis spans the data, not zero to the top)."""
    return {
        "data": {"values": _records(equity)},
        "mark": {"type": "line", "color": LINE_COLOUR, "strokeWidth": 1.5},
        "encoding": {"x": {"field": "time", "type": "temporal", "title": None},
                     "y": {"field": "value", "type": "quantitative", "title": "USDT",
                           "scale": {"zero": False}},
                     "tooltip": [{"field": "time", "type": "temporal",
                                  "format": "%Y-%m-%d %H:%M"},
                                 {"field": "value", "type": "quantitative", "format": ",.2f"}]},
        "height": 260,
    }
