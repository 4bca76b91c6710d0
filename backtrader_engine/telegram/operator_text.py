"""Answers of the operator commands beyond the figures: periods, slots, locks, health,
version, config and force entries, as Telegram HTML.

Like :mod:`.answers_text`, each function only formats what the library returns —
:func:`~backtrader_engine.operations.periods.realised_by_period`, the snapshot, the live
status of the running session, the reply of a control operation — and computes no figure of
its own.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from backtrader_engine.engine.rejections import reason_label
from backtrader_engine.telegram.answers_text import Live, clip
from backtrader_engine.telegram.notification_text import MAX_MESSAGE, esc, utc_time
from backtrader_engine.telegram.trading import money, number, signed_money

if TYPE_CHECKING:
    from backtrader_engine.operations.periods import PeriodPnl
    from backtrader_engine.operations.snapshot import SessionSnapshot

#: The title of each period kind.
_PERIOD_TITLES = {"day": "Daily", "week": "Weekly", "month": "Monthly"}


def duration(seconds: float) -> str:
    """``3d 04:05:06`` / ``04:05:06``: an age or uptime."""
    days, rest = divmod(max(0, int(seconds)), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}d {clock}" if days else clock


def format_periods(period: str, rows: Sequence[PeriodPnl]) -> str:
    """``/daily``, ``/weekly``, ``/monthly``: realised net PnL and closed trades per period."""
    label = {"day": "day", "week": "week from", "month": "month"}[period]
    lines = [f"<b>{_PERIOD_TITLES[period]} realised PnL</b> (UTC, closed round trips, fees "
             "and funding included)"]
    for row in rows:
        start = f"{row.start:%Y-%m}" if period == "month" else row.label
        trades = f"{row.trades} trade{'s' if row.trades != 1 else ''}"
        won = f", {row.won} won" if row.trades else ""
        lines.append(f"{label} {start}: {signed_money(row.net_pnl)} ({trades}{won})")
    total = sum(r.net_pnl for r in rows)
    lines.append(f"<b>total</b>: {signed_money(total)} ({sum(r.trades for r in rows)} trades)")
    return clip(lines)


def format_count(snap: SessionSnapshot, live: Live) -> str:
    """``/count``: open positions per strategy and in total, against the risk limit."""
    limits = (live or {}).get("risk") or {}
    most = limits.get("max_open_positions")
    lines = ["<b>Open trades</b>"]
    groups: dict[str, list[int]] = {}
    for account in snap.accounts:
        rows = groups.setdefault(account.strategy_class or account.strategy, [0, 0])
        rows[0] += 1 if account.position else 0
        rows[1] += 1
    for name, (held, accounts) in sorted(groups.items()):
        lines.append(f"{esc(name)}: {held} open of {accounts} sub-account"
                     f"{'s' if accounts != 1 else ''} (one position each)")
    total = sum(held for held, _ in groups.values())
    if most is None:
        lines.append(f"<b>total</b>: {total} open (the limit is known only while the bot runs "
                     "behind the risk gate)")
    else:
        lines.append(f"<b>total</b>: {total} of {int(most)} allowed (max_open_positions, "
                     f"across strategies); {max(0, int(most) - total)} free")
    return clip(lines)


def format_locks(live: Live) -> str:
    """``/locks``: the operator's pause, open circuit breakers and throttles, with when each
    lifts."""
    if not live:
        return "<b>Locks</b>\nthe bot does not answer: locks are known only while it runs"
    lines = ["<b>Locks</b>"]
    if live.get("trading_paused"):
        lines.append("trading paused by the operator (/stop): lifts with /start")
    elif live.get("entries_paused"):
        lines.append("new entries paused by the operator (/stopentry): lifts with /start")
    for name, state in sorted((live.get("breakers") or {}).items()):
        if not state.get("open"):
            continue
        lifts = state.get("resumes") or (f"closes {utc_time(int(state['until_ms']))}"
                                         if state.get("until_ms") else "")
        lines.append(f"breaker {esc(name)} ({esc(state.get('mode') or '-')}): "
                     f"{esc(state.get('reason') or '-')}; {esc(lifts or '-')}")
    for throttle in live.get("throttles") or []:
        lines.append(f"{esc(throttle['name'])}: {esc(throttle['reason'])}; lifts "
                     f"{esc(throttle['lifts'])}")
    if len(lines) == 1:
        lines.append("none: new entries are allowed")
    return clip(lines)


def format_health(snap: SessionSnapshot, live: Live, ledger_written: float | None,
                  now: float | None = None) -> str:
    """``/health``: the newest bar per stream and its age, the market-data stream, the last
    ledger write and the process's uptime."""
    now = time.time() if now is None else now
    lines = ["<b>Health</b>: " + ("running" if live else "not running (no answer)")]
    for key, stream in sorted(snap.streams.items()):
        close_ms = int(stream["last_close_ms"])
        written = stream.get("logged_at")
        age = f", logged {duration(now - float(written))} ago" if written else ""
        lines.append(f"{esc(key)}: last bar closed {utc_time(close_ms)}{age}")
    if not snap.streams:
        lines.append("no bars logged yet")
    if live:
        stream = live.get("stream") or {}
        message_age = stream.get("last_message_age_s")
        lines.append(f"market data: {esc(stream.get('state', '-'))}"
                     + (f", last message {float(message_age):.1f} s ago"
                        if message_age is not None else "")
                     + f"; reconnects {stream.get('reconnects', 0)}")
        started = live.get("process_started")
        if started:
            lines.append(f"process uptime: {duration(now - float(started))}")
    if ledger_written is not None:
        lines.append(f"last ledger write: {duration(now - ledger_written)} ago")
    return clip(lines)


