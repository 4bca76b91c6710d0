"""``bot status`` as text: columns sized to their content, no number or name cut."""

from __future__ import annotations

import re

from backtrader_engine.operations.status import BotStatus
from backtrader_engine.operations.status_text import format_status
from backtrader_engine.service.endpoints import EndpointCheck

LONG = "VeryLongMultiTimeframeMomentumBreakoutStrategy:1000PEPEUSDT"


def _figures() -> dict[str, object]:
    return {"equity": 2_345_678.91, "initial_cash": 2_000_000.0, "pnl": 345_678.91,
            "drawdown_pct": 1.5, "trades_won": 3, "trades_lost": 1, "win_rate": 0.75,
            "open_positions": [
                {"account": LONG, "position": 1234.5, "price": 0.0123456789},
                {"account": "SmaCross:BTCUSDT", "position": -0.0125, "price": 233456.78},
                {"account": "SmaCross:ETHUSDT", "position": 2.0, "price": 1234567.125}],
            "open_orders": 2, "signals_executed": 4, "signals_rejected": 1,
            "rejected_by_reason": {"low_confidence": 1}, "orders_rejected": 0}


def test_long_names_and_six_digit_prices_are_shown_whole() -> None:
    status = BotStatus(
        "running", "bot running", "run", state_dir="state/desk", figures=_figures(),
        endpoints=[EndpointCheck("metrics", "http://127.0.0.1:8080/metrics", True, "HTTP 200"),
                   EndpointCheck("grafana-long-name", "http://grafana.internal.example:3000/"
                                 "api/health/with/a/long/path", False, "refused")])
    text = format_status(status)
    lines = text.splitlines()
    for price in ("233456.78", "1234567.125", "0.0123456789"):
        assert re.search(rf"@ +{re.escape(price)}$", text, re.MULTILINE), price
    assert "+1234.5" in text and "-0.0125" in text
    rows = [line for line in lines if LONG in line or "SmaCross:" in line]
    assert len(rows) == 3 and any(line.strip().startswith(LONG + " ") for line in rows)
    # The columns line up: every "@" at the same place, every price right after it.
    assert len({line.index(" @ ") for line in rows}) == 1
    assert len({len(line) for line in rows}) == 1  # prices right-aligned
    for url in ("http://127.0.0.1:8080/metrics",
                "http://grafana.internal.example:3000/api/health/with/a/long/path"):
        assert url + " " in text
    endpoint_lines = [line for line in lines if "http://" in line]
    assert len({line.index("http://") for line in endpoint_lines}) == 1
    assert len({line.index(" up ") if " up " in line else line.index(" down ")
                for line in endpoint_lines}) == 1
    assert not any(line != line.rstrip() for line in lines)
