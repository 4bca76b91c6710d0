"""Turns one sub-account's broker and risk-gate events into ledger rows.

Rows are collected while the sub-account works on a bar and written together by
:meth:`AccountRecorder.flush`, which the live feed calls once the bar step is done, before
the session may hand the account its next input. The fill therefore never waits for the
disk, and a crash loses at most the outputs of the step in progress, which the restart
re-derives from the logged inputs anyway.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import backtrader as bt

from backtrader_engine.engine.trades import Fill, RoundTripLedger, TripTally, is_win
from backtrader_engine.ledger import LedgerWriter
from backtrader_engine.risk.journal import SignalRecord

if TYPE_CHECKING:
    from backtrader_engine.paper.broker import PaperBroker

_EPOCH = datetime(1970, 1, 1)  # the journal keeps naive UTC times
_REASONS = {bt.Order.Margin: "broker:margin", bt.Order.Rejected: "broker:rejected"}


def order_type(order: bt.Order) -> str:
    """``Market``, ``Limit``, ``Stop``, ``StopLimit``, ``Close``..."""
    return bt.Order.ExecTypes[order.exectype] if order.exectype is not None else "Market"


class AccountRecorder:
    """The :class:`~.broker.BrokerRecorder` and signal observer of one sub-account.

    Parameters
    ----------
    ledger : LedgerWriter
        Where rows go.
    account, symbol, strategy : str
        The sub-account's name, instrument and strategy class name.
    """

    def __init__(self, ledger: LedgerWriter, account: str, symbol: str, strategy: str) -> None:
        self.ledger = ledger
        self.account = account
        self.symbol = symbol
        self.strategy = strategy
        self.broker: PaperBroker | None = None
        self._created: dict[int, tuple[int, int]] = {}  # order seq -> (bar, ts) of creation
        self.new_fills = 0  # fills written by this process (not re-derived ones)
        self._rows: list[tuple[str, dict[str, Any]]] = []
        # order seq -> (order, status, info, ts) of its latest notification this step
        self._orders: dict[int, tuple[bt.Order, int, dict[str, Any], int]] = {}
        self._bar: tuple[int, int] | None = None  # (seq, ts) of the bar last stepped
        self._peak: float | None = None
        #: The sub-account's round trips by the engine's one rule, fed with the same fills
        #: and settlements as the ledger rows; a restart re-derives them with the outputs.
        self.trips: RoundTripLedger[str] = RoundTripLedger()
        # The tally of trips.rows[:_tallied], all closed. One symbol holds one trip at a time,
        # so the closed trips are always the leading rows and a closed trip never changes:
        # each step adds the trips it closed instead of recounting the account's history.
        self._tally = TripTally()
        self._tallied = 0

    def flush(self) -> None:
        """Write the step's rows and the account's state after it, in one transaction."""
        self._order_rows()
        self._state_rows()
        if self._rows:
            rows, self._rows = self._rows, []
            self.new_fills += self.ledger.write_outputs(rows)

    def on_order(self, order: bt.Order, seq: int, bar: int, ts: int) -> None:
        # An order notifies on its way to a fill (submitted, accepted, completed) and its row
        # is replaced each time, so only the step's last notification is kept, and the row is
        # built at flush: nothing is serialised between the strategy's order and its fill.
        self._created.setdefault(seq, (bar, ts))
        self._orders[seq] = (order, order.status, dict(order.info), ts)

    def _order_rows(self) -> None:
        for seq, (order, status, info, ts) in self._orders.items():
            created = self._created[seq]
            reason = info.get("reject_reason") or _REASONS.get(status)
            parent = None
            if order.parent is not None and self.broker is not None:
                parent = self.broker.order_seq.get(order.parent.ref)
            extra = {k: v for k, v in info.items() if isinstance(v, str | int | float | bool)}
            self._rows.append(("orders", {
                "account": self.account, "seq": seq, "bar_seq": created[0],
                "created_ms": created[1], "side": "buy" if order.isbuy() else "sell",
                "type": order_type(order), "size": float(order.created.size),
                "price": _float(order.created.price),
                "price_limit": _float(order.created.pricelimit), "parent_seq": parent,
                "status": bt.Order.Status[status], "reason": reason,
                "confidence": _float(info.get("confidence")),
                "info": json.dumps(extra, sort_keys=True, default=str), "updated_ms": ts}))
        self._orders.clear()

    def on_fill(self, order: bt.Order, seq: int, fill_seq: int, bar: int, ts: int, bit: Any,
                maker: bool) -> None:
        liquidation = bool(order.info.get("liquidation", False))
        self.trips.on_fill(self.symbol, self.symbol, Fill.from_bit(bit, bar, liquidation, ts))
        self._rows.append(("fills", {
            "account": self.account, "order_seq": seq, "fill_seq": fill_seq, "bar_seq": bar,
            "ts_ms": ts, "symbol": self.symbol, "side": "buy" if bit.size > 0 else "sell",
            "size": float(bit.size), "price": float(bit.price),
            "fee": float(bit.closedcomm + bit.openedcomm),
            "liquidity": "maker" if maker else "taker", "pnl": float(bit.pnl),
            "position_after": float(bit.psize),
            "liquidation": int(liquidation),
            "recorded_at": time.time()}))

    def on_funding(self, funding_time: int, rate: float, mark: float, position: float,
                   payment: float) -> None:
        self.trips.on_funding(self.symbol, payment)
        self._rows.append(("funding", {
            "account": self.account, "funding_time": funding_time, "symbol": self.symbol,
            "rate": rate, "mark_price": mark, "position": position, "payment": payment}))

    def on_bar(self, broker: PaperBroker, bar: int, ts: int) -> None:
        """A bar began; the account's state is written when its step is done."""
        self._bar = (bar, ts)

    def _state_rows(self) -> None:
        broker = self.broker
        if broker is None or self._bar is None:
            return
        bar, ts = self._bar
        data = broker.cerebro.datas[0]
        position = broker.getposition(data)
        # Not getvalue(): backtrader caches it at the start of each bar, so a close at market
        # during the step would leave the stored value one step behind the cash.
        value = broker.current_value
        self._peak = value if self._peak is None else max(self._peak, value)
        trips = self._closed_trips()
        self._rows.append(("account_state", {
            "account": self.account, "bar_seq": bar, "ts_ms": ts, "cash": broker.getcash(),
            "value": value, "position": float(position.size),
            "position_price": float(position.price), "fees": broker.fees_paid,
            "funding": broker.funding_paid, "peak": self._peak,
            "trades_won": trips.won, "trades_lost": trips.lost,
            "trips_net_pnl": trips.net_pnl}))
        ctx = broker.context(data)
        if ctx is not None and ctx.tradable:  # the equity curve starts with live trading
            self._rows.append(("equity", {"account": self.account, "bar_seq": bar,
                                          "ts_ms": ts, "value": value}))

    def _closed_trips(self) -> TripTally:
        """``self.trips.tally()``, from the previous step's: the same count, and the same
        float sum, added pnl by pnl in row order as :meth:`TripTally.of_net` does."""
        rows, t = self.trips.rows, self._tally
        closed, won, net = t.closed, t.won, t.net_pnl
        n = self._tallied
        while n < len(rows) and rows[n].status == "closed":
            pnl = float(rows[n].net_pnl)
            closed += 1
            won += is_win(pnl)
            net += pnl
            n += 1
        if n != self._tallied:
            self._tally, self._tallied = TripTally(closed, won, net), n
        return self._tally

    def on_signal(self, record: SignalRecord) -> None:
        """Risk-gate journal observer: the latest outcome of each signal."""
        seq = self.broker.order_seq.get(record.signal_id) if self.broker else None
        if seq is None:
            return
        self._rows.append(("signals", {
            "account": self.account, "order_seq": seq,
            "ts_ms": int((record.time - _EPOCH).total_seconds() * 1000),
            "strategy": record.strategy or self.strategy, "symbol": record.symbol,
            "side": record.side, "size": float(record.size), "price": _float(record.price),
            "confidence": _float(record.confidence), "outcome": record.outcome,
            "reason": record.reason, "message": record.message, "stage": record.stage}))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)