def format_version(versions: Mapping[str, str]) -> str:
    """``/version``: the package's version and those it runs on."""
    return clip(["<b>Version</b>", *(f"{esc(name)}: {esc(value)}"
                                     for name, value in versions.items())])


def format_config(rendered: str, source: str) -> list[str]:
    """``/show_config``: the effective configuration (secrets masked) in preformatted
    blocks, as many messages as it takes; lines are never cut."""
    head = f"<b>Effective config</b> ({esc(source)})"
    room = MAX_MESSAGE - len(head) - len("\n<pre></pre> (10/10)")
    chunks: list[list[str]] = [[]]
    size = 0
    for line in rendered.splitlines():
        escaped = esc(line)
        if chunks[-1] and size + len(escaped) + 1 > room:
            chunks.append([])
            size = 0
        chunks[-1].append(escaped)
        size += len(escaped) + 1
    parts = f" ({{}}/{len(chunks)})" if len(chunks) > 1 else ""
    return [f"{head}{parts.format(i)}\n<pre>{chr(10).join(lines)}</pre>"
            for i, lines in enumerate(chunks, 1)]


def format_reload(reply: Mapping[str, Any]) -> str:
    """``/reload_config``: which risk limits changed."""
    changed = reply.get("changed") or []
    return clip([f"<b>Risk limits reloaded</b> from {esc(reply.get('file', '-'))}",
                 "changed: " + (esc(", ".join(changed)) if changed else
                                "nothing (the file holds the limits already in force)")])


def format_force_prompt(side: str, symbol: str, command: str) -> str:
    """The confirmation asked before a forced entry."""
    return (f"<b>Force {esc(side)} {esc(symbol)}?</b>\nA market order on the manual "
            "sub-account, through the risk gate (10% of its equity). To send it:\n"
            f"<code>/{esc(command)} {esc(symbol)} confirm</code>")


def format_force(side: str, reply: Mapping[str, Any]) -> str:
    """A forced entry's outcome: accepted by the risk gate (and filled) or refused, and why."""
    status = str(reply.get("status"))
    head = f"<b>Force {esc(side)}</b> on {esc(reply.get('account', '-'))}: "
    if status == "Completed":
        return clip([head + "accepted by the risk gate and filled",
                     f"{esc(reply.get('side', '-'))} {number(abs(float(reply['size'])))} @ "
                     f"{number(reply.get('price'))}, fee {money(reply.get('fee'))}"])
    reason = str(reply.get("reason") or status)
    message = str(reply.get("message") or "")
    if status in ("Rejected", "Margin"):
        return clip([head + f"rejected ({esc(reason)}: {esc(reason_label(reason))})",
                     esc(message) if message else "no message"])
    return clip([head + f"{esc(status.lower())} ({esc(reason)})"]
                + ([esc(message)] if message else []))
