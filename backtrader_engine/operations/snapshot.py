"""What a paper session holds right now, read from its ledger: the one status source.

The CLI's ``status``, the metrics exporter, the Streamlit panel and the Telegram commands all
call :func:`read_snapshot` (figures from the ledger, also when the bot is down) and
:func:`live_status` (what only the running process knows: stream state, breakers, whether new
entries are paused). The ledger is opened read-only; SQLite's WAL lets it be read while the
session writes, without blocking it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import backtrader as bt

from backtrader_engine.engine.rejections import rejection_reason
from backtrader_engine.errors import UserError
from backtrader_engine.ledger import FILENAME, LedgerReader, LedgerReadError, ledger_path
from backtrader_engine.ledger.rows import AccountRow, AccountStateRow, Row
from backtrader_engine.paper.control import channel as control
from backtrader_engine.paper.trades import tally_rows

_OPEN_STATUSES = ("Created", "Submitted", "Accepted", "Partial")
_MAX_LATENCY_S = 60.0  # fills re-derived after a restart are not live measurements


@dataclass(frozen=True)
class AccountSnapshot:
    """One sub-account (a strategy on one symbol)."""

    name: str
    strategy: str
    strategy_class: str
    symbol: str
    timeframe: str
    params: dict[str, Any]
    manual: bool
    initial_cash: float
    cash: float
    value: float
    position: float
    position_price: float
    #: Net PnL (fees and funding included) of the closed round trips, by the one rule of
    #: :mod:`backtrader_engine.engine.trades`, as are ``trades_won`` and ``trades_lost``.
    realised_pnl: float
    #: Value minus starting cash minus ``realised_pnl``: the open round trip's net PnL at the
    #: last mark (its fees, funding and partial closes so far included).
    unrealised_pnl: float
    fees: float
    funding: float
    peak_value: float
    drawdown_pct: float
    trades_won: int
    trades_lost: int
    signals_generated: int
    signals_executed: int
    signals_rejected: dict[str, int]
    last_signal: dict[str, Any] | None
    last_bar_ms: int | None
    #: Orders refused or expired unfilled, ``{reason: count}`` (reasons that occurred only).
    orders_rejected: dict[str, int] = field(default_factory=dict)
    #: Orders accepted at a smaller size: rounded down to the venue's lot step.
    orders_resized: int = 0


@dataclass(frozen=True)
class SessionSnapshot:
    """Every sub-account plus portfolio totals, recent activity and the equity curve."""

    state_dir: Path
    accounts: list[AccountSnapshot]
    portfolio_value: float
    initial_cash: float
    pnl: float
    drawdown_pct: float
    win_rate: float | None
    trades_won: int
    trades_lost: int
    signals_generated: int
    signals_executed: int
    signals_rejected: dict[str, int]
    fees: float
    funding: float
    open_orders: list[dict[str, Any]] = field(default_factory=list)
    recent_fills: list[dict[str, Any]] = field(default_factory=list)
    recent_signals: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    equity: list[tuple[int, float]] = field(default_factory=list)
    fill_latencies_s: list[float] = field(default_factory=list)
    fill_model: str = ""
    #: Every sub-account's refused or expired orders together, ``{reason: count}``.
    orders_rejected: dict[str, int] = field(default_factory=dict)
    #: Every sub-account's orders rounded down to the venue's lot step.
    orders_resized: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["state_dir"] = str(self.state_dir)
        out["equity"] = [list(point) for point in self.equity]
        return out


def open_ledger(state_dir: Path | str) -> LedgerReader:
    """A read-only reader of the ledger under *state_dir*.

    Raises
    ------
    UserError
        When there is no ledger there.
    LedgerReadError
        SQLite cannot open the file.
    """
    path = ledger_path(state_dir)
    if not path.is_file():
        raise UserError(f"no paper ledger in {state_dir} ({FILENAME} is missing); start a "
                        f"session with 'paper --state {state_dir}'")
    return LedgerReader(path, timeout=10)


def read_snapshot(state_dir: Path | str, *, recent: int = 20,
                  equity_points: int = 2000) -> SessionSnapshot:
    """The session under *state_dir* as its ledger holds it.

    *recent* rows of each list (fills, signals, events) and the last *equity_points* points
    of the equity curve (0: none, as the metrics exporter asks). Every read is an index
    lookup or an aggregate, so a scrape stays fast however long the session has run.

    Raises
    ------
    UserError
        When there is no ledger under *state_dir*, or it cannot be read.
    LedgerReadError
        SQLite cannot open the file.
    """
    reader = open_ledger(state_dir)
    try:
        return _read(reader, Path(state_dir), recent, equity_points)
    except LedgerReadError as exc:
        raise UserError(f"{ledger_path(state_dir)}: unreadable ledger ({exc})") from None
    finally:
        reader.close()


def live_status(state_dir: Path | str, *, timeout: float = 5.0) -> dict[str, Any] | None:
    """The running session's own status (stream, breakers, paused entries), or ``None``."""
    try:
        reply = control.send(Path(state_dir), {"op": "status"}, timeout=timeout)
    except (UserError, ValueError):
        return None
    return reply if reply.get("ok") else None


