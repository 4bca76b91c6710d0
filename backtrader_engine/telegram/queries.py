"""Aggregates the ledger watcher reads: an order's fills, one market day's figures."""

from __future__ import annotations

import sqlite3

from backtrader_engine.telegram import trading
from backtrader_engine.telegram.portfolio import DAY_MS, DayFigures


def fill_totals(db: sqlite3.Connection, key: tuple[str, int]) -> dict[str, float] | None:
    """Quantity, average price and fees of one order's fills (``None`` before any)."""
    row = db.execute("SELECT SUM(ABS(size)), SUM(ABS(size) * price), SUM(fee) FROM fills "
                     "WHERE account=? AND order_seq=?", key).fetchone()
    if row is None or not row[0]:
        return None
    return {"qty": float(row[0]), "avg_price": float(row[1]) / float(row[0]),
            "fee": float(row[2] or 0.0)}


def day_figures(db: sqlite3.Connection, day_start: int) -> DayFigures:
    """Fills, PnL, fees, funding and signal outcomes of the UTC day from *day_start* (ms)."""
    window = (day_start, day_start + DAY_MS)
    fills = [dict(r) for r in db.execute(
        "SELECT size, position_after, pnl, fee FROM fills WHERE ts_ms >= ? AND ts_ms < ?",
        window)]
    executed = 0
    rejected: dict[str, int] = {}
    for outcome, reason, count in db.execute(
            "SELECT outcome, reason, COUNT(*) FROM signals WHERE ts_ms >= ? AND ts_ms < ? "
            "GROUP BY outcome, reason", window):
        if outcome == "executed":
            executed += count
        elif outcome == "rejected":
            rejected[reason or "unknown"] = rejected.get(reason or "unknown", 0) + count
    funding = db.execute("SELECT COALESCE(SUM(payment), 0) FROM funding WHERE funding_time >= "
                         "? AND funding_time < ?", window).fetchone()[0]
    return DayFigures(fills=len(fills), closed=sum(trading.closes_position(f) for f in fills),
                      realised_pnl=sum(float(f["pnl"]) for f in fills),
                      fees=sum(float(f["fee"]) for f in fills), funding=float(funding),
                      executed=executed, rejected=rejected)
