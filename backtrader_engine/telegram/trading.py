"""Ledger rows → notifications: signals, fills, closed positions, funding, events.

Pure functions over the row mappings the ledger stores (the ``as_dict()`` of
:mod:`backtrader_engine.ledger.rows`), so each message's content is testable without a
session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from backtrader_engine.operations import operator_pause_of_event as pause_of_event
from backtrader_engine.operations import trips_from_rows
from backtrader_engine.telegram import events as ev
from backtrader_engine.telegram.events import Notification

Row = Mapping[str, Any]


def money(value: float | None) -> str:
    """``1,234.57 USDT`` (``-`` for none)."""
    return "-" if value is None else f"{value:,.2f} USDT"


def signed_money(value: float) -> str:
    """``+12.30 USDT`` / ``-4.00 USDT``."""
    return f"{value:+,.2f} USDT"


def number(value: float | None) -> str:
    """A quantity or price with up to 8 significant digits (``-`` for none)."""
    return "-" if value is None else f"{value:,.8g}"


def signal_executed(signal: Row, fills: Row | None, strategy: str) -> Notification:
    """A signal the broker executed; *fills* aggregates its fills (qty, avg price, fee)."""
    qty = fills["qty"] if fills and fills.get("qty") else signal["size"]
    price = fills["avg_price"] if fills and fills.get("avg_price") else signal["price"]
    fee = fills["fee"] if fills else None
    fields = [("strategy", strategy), ("symbol", signal["symbol"]),
              ("side", signal["side"]), ("qty", number(qty)), ("price", number(price)),
              ("fee", money(fee)), ("account", signal["account"])]
    if signal.get("confidence") is not None:
        fields.append(("confidence", f"{signal['confidence']:.2f}"))
    return Notification(ev.EXECUTED, ev.INFO,
                        f"Signal executed: {signal['side']} {number(qty)} {signal['symbol']}",
                        tuple(fields), signal.get("ts_ms"), signal["account"])


def order_filled(fill: Row, fills: Row, strategy: str) -> Notification:
    """An entry fill with no signal record (a session without the risk gate)."""
    side = fill["side"]
    return Notification(ev.EXECUTED, ev.INFO,
                        f"Order executed: {side} {number(fills['qty'])} {fill['symbol']}",
                        (("strategy", strategy), ("symbol", fill["symbol"]), ("side", side),
                         ("qty", number(fills["qty"])), ("price", number(fills["avg_price"])),
                         ("fee", money(fills["fee"])), ("account", fill["account"])),
                        fill.get("ts_ms"), fill["account"])


def signal_rejected(signal: Row, strategy: str) -> Notification:
    """A signal the risk gate or the broker refused, with the reason code and message."""
    reason = signal.get("reason") or "unknown"
    fields = [("reason", reason)]
    if signal.get("message"):
        fields.append(("message", signal["message"]))
    fields += [("strategy", strategy), ("symbol", signal["symbol"]),
               ("side", signal["side"]), ("qty", number(signal.get("size"))),
               ("price", number(signal.get("price"))), ("stage", signal.get("stage") or "-"),
               ("account", signal["account"])]
    if signal.get("confidence") is not None:
        fields.append(("confidence", f"{signal['confidence']:.2f}"))
    return Notification(ev.REJECTED, ev.WARNING,
                        f"Signal rejected ({reason}): {signal['side']} {signal['symbol']}",
                        tuple(fields), signal.get("ts_ms"), signal["account"])


def signal_cancelled(signal: Row, strategy: str) -> Notification:
    """A passed signal whose order was cancelled or expired before it filled."""
    return Notification(ev.CANCELLED, ev.INFO,
                        f"Signal {signal['outcome']}: {signal['side']} {signal['symbol']}",
                        (("strategy", strategy), ("symbol", signal["symbol"]),
                         ("side", signal["side"]), ("qty", number(signal.get("size"))),
                         ("account", signal["account"])),
                        signal.get("ts_ms"), signal["account"])


def position_before(fill: Row) -> float:
    """The position just before *fill* (sizes are signed: sells are negative)."""
    return float(fill["position_after"]) - float(fill["size"])


def closes_position(fill: Row) -> bool:
    """True when *fill* ends a position: to flat, or through zero to the other side."""
    before, after = position_before(fill), float(fill["position_after"])
    if abs(before) < 1e-12:
        return False
    return abs(after) < 1e-12 or (before > 0) != (after > 0)


def opens_or_grows(fill: Row) -> bool:
    """True when *fill* opens a position or adds to it (an entry)."""
    before, after = position_before(fill), float(fill["position_after"])
    if abs(after) < 1e-12:
        return False
    return abs(before) < 1e-12 or (before > 0) != (after > 0) or abs(after) > abs(before)


def trip_of(closing: Row, earlier: Sequence[Row]) -> list[Row]:
    """The fills of the round trip *closing* ends: *earlier* is the account's fills before
    it, newest first; the trip starts at the fill that opened the position."""
    trip = [closing]
    for fill in earlier:
        if closes_position(fill):
            if abs(float(fill["position_after"])) > 1e-12:
                trip.append(fill)  # a flip: it ended the previous trip and opened this one
            break
        trip.append(fill)
        if abs(position_before(fill)) < 1e-12:
            break  # the entry from flat
    return trip


def position_closed(closing: Row, trip: Sequence[Row], strategy: str,
                    funding: Sequence[Row] = ()) -> Notification:
    """A closed (or flipped) position with the round trip's PnL.

    *trip* is the trip's fills, newest (*closing*) first, as :func:`trip_of` gives them;
    *funding* the account's settlements while it was open. Gross PnL, fees, funding and net
    follow the one round-trip rule (:mod:`backtrader_engine.paper.trades`), so this message
    says what the status, the metrics and the backtest say of the same trip: a flip's fee is
    shared with the trip it opens, and funding counts against the net.
    """
    before = position_before(closing)
    direction = "long" if before > 0 else "short"
    closed = [t for t in trips_from_rows(list(reversed(trip)), funding).rows
              if t.status == "closed"]
    pnl = closed[-1].gross_pnl if closed else sum(float(f["pnl"]) for f in trip)
    fees = closed[-1].fees if closed else sum(float(f["fee"]) for f in trip)
    paid = closed[-1].funding if closed else 0.0
    net = pnl - fees - paid
    flipped = abs(float(closing["position_after"])) > 1e-12
    fields = [("strategy", strategy), ("symbol", closing["symbol"]),
              ("position", f"{direction} {number(abs(before))}"),
              ("exit price", number(closing["price"])), ("PnL", signed_money(pnl)),
              ("fees", money(fees)), ("funding", signed_money(-paid)),
              ("net", signed_money(net))]
    if len(trip) > 1:
        entry = trip[-1]
        fields.append(("entry price", number(entry["price"])))
    if closing.get("liquidation"):
        fields.append(("liquidation", "yes"))
    if flipped:
        fields.append(("now", number(closing["position_after"])))
    fields.append(("account", closing["account"]))
    verb = "flipped" if flipped else "closed"
    return Notification(ev.CLOSED, ev.WARNING if closing.get("liquidation") else ev.INFO,
                        f"Position {verb}: {direction} {closing['symbol']} "
                        f"{signed_money(net)}",
                        tuple(fields), closing.get("ts_ms"), closing["account"])


def funding_paid(row: Row) -> Notification:
    """A funding settlement: positive payments were paid, negative ones received."""
    payment = float(row["payment"])
    verb = "paid" if payment >= 0 else "received"
    return Notification(ev.FUNDING, ev.INFO,
                        f"Funding {verb}: {row['symbol']} {money(abs(payment))}",
                        (("symbol", row["symbol"]), ("rate", f"{float(row['rate']):.6%}"),
                         ("mark price", number(row["mark_price"])),
                         ("position", number(row["position"])),
                         ("payment", signed_money(-payment)), ("account", row["account"])),
                        row.get("funding_time"), row["account"])


def event_notification(row: Row, context: Sequence[tuple[str, str]] = ()
                       ) -> Notification | None:
    """A ledger ``events`` row worth telling (start, stop, errors, paused entries,
    breakers), else None.

    Stream state changes are handled by the watcher, which knows the previous state.
    """
    kind, detail, account = row["kind"], row.get("detail") or "", row.get("account")
    ts = int(float(row["wall_time"]) * 1000)
    if kind == "start":
        return Notification(ev.STARTED, ev.INFO, f"Bot started ({detail})",
                            tuple(context), ts)
    if kind == "stop":
        return Notification(ev.STOPPED, ev.INFO, "Bot stopped",
                            (("run", detail), *context), ts)
    if kind in ("error", "account_error"):
        fields = [("error", detail)] + ([("account", account)] if account else [])
        return Notification(ev.ERROR, ev.CRITICAL,
                            "Account stopped by an error" if kind == "account_error" else
                            "Critical error", tuple(fields), ts, account)
    if kind == "entries":  # an operator paused or resumed new entries, or all trading
        pause = pause_of_event(detail)
        effect, title = {
            "entries": ("open positions and their exits are still managed",
                        "New entries paused"),
            "trading": ("no strategy orders; open positions stay until /forceexit or /start",
                        "Trading paused"),
        }.get(pause, ("strategies may open positions again", "New entries allowed again"))
        fields = [("effect", effect)]
        _, _, cleared = detail.partition("halted breakers cleared: ")
        if cleared:  # the resume also cleared breakers in mode 'halt'
            fields.append(("breakers cleared", cleared))
        return Notification(ev.ENTRIES, ev.WARNING if pause != "none" else ev.INFO, title,
                            tuple(fields), ts)
    if kind.startswith("breaker"):
        return Notification(ev.BREAKER, ev.CRITICAL, f"Circuit breaker: {detail}",
                            (("event", kind),), ts, account)
    return None
