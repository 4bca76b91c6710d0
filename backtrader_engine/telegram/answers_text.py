"""Command answers: a session snapshot (and the live status) as Telegram HTML.

Each function takes the figures the library returns — :class:`SessionSnapshot` from
:func:`backtrader_engine.operations.read_snapshot` and the dict of
:func:`backtrader_engine.operations.live_status` — and returns one message (escaped, at most
:data:`~.messages.MAX_MESSAGE` characters). No figure is computed here that the snapshot does
not already hold, so Telegram, the CLI and the panel show the same numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from backtrader_engine.telegram.notification_text import MAX_MESSAGE, esc, utc_time
from backtrader_engine.telegram.trading import money, number, signed_money

if TYPE_CHECKING:
    from backtrader_engine.operations.snapshot import AccountSnapshot, SessionSnapshot

Live = Mapping[str, Any] | None


def clip(lines: Sequence[str], limit: int = MAX_MESSAGE) -> str:
    """Join *lines*; beyond *limit* characters the tail is left out and counted.

    Lines are never cut, so no HTML tag or entity is broken.
    """
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    room = limit - len("\n… and 1000000 more lines")
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > room:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join([*out, f"… and {len(lines) - len(out)} more lines"])


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def _live_accounts(live: Live) -> Mapping[str, Mapping[str, Any]]:
    accounts = (live or {}).get("accounts")
    return accounts if isinstance(accounts, Mapping) else {}


def _value(account: AccountSnapshot, live: Live) -> float:
    row = _live_accounts(live).get(account.name)
    return float(row["value"]) if row and row.get("value") is not None else account.value


def _position(account: AccountSnapshot, live: Live) -> tuple[float, float]:
    row = _live_accounts(live).get(account.name)
    if row and row.get("position") is not None:
        return float(row["position"]), float(row.get("position_price") or 0.0)
    return account.position, account.position_price


def closed_trades_line(snap: SessionSnapshot) -> str:
    """Closed round trips, won and lost, win rate and their net PnL (fees and funding
    included): the snapshot's counts, kept by the engine's one round-trip rule."""
    win_rate = "-" if snap.win_rate is None else f"{snap.win_rate * 100:.1f}%"
    realised = sum(a.realised_pnl for a in snap.accounts)
    return (f"closed trades: {snap.trades_won + snap.trades_lost} (won {snap.trades_won}, "
            f"lost {snap.trades_lost}); win rate {win_rate}; net {signed_money(realised)}")


def format_status(snap: SessionSnapshot, live: Live) -> str:
    """``/status``: running or not, market data, breakers, entries, portfolio, accounts."""
    value = sum(_value(a, live) for a in snap.accounts) if live else snap.portfolio_value
    lines = [f"<b>Status</b>: {'running' if live else 'not running (no answer)'}"]
    if live:
        stream = live.get("stream") or {}
        lines.append(f"market data: {esc(stream.get('state', '-'))} (reconnects "
                     f"{stream.get('reconnects', 0)}, malformed {stream.get('malformed', 0)})"
                     f"; live bars {live.get('live_bars', 0)}")
        if live.get("trading_paused"):
            lines.append("trading: PAUSED, no strategy orders (/start resumes)")
        else:
            lines.append("new entries: " + ("PAUSED (/start resumes)"
                                            if live.get("entries_paused") else "allowed"))
        breakers = live.get("breakers") or {}
        opened = [f"{esc(name)} ({esc(_breaker_detail(state))})"
                  for name, state in sorted(breakers.items()) if state.get("open")]
        lines.append("breakers open: " + (", ".join(opened) or "none"))
    lines.append(f"portfolio: {money(value)} ({signed_money(value - snap.initial_cash)}, "
                 f"drawdown {_pct(snap.drawdown_pct)})")
    positions = sum(1 for a in snap.accounts if abs(_position(a, live)[0]) > 0)
    lines.append(f"open positions: {positions}; open orders: {len(snap.open_orders)}")
    rejected = sum(snap.signals_rejected.values())
    lines.append(f"signals: {snap.signals_generated} generated, {snap.signals_executed} "
                 f"executed, {rejected} rejected")
    refused = ", ".join(f"{esc(reason)} {n}" for reason, n in snap.orders_rejected.items())
    lines.append(f"orders rejected: {sum(snap.orders_rejected.values())}"
                 + (f" ({refused})" if refused else ""))
    if snap.orders_resized:
        lines.append(f"orders resized to the lot step: {snap.orders_resized}")
    lines.append(closed_trades_line(snap))
    lines.append("")
    for account in snap.accounts:
        size, price = _position(account, live)
        held = f"{number(size)} @ {number(price)}" if size else "flat"
        error = (_live_accounts(live).get(account.name) or {}).get("error")
        lines.append(f"{esc(account.name)}: {money(_value(account, live))}, {held}"
                     + (f" ERROR {esc(error)}" if error else ""))
    return clip(lines)


def _breaker_detail(state: Mapping[str, Any]) -> str:
    """What tripped an open breaker, then its mode and when entries resume, if known."""
    parts = [str(state.get("reason") or "-")]
    if state.get("mode"):
        parts.append(f"mode {state['mode']}")
    if state.get("resumes"):
        parts.append(str(state["resumes"]))
    return "; ".join(parts)


def format_balance(snap: SessionSnapshot, live: Live) -> str:
    """``/balance``: cash and value per sub-account, and the total."""
    lines = ["<b>Balance</b>"]
    total = 0.0
    for account in snap.accounts:
        row = _live_accounts(live).get(account.name) or {}
        cash = float(row.get("cash", account.cash))
        value = _value(account, live)
        total += value
        lines.append(f"{esc(account.name)}: value {money(value)}, cash {money(cash)}")
    lines.append(f"<b>total</b>: {money(total)} (started with {money(snap.initial_cash)}, "
                 f"{signed_money(total - snap.initial_cash)})")
    return clip(lines)


def format_positions(snap: SessionSnapshot, live: Live) -> str:
    """``/positions``: every open position with its entry price and unrealised PnL."""
    lines = ["<b>Open positions</b>"]
    for account in snap.accounts:
        size, price = _position(account, live)
        if not size:
            continue
        side = "long" if size > 0 else "short"
        lines.append(f"{esc(account.symbol)} {side} {number(abs(size))} @ {number(price)} "
                     f"({esc(account.strategy_class or account.strategy)}): unrealised "
                     f"{signed_money(account.unrealised_pnl)}")
    if len(lines) == 1:
        lines.append("none")
    return clip(lines)


def format_trades(snap: SessionSnapshot, n: int) -> str:
    """``/trades [n]``: the newest *n* fills."""
    fills = snap.recent_fills[:n]
    lines = [f"<b>Last {len(fills)} fills</b>"]
    for fill in fills:
        pnl = f", PnL {signed_money(float(fill['pnl']))}" if fill.get("pnl") else ""
        lines.append(f"{utc_time(fill.get('ts_ms'))} {esc(fill['account'])}: "
                     f"{esc(fill['side'])} {number(abs(float(fill['size'])))} @ "
                     f"{number(fill['price'])}, fee {money(fill.get('fee'))}{pnl}")
    if not fills:
        lines.append("no fills yet")
    return clip(lines)


def format_profit(snap: SessionSnapshot) -> str:
    """``/profit``: PnL split into realised/unrealised, costs, win rate and drawdown."""
    realised = sum(a.realised_pnl for a in snap.accounts)
    unrealised = sum(a.unrealised_pnl for a in snap.accounts)
    return clip([
        "<b>Profit</b>",
        f"PnL: {signed_money(snap.pnl)} on {money(snap.initial_cash)} "
        f"({snap.pnl / snap.initial_cash * 100 if snap.initial_cash else 0.0:+.2f}%)",
        f"realised: {signed_money(realised)}; unrealised: {signed_money(unrealised)}",
        f"fees: {money(snap.fees)}; funding paid: {money(snap.funding)}",
        closed_trades_line(snap),
        f"drawdown from peak: {_pct(snap.drawdown_pct)}",
    ])


def format_performance(snap: SessionSnapshot) -> str:
    """``/performance``: per strategy, best first: PnL, trades, win rate, signals."""
    groups: dict[str, list[AccountSnapshot]] = {}
    for account in snap.accounts:
        groups.setdefault(account.strategy_class or account.strategy, []).append(account)
    rows = []
    for name, accounts in groups.items():
        pnl = sum(a.value - a.initial_cash for a in accounts)
        won, lost = sum(a.trades_won for a in accounts), sum(a.trades_lost for a in accounts)
        rejected = sum(sum(a.signals_rejected.values()) for a in accounts)
        rate = f"{won / (won + lost) * 100:.0f}%" if won + lost else "-"
        rows.append((pnl, f"{esc(name)}: {signed_money(pnl)}; trades {won + lost} (win "
                          f"{rate}); signals {sum(a.signals_executed for a in accounts)} "
                          f"executed, {rejected} rejected"))
    rows.sort(key=lambda row: -row[0])
    return clip(["<b>Performance by strategy</b>", *(text for _, text in rows)]
                if rows else ["<b>Performance by strategy</b>", "no sub-accounts"])


def format_strategies(snap: SessionSnapshot) -> str:
    """``/strategies``: what runs, on which symbol and timeframe, with which params."""
    lines = ["<b>Strategies</b>"]
    for account in snap.accounts:
        params = json.dumps(account.params, sort_keys=True, default=str) if account.params \
            else "defaults"
        kind = " (manual signals)" if account.manual else ""
        lines.append(f"{esc(account.strategy_class or account.strategy)} "
                     f"{esc(account.symbol)} {esc(account.timeframe)}{kind}: {esc(params)}")
    return clip(lines)


def format_logs(lines: Iterable[str], source: str) -> str:
    """``/logs [n]``: log lines in a preformatted block."""
    text = "\n".join(lines) or "(empty)"
    head = f"<b>{esc(source)}</b>\n"
    room = MAX_MESSAGE - len(head) - len("<pre></pre>")
    body = esc(text)
    while len(body) > room:  # keep the newest lines: drop from the top
        text = text.split("\n", 1)[1] if "\n" in text else text[-(room // 2):]
        body = esc(text)
    return f"{head}<pre>{body}</pre>"


def format_reply(title: str, reply: Mapping[str, Any]) -> str:
    """A control operation's reply: the title, then its fields (``ok`` left out)."""
    lines = [f"<b>{esc(title)}</b>"]
    for key, value in reply.items():
        if key in ("ok", "token"):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, default=str)
        lines.append(f"{esc(key)}: {esc(shown)}")
    return clip(lines)


def format_help(commands: Sequence[tuple[str, str]]) -> str:
    """``/help``: every command with its one-line description."""
    return clip(["<b>Commands</b>", *(f"/{esc(name)} — {esc(text)}" for name, text in
                                      commands)])
