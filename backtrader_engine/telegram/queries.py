"""Aggregates the ledger watcher reads: an order's fills, one market day's figures."""

from __future__ import annotations

from backtrader_engine.ledger import LedgerReader
from backtrader_engine.operations.periods import realised_between
from backtrader_engine.telegram.portfolio import DAY_MS, DayFigures


def fill_totals(reader: LedgerReader, key: tuple[str, int]) -> dict[str, float] | None:
    """Quantity, average price and fees of one order's fills (``None`` before any)."""
    totals = reader.order_fill_totals(*key)
    if totals is None:
        return None
    return {"qty": totals.qty, "avg_price": totals.notional / totals.qty, "fee": totals.fee}


def day_figures(reader: LedgerReader, day_start: int) -> DayFigures:
    """Fills, PnL, fees, funding and signal outcomes of the UTC day from *day_start* (ms)."""
    window = (day_start, day_start + DAY_MS)
    fills = [f.as_dict() for f in reader.fills_in(*window)]
    executed = 0
    rejected: dict[str, int] = {}
    for count in reader.signal_outcome_counts(*window):
        if count.outcome == "executed":
            executed += count.count
        elif count.outcome == "rejected":
            reason = count.reason or "unknown"
            rejected[reason] = rejected.get(reason, 0) + count.count
    # Closed round trips and their net PnL by the one round-trip rule, as /daily counts them.
    closed, _won, net_pnl = realised_between(reader, *window)
    return DayFigures(fills=len(fills), closed=closed, realised_pnl=net_pnl,
                      fees=sum(float(f["fee"]) for f in fills),
                      funding=reader.funding_total(*window), executed=executed,
                      rejected=rejected)
