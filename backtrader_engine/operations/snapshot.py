"""What a paper session holds right now, read from its ledger: the one status source.

The CLI's ``status``, the metrics exporter, the Streamlit panel and the Telegram commands all
call :func:`read_snapshot` (figures from the ledger, also when the bot is down) and
:func:`live_status` (what only the running process knows: stream state, breakers, whether new
entries are paused). The ledger is opened read-only; SQLite's WAL lets it be read while the
session writes, without blocking it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import backtrader as bt

from backtrader_engine.engine.rejections import rejection_reason
from backtrader_engine.errors import UserError
from backtrader_engine.paper.control import channel as control
from backtrader_engine.paper.ledger import FILENAME
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["state_dir"] = str(self.state_dir)
        out["equity"] = [list(point) for point in self.equity]
        return out


def open_ledger(state_dir: Path | str) -> sqlite3.Connection:
    """A read-only connection to the ledger under *state_dir*.

    Raises
    ------
    UserError
        When there is no ledger there.
    """
    path = Path(state_dir) / FILENAME
    if not path.is_file():
        raise UserError(f"no paper ledger in {state_dir} ({FILENAME} is missing); start a "
                        f"session with 'paper --state {state_dir}'")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    db.row_factory = sqlite3.Row
    return db


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
    """
    db = open_ledger(state_dir)
    try:
        return _read(db, Path(state_dir), recent, equity_points)
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{Path(state_dir) / FILENAME}: unreadable ledger ({exc})") from None
    finally:
        db.close()


def live_status(state_dir: Path | str, *, timeout: float = 5.0) -> dict[str, Any] | None:
    """The running session's own status (stream, breakers, paused entries), or ``None``."""
    try:
        reply = control.send(Path(state_dir), {"op": "status"}, timeout=timeout)
    except (UserError, ValueError):
        return None
    return reply if reply.get("ok") else None


# --- reading ---------------------------------------------------------------------------------
def _rows(db: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    return [dict(row) for row in db.execute(sql, args).fetchall()]


def _meta(db: sqlite3.Connection, key: str) -> Any:
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return None if row is None else json.loads(row[0])


def _read(db: sqlite3.Connection, state_dir: Path, recent: int,
          equity_points: int) -> SessionSnapshot:
    described = {a["name"]: a for a in _meta(db, "accounts") or []}
    states = {r["account"]: r for r in _rows(db, "SELECT * FROM account_state")}
    fees = {name: st["fees"] for name, st in states.items()}
    funding = {name: st["funding"] for name, st in states.items()}
    signals = _signal_counts(db)
    refused = order_rejections(db)
    accounts = []
    for row in _rows(db, "SELECT * FROM accounts ORDER BY rowid"):
        name = row["account"]
        accounts.append(_account(db, row, described.get(name, {}), states.get(name),
                                 fees.get(name, 0.0), funding.get(name, 0.0),
                                 signals.get(name), refused.get(name, {})))
    value = sum(a.value for a in accounts)
    initial = sum(a.initial_cash for a in accounts)
    last = db.execute("SELECT peak FROM portfolio ORDER BY release DESC LIMIT 1").fetchone()
    peak = max(initial, value, last["peak"] if last is not None else initial)
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
        open_orders=_rows(db, "SELECT account, seq, side, type, size, price, status, "
                              "created_ms FROM orders WHERE status IN (?,?,?,?) ORDER BY "
                              "created_ms, account, seq", _OPEN_STATUSES),
        recent_fills=_rows(db, "SELECT account, symbol, side, size, price, fee, pnl, "
                               "liquidity, position_after, ts_ms FROM fills ORDER BY ts_ms "
                               "DESC, account, order_seq DESC LIMIT ?", (recent,)),
        recent_signals=_rows(db, "SELECT account, strategy, symbol, side, size, price, "
                                 "confidence, outcome, reason, message, ts_ms FROM signals "
                                 "ORDER BY ts_ms DESC, account LIMIT ?", (recent,)),
        events=_rows(db, "SELECT wall_time, account, kind, detail FROM events ORDER BY id "
                         "DESC LIMIT ?", (recent,)),
        streams=_streams(db, described.values()), equity=_equity(db, equity_points),
        fill_latencies_s=_latencies(db), fill_model=_meta(db, "fill_model") or "",
        orders_rejected=_largest_first(orders_rejected))


def _account(db: sqlite3.Connection, row: dict[str, Any], described: dict[str, Any],
             state: dict[str, Any] | None, fees: float, funding: float,
             signals: dict[str, Any] | None,
             orders_rejected: dict[str, int]) -> AccountSnapshot:
    name = row["account"]
    initial = float(row["initial_cash"])
    value = float(state["value"]) if state else initial
    top = max(initial, value, (state or {}).get("peak") or initial)
    won, lost, realised = _trips(db, name, state)
    signals = signals or {"generated": 0, "executed": 0, "rejected": {}}
    class_name = described.get("class") or name.split(":")[0]
    return AccountSnapshot(
        name=name, strategy=row["strategy"], strategy_class=class_name,
        symbol=row["symbol"], timeframe=described.get("timeframe", ""),
        params=json.loads(row["params"]), manual=class_name == "ManualSignalStrategy",
        initial_cash=initial, cash=float(state["cash"]) if state else initial, value=value,
        position=float(state["position"]) if state else 0.0,
        position_price=float(state["position_price"]) if state else 0.0,
        realised_pnl=realised, unrealised_pnl=value - initial - realised, fees=fees,
        funding=funding, peak_value=top, drawdown_pct=(top - value) / top * 100.0 if top else 0.0,
        trades_won=won, trades_lost=lost, signals_generated=signals["generated"],
        signals_executed=signals["executed"], signals_rejected=signals["rejected"],
        last_signal=_last_signal(db, name), last_bar_ms=int(state["ts_ms"]) if state else None,
        orders_rejected=orders_rejected)


