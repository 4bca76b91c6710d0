"""Trade ledger: one row per round trip, recorded from backtrader's trade notifications.

Analyzers receive ``notify_trade`` only when a trade changes (open, resize, close), so this costs
nothing per bar. Fees come from backtrader's trade commission; funding from the broker's
per-position accrual; a trade closed by a forced liquidation is flagged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import backtrader as bt
import pandas as pd

TRADE_COLUMNS = [
    "trade_id", "symbol", "side", "status", "entry_time", "exit_time", "size", "entry_price",
    "exit_price", "gross_pnl", "fees", "funding", "net_pnl", "return_pct", "bars_held",
    "liquidated",
]


@dataclass
class TradeRow:
    """One round trip (``status`` is ``open`` for a position still held at the end)."""

    trade_id: int
    symbol: str
    side: str
    status: str
    entry_time: pd.Timestamp
    exit_time: pd.Timestamp | None
    size: float
    entry_price: float
    exit_price: float
    gross_pnl: float
    fees: float
    funding: float
    net_pnl: float
    return_pct: float
    bars_held: int
    liquidated: bool


class _Open:
    __slots__ = ("side", "peak", "closed_qty", "last_size", "funding")

    def __init__(self, side: str) -> None:
        self.side = side
        self.peak = 0.0
        self.closed_qty = 0.0
        self.last_size = 0.0
        self.funding = 0.0


class TradeLedger(bt.Analyzer):
    """Collects :class:`TradeRow` objects; ``get_analysis()`` returns the list."""

    def start(self) -> None:
        self.rows: list[TradeRow] = []
        self._open: dict[int, _Open] = {}
        self._trades: dict[int, bt.Trade] = {}
        self._liquidated_datas: set[int] = set()

    def notify_order(self, order: bt.Order) -> None:
        # Order notifications reach analyzers before the trade update they cause.
        if order.status == order.Completed and order.info.get("liquidation", False):
            self._liquidated_datas.add(id(order.data))

    def notify_trade(self, trade: bt.Trade) -> None:
        state = self._open.get(trade.ref)
        if state is None:
            state = _Open("long" if trade.size > 0 else "short")
            self._open[trade.ref] = state
        size = abs(trade.size)
        if size < state.last_size:
            state.closed_qty += state.last_size - size
        state.last_size = size
        state.peak = max(state.peak, size)
        self._trades[trade.ref] = trade
        if trade.isclosed:
            state.funding += self._pop_funding(trade.data)
            self.rows.append(self._row(trade, state, closed=True))
            del self._open[trade.ref]
            del self._trades[trade.ref]

    def stop(self) -> None:
        # Positions still held at the end are reported marked at the last close, flagged open.
        for ref, state in list(self._open.items()):
            trade = self._trades[ref]
            state.funding += self._pop_funding(trade.data)
            self.rows.append(self._row(trade, state, closed=False))
        self.rows.sort(key=lambda r: (r.entry_time, r.trade_id))

    def get_analysis(self) -> list[TradeRow]:
        return self.rows

    def _pop_funding(self, data) -> float:
        pop = getattr(self.strategy.broker, "pop_trade_funding", None)
        return pop(data) if pop is not None else 0.0

    def _row(self, trade: bt.Trade, state: _Open, *, closed: bool) -> TradeRow:
        sign = 1.0 if state.side == "long" else -1.0
        entry_price = float(trade.price)
        if closed:
            gross = float(trade.pnl)
            qty = state.closed_qty or state.peak
            exit_price = entry_price + gross / (sign * qty) if qty else entry_price
            exit_time = pd.Timestamp(bt.num2date(trade.dtclose)).round("ms")
            bars = int(trade.barlen)
        else:
            last = float(trade.data.close[0])
            gross = float(trade.pnl) + trade.size * (last - entry_price)
            exit_price = last
            exit_time = None
            bars = len(trade.data) - int(trade.baropen)
        fees = float(trade.commission)
        net = gross - fees - state.funding
        notional = state.peak * entry_price
        return TradeRow(
            trade_id=int(trade.ref),
            symbol=trade.data._name or "",
            side=state.side,
            status="closed" if closed else "open",
            entry_time=pd.Timestamp(bt.num2date(trade.dtopen)).round("ms"),
            exit_time=exit_time,
            size=state.peak,
            entry_price=entry_price,
            exit_price=exit_price,
            gross_pnl=gross,
            fees=fees,
            funding=state.funding,
            net_pnl=net,
            return_pct=100.0 * net / notional if notional else 0.0,
            bars_held=bars,
            liquidated=closed and self._take_liquidated(trade.data),
        )

    def _take_liquidated(self, data) -> bool:
        key = id(data)
        if key in self._liquidated_datas:
            self._liquidated_datas.discard(key)
            return True
        return False


def trades_frame(rows: list[TradeRow]) -> pd.DataFrame:
    """The ledger as a DataFrame with :data:`TRADE_COLUMNS`."""
    return pd.DataFrame([asdict(r) for r in rows], columns=TRADE_COLUMNS)
