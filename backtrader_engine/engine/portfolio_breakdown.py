"""A portfolio backtest's per-symbol breakdown: one row per symbol and the portfolio's total.

Every symbol's row is computed from the same trades and per-bar series as the portfolio's
metrics, so the rows add up to the total: PnL and return contributions sum to the portfolio's,
trades and rejected orders to its counts.

Max drawdown of a symbol is taken on its own account's equity when each symbol has one
(``--accounts per-symbol``); with one shared account it is taken on the whole starting cash
plus that symbol's PnL alone, i.e. how far that symbol's contribution fell from its best.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from backtrader_engine.engine.metrics import drawdown_series
from backtrader_engine.engine.trades import is_win


@dataclass(frozen=True)
class SymbolRow:
    """One symbol's share of a portfolio run (``TOTAL`` for the whole portfolio)."""

    symbol: str
    trades: int
    open_trades: int
    win_rate_pct: float | None
    net_pnl: float
    return_contribution_pct: float
    max_drawdown_pct: float
    fees: float
    funding: float
    orders_submitted: int
    orders_rejected: int
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    #: The sub-account's starting cash (per-symbol accounts), None when the account is shared.
    cash: float | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _row(symbol: str, trades: pd.DataFrame, pnl: pd.Series, total_cash: float,
         own_cash: float | None, rejected: Mapping[str, int], orders: int) -> SymbolRow:
    closed = trades[trades["status"] == "closed"]
    wins = sum(1 for net in closed["net_pnl"] if is_win(float(net)))
    final = float(pnl.iloc[-1]) if len(pnl) else 0.0
    base = own_cash if own_cash is not None else total_cash
    drawdown = drawdown_series(base + pnl, base) if len(pnl) else pd.Series(dtype=float)
    return SymbolRow(
        symbol=symbol, trades=len(closed), open_trades=int((trades["status"] == "open").sum()),
        win_rate_pct=100.0 * wins / len(closed) if len(closed) else None,
        net_pnl=final, return_contribution_pct=100.0 * final / total_cash,
        max_drawdown_pct=float(drawdown.max()) if len(drawdown) else 0.0,
        fees=float(trades["fees"].sum()), funding=float(trades["funding"].sum()),
        orders_submitted=orders, orders_rejected=sum(rejected.values()),
        rejected_by_reason=dict(rejected), cash=own_cash)


def symbol_rows(symbols: Sequence[str], trades: pd.DataFrame, pnl: Mapping[str, pd.Series],
                total_cash: float, own_cash: float | None,
                rejected: Mapping[str, Mapping[str, int]],
                orders: Mapping[str, int]) -> list[SymbolRow]:
    """One :class:`SymbolRow` per symbol, then ``TOTAL`` (the portfolio as a whole).

    Parameters
    ----------
    pnl : mapping
        Symbol -> its PnL at each portfolio bar (its sub-account's value less its cash, or
        its share of the shared account's value).
    own_cash : float or None
        Each symbol's sub-account cash, or None with one shared account.
    """
    rows = [_row(symbol, trades[trades["symbol"] == symbol], pnl[symbol], total_cash, own_cash,
                 rejected.get(symbol, {}), orders.get(symbol, 0)) for symbol in symbols]
    total_pnl = sum(pnl[symbol] for symbol in symbols)
    assert isinstance(total_pnl, pd.Series)  # at least one symbol
    by_reason: dict[str, int] = {}
    for row in rows:
        for reason, count in row.rejected_by_reason.items():
            by_reason[reason] = by_reason.get(reason, 0) + count
    total = _row("TOTAL", trades, total_pnl, total_cash, None, by_reason,
                 sum(orders.get(symbol, 0) for symbol in symbols))
    return [*rows, total]
