"""Round trips counted from fills."""

from __future__ import annotations

from backtrader_engine.paper.trades import closed_trades


def test_round_trips_count_closes_and_reversals() -> None:
    fills = [
        {"size": 1.0, "position_after": 1.0, "pnl": 0.0, "fee": 0.1},
        {"size": -1.0, "position_after": 0.0, "pnl": 5.0, "fee": 0.1},   # won 4.8
        {"size": -2.0, "position_after": -2.0, "pnl": 0.0, "fee": 0.1},
        {"size": 3.0, "position_after": 1.0, "pnl": -1.0, "fee": 0.1},   # reversal: lost
        {"size": -1.0, "position_after": 0.0, "pnl": 0.05, "fee": 0.1},  # fees eat it: lost
    ]
    assert closed_trades(fills) == (1, 2)


def test_funding_counts_against_the_trip_open_at_the_settlement() -> None:
    fills = [
        {"ts_ms": 1, "size": 1.0, "position_after": 1.0, "pnl": 0.0, "fee": 0.1},
        {"ts_ms": 3, "size": -1.0, "position_after": 0.0, "pnl": 1.0, "fee": 0.1},  # +0.8
    ]
    assert closed_trades(fills) == (1, 0)
    assert closed_trades(fills, [{"funding_time": 2, "payment": 0.9}]) == (0, 1)
    assert closed_trades(fills, [{"funding_time": 4, "payment": 0.9}]) == (1, 0)  # flat