# --- reading ---------------------------------------------------------------------------------
def _read(reader: LedgerReader, state_dir: Path, recent: int,
          equity_points: int) -> SessionSnapshot:
    described = {a["name"]: a for a in reader.meta("accounts") or []}
    states = {r.account: r for r in reader.account_states()}
    fees = {name: st.fees for name, st in states.items()}
    funding = {name: st.funding for name, st in states.items()}
    signals = _signal_counts(reader)
    refused = order_rejections(reader)
    resized = reader.resized_order_counts()
    accounts = []
    for row in reader.accounts():
        name = row.account
        accounts.append(_account(reader, row, described.get(name, {}), states.get(name),
                                 fees.get(name, 0.0), funding.get(name, 0.0),
                                 signals.get(name), refused.get(name, {}),
                                 resized.get(name, 0)))
    value = sum(a.value for a in accounts)
    initial = sum(a.initial_cash for a in accounts)
    last = reader.portfolio_peak()
    peak = max(initial, value, last if last is not None else initial)
    won, lost = sum(a.trades_won for a in accounts), sum(a.trades_lost for a in accounts)
    rejected: dict[str, int] = {}
    orders_rejected: dict[str, int] = {}
    for a in accounts:
        for reason, n in a.signals_rejected.items():
            rejected[reason] = rejected.get(reason, 0) + n
        for reason, n in a.orders_rejected.items():
            orders_rejected[reason] = orders_rejected.get(reason, 0) + n
    return SessionSnapshot(
        state_dir=state_dir, accounts=accounts, portfolio_value=value, initial_cash=initial,
        pnl=value - initial, drawdown_pct=(peak - value) / peak * 100.0 if peak > 0 else 0.0,
        win_rate=won / (won + lost) if won + lost else None, trades_won=won, trades_lost=lost,
        signals_generated=sum(a.signals_generated for a in accounts),
        signals_executed=sum(a.signals_executed for a in accounts), signals_rejected=rejected,
        fees=sum(a.fees for a in accounts), funding=sum(a.funding for a in accounts),
        open_orders=[_pick(o, _ORDER_KEYS) for o in reader.orders_with_status(_OPEN_STATUSES)],
        recent_fills=[_pick(f, _FILL_KEYS) for f in reader.recent_fills(recent)],
        recent_signals=[_pick(s, _SIGNAL_KEYS) for s in reader.recent_signals(recent)],
        events=[_pick(e, _EVENT_KEYS) for e in reader.recent_events(recent)],
        streams=_streams(reader, described.values()), equity=_equity(reader, equity_points),
        fill_latencies_s=_latencies(reader), fill_model=reader.meta("fill_model") or "",
        orders_rejected=_largest_first(orders_rejected),
        orders_resized=sum(a.orders_resized for a in accounts))


#: The columns each list of the snapshot shows (its JSON and every renderer rely on them).
_ORDER_KEYS = ("account", "seq", "side", "type", "size", "price", "status", "created_ms")
_FILL_KEYS = ("account", "symbol", "side", "size", "price", "fee", "pnl", "liquidity",
              "position_after", "ts_ms")
_SIGNAL_KEYS = ("account", "strategy", "symbol", "side", "size", "price", "confidence",
                "outcome", "reason", "message", "ts_ms")
_EVENT_KEYS = ("wall_time", "account", "kind", "detail")
_LAST_SIGNAL_KEYS = ("ts_ms", "side", "size", "outcome", "reason")


def _pick(row: Row, keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: getattr(row, key) for key in keys}