def _trips(db: sqlite3.Connection, account: str,
           state: dict[str, Any] | None) -> tuple[int, int, float]:
    """(won, lost, net PnL) of the account's closed round trips, by the engine's one rule.

    The recorder stores them with each state row; a ledger written before they included
    funding (no ``trips_net_pnl``) has them rebuilt from its fills and funding rows.
    """
    if state is not None and state.get("trips_net_pnl") is not None:
        return int(state["trades_won"]), int(state["trades_lost"]), float(state["trips_net_pnl"])
    fills = _rows(db, "SELECT ts_ms, bar_seq, symbol, size, price, position_after, pnl, fee, "
                      "liquidation FROM fills WHERE account=? ORDER BY ts_ms, order_seq, "
                      "fill_seq", (account,))
    funding = _rows(db, "SELECT funding_time, payment FROM funding WHERE account=? ORDER BY "
                        "funding_time", (account,))
    tally = tally_rows(fills, funding)
    return tally.won, tally.lost, tally.net_pnl


def _signal_counts(db: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in _rows(db, "SELECT account, outcome, reason, COUNT(*) AS n FROM signals GROUP BY "
                       "account, outcome, reason"):
        counts = out.setdefault(r["account"], {"generated": 0, "executed": 0, "rejected": {}})
        counts["generated"] += r["n"]
        if r["outcome"] == "executed":
            counts["executed"] += r["n"]
        elif r["outcome"] == "rejected":
            reason = r["reason"] or "unknown"
            counts["rejected"][reason] = counts["rejected"].get(reason, 0) + r["n"]
    return out


class _StoredOrder:
    """An order as its ledger row stored it: what :func:`rejection_reason` reads."""

    def __init__(self, status: str, reject_reason: str | None) -> None:
        self.status = bt.Order.Status.index(status)
        self.info = {"reject_reason": reject_reason} if reject_reason else {}


#: Order statuses :func:`rejection_reason` counts (Expired, Margin, Rejected), found by asking it.
_REFUSED_STATUSES = tuple(name for name in bt.Order.Status
                          if rejection_reason(_StoredOrder(name, None)) is not None)


def order_rejections(db: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """``{account: {reason: count}}`` of the orders the ledger holds as refused or expired.

    The recorder stores each order's last status and its ``info`` (``reject_reason``
    included); each group of rows is classified by
    :func:`~backtrader_engine.engine.rejections.rejection_reason`, the one definition the
    brokers count with, so a restarted session, whose outputs are re-derived into the same
    rows, reports the same counts.
    """
    marks = ",".join("?" for _ in _REFUSED_STATUSES)
    out: dict[str, dict[str, int]] = {}
    for r in _rows(db, "SELECT account, status, json_extract(info, '$.reject_reason') AS "
                       f"reject_reason, COUNT(*) AS n FROM orders WHERE status IN ({marks}) "
                       "GROUP BY account, status, reject_reason", _REFUSED_STATUSES):
        reason = rejection_reason(_StoredOrder(r["status"], r["reject_reason"]))
        if reason is not None:
            counts = out.setdefault(r["account"], {})
            counts[reason] = counts.get(reason, 0) + int(r["n"])
    return {account: _largest_first(counts) for account, counts in out.items()}


def _largest_first(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _last_signal(db: sqlite3.Connection, account: str) -> dict[str, Any] | None:
    rows = _rows(db, "SELECT ts_ms, side, size, outcome, reason FROM signals WHERE account=? "
                     "ORDER BY order_seq DESC LIMIT 1", (account,))
    return rows[0] if rows else None


def _equity(db: sqlite3.Connection, points: int) -> list[tuple[int, float]]:
    """The portfolio's value after each of the last *points* bars, oldest first."""
    if points <= 0:
        return []
    rows = db.execute("SELECT ts_ms, value FROM portfolio ORDER BY release DESC LIMIT ?",
                      (points,)).fetchall()
    curve: list[tuple[int, float]] = []
    for ts, value in reversed(rows):  # several streams close at the same time: keep the last
        if curve and curve[-1][0] == ts:
            curve[-1] = (int(ts), float(value))
        else:
            curve.append((int(ts), float(value)))
    return curve


def _streams(db: sqlite3.Connection, described: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for account in described:
        key = f"{account.get('symbol')} {account.get('interval')}"
        if key in out:
            continue
        row = db.execute("SELECT end_ms, logged_at FROM bars WHERE symbol=? AND interval=? "
                         "ORDER BY seq DESC LIMIT 1",
                         (account.get("symbol"), account.get("interval"))).fetchone()
        if row is not None:
            out[key] = {"last_close_ms": int(row["end_ms"]) + 1, "logged_at": row["logged_at"]}
    return out


def _latencies(db: sqlite3.Connection, limit: int = 1000) -> list[float]:
    rows = db.execute(
        "SELECT f.recorded_at - (SELECT MAX(b.logged_at) FROM bars b WHERE b.symbol = f.symbol "
        "AND b.end_ms = f.ts_ms - 1) FROM fills f WHERE f.recorded_at IS NOT NULL ORDER BY "
        "f.ts_ms DESC LIMIT ?", (limit,)).fetchall()
    return [float(r[0]) for r in rows if r[0] is not None and 0.0 <= r[0] <= _MAX_LATENCY_S]