def _account(reader: LedgerReader, row: AccountRow, described: dict[str, Any],
             state: AccountStateRow | None, fees: float, funding: float,
             signals: dict[str, Any] | None,
             orders_rejected: dict[str, int], orders_resized: int = 0) -> AccountSnapshot:
    name = row.account
    initial = float(row.initial_cash)
    value = float(state.value) if state else initial
    top = max(initial, value, (state.peak if state else None) or initial)
    won, lost, realised = _trips(reader, name, state)
    signals = signals or {"generated": 0, "executed": 0, "rejected": {}}
    class_name = described.get("class") or name.split(":")[0]
    last_signal = reader.last_signal(name)
    return AccountSnapshot(
        name=name, strategy=row.strategy, strategy_class=class_name,
        symbol=row.symbol, timeframe=described.get("timeframe", ""),
        params=row.params_dict(), manual=class_name == "ManualSignalStrategy",
        initial_cash=initial, cash=float(state.cash) if state else initial, value=value,
        position=float(state.position) if state else 0.0,
        position_price=float(state.position_price) if state else 0.0,
        realised_pnl=realised, unrealised_pnl=value - initial - realised, fees=fees,
        funding=funding, peak_value=top, drawdown_pct=(top - value) / top * 100.0 if top else 0.0,
        trades_won=won, trades_lost=lost, signals_generated=signals["generated"],
        signals_executed=signals["executed"], signals_rejected=signals["rejected"],
        last_signal=_pick(last_signal, _LAST_SIGNAL_KEYS) if last_signal else None,
        last_bar_ms=int(state.ts_ms) if state else None, orders_rejected=orders_rejected,
        orders_resized=orders_resized)


def _trips(reader: LedgerReader, account: str,
           state: AccountStateRow | None) -> tuple[int, int, float]:
    """(won, lost, net PnL) of the account's closed round trips, by the engine's one rule.

    The recorder stores them with each state row; a ledger written before they included
    funding (no ``trips_net_pnl``) has them rebuilt from its fills and funding rows.
    """
    if state is not None and state.trips_net_pnl is not None:
        return int(state.trades_won or 0), int(state.trades_lost or 0), float(state.trips_net_pnl)
    fills = [f.as_dict() for f in reader.account_fills(account)]
    funding = [f.as_dict() for f in reader.funding(account)]
    tally = tally_rows(fills, funding)
    return tally.won, tally.lost, tally.net_pnl


def _signal_counts(reader: LedgerReader) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in reader.signal_outcome_counts():
        counts = out.setdefault(r.account, {"generated": 0, "executed": 0, "rejected": {}})
        counts["generated"] += r.count
        if r.outcome == "executed":
            counts["executed"] += r.count
        elif r.outcome == "rejected":
            reason = r.reason or "unknown"
            counts["rejected"][reason] = counts["rejected"].get(reason, 0) + r.count
    return out


class StoredOrder:
    """An order as its ledger row stored it: what :func:`rejection_reason` reads."""

    def __init__(self, status: str, reject_reason: str | None) -> None:
        self.status = bt.Order.Status.index(status)
        self.info = {"reject_reason": reject_reason} if reject_reason else {}


#: Order statuses :func:`rejection_reason` counts (Expired, Margin, Rejected), found by asking it.
REFUSED_STATUSES = tuple(name for name in bt.Order.Status
                          if rejection_reason(StoredOrder(name, None)) is not None)


def order_rejections(reader: LedgerReader) -> dict[str, dict[str, int]]:
    """``{account: {reason: count}}`` of the orders the ledger holds as refused or expired.

    The recorder stores each order's last status and its ``info`` (``reject_reason``
    included); each group of rows is classified by
    :func:`~backtrader_engine.engine.rejections.rejection_reason`, the one definition the
    brokers count with, so a restarted session, whose outputs are re-derived into the same
    rows, reports the same counts.
    """
    out: dict[str, dict[str, int]] = {}
    for r in reader.order_status_counts(REFUSED_STATUSES):
        reason = rejection_reason(StoredOrder(r.status, r.reject_reason))
        if reason is not None:
            counts = out.setdefault(r.account, {})
            counts[reason] = counts.get(reason, 0) + r.count
    return {account: _largest_first(counts) for account, counts in out.items()}


def _largest_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _equity(reader: LedgerReader, points: int) -> list[tuple[int, float]]:
    """The portfolio's value after each of the last *points* bars, oldest first."""
    if points <= 0:
        return []
    curve: list[tuple[int, float]] = []
    for point in reader.portfolio_points(points):
        # several streams close at the same time: keep the last
        if curve and curve[-1][0] == point.ts_ms:
            curve[-1] = (int(point.ts_ms), float(point.value))
        else:
            curve.append((int(point.ts_ms), float(point.value)))
    return curve


def _streams(reader: LedgerReader, described: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for account in described:
        key = f"{account.get('symbol')} {account.get('interval')}"
        if key in out:
            continue
        bar = reader.last_bar(account.get("symbol"), account.get("interval"))
        if bar is not None:
            out[key] = {"last_close_ms": int(bar.end_ms) + 1, "logged_at": bar.logged_at}
    return out


def _latencies(reader: LedgerReader, limit: int = 1000) -> list[float]:
    return [s for s in reader.fill_latencies(limit) if 0.0 <= s <= _MAX_LATENCY_S]
