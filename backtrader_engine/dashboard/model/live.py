"""The live view: a session's figures from its ledger, shaped into cards and tables.

Everything comes from :func:`~backtrader_engine.operations.read_snapshot` (the ledger, also
when the bot is down) and :func:`~backtrader_engine.operations.live_status` (breakers and
paused entries, only while it runs); nothing here computes a trading figure itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from backtrader_engine.dashboard.model import figures_text as fmt
from backtrader_engine.errors import UserError
from backtrader_engine.ledger import LedgerReadError
from backtrader_engine.operations import SessionSnapshot, live_status, read_snapshot


@dataclass(frozen=True)
class Figure:
    """One card: a label, its value as text, an optional delta and help text.

    *key* names the card's container on the page (``st-key-<key>`` in the HTML), so a
    browser test can find it.
    """

    key: str
    label: str
    value: str
    delta: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class LiveData:
    """What the live view shows for one state folder.

    Attributes
    ----------
    state_dir
        The ledger's folder.
    snapshot
        The ledger's figures, or ``None`` when there is no readable ledger.
    live
        The running session's own status, or ``None`` when no session runs there.
    problem
        Why *snapshot* is missing (no ledger yet, unreadable ledger), else ``None``.
    """

    state_dir: Path
    snapshot: SessionSnapshot | None
    live: dict[str, Any] | None
    problem: str | None

    @property
    def running(self) -> bool:
        return self.live is not None


def load_live(state_dir: Path, *, recent: int = 20, timeout: float = 2.0) -> LiveData:
    """Read the ledger and ask the running session (if any) for its status.

    Never raises for a missing or damaged ledger: the reason is in ``problem``.
    """
    try:
        snapshot: SessionSnapshot | None = read_snapshot(state_dir, recent=recent)
        problem = None
    except UserError as exc:
        snapshot, problem = None, str(exc)
    except (LedgerReadError, ValueError, KeyError, TypeError) as exc:
        # A ledger that SQLite opens but whose rows do not have the expected shape.
        kind = exc.kind if isinstance(exc, LedgerReadError) else type(exc).__name__
        snapshot, problem = None, f"{state_dir}: unreadable ledger ({kind}: {exc})"
    live = live_status(state_dir, timeout=timeout)
    return LiveData(Path(state_dir), snapshot, live, problem)


def headline(snap: SessionSnapshot) -> list[Figure]:
    """Portfolio value, PnL, drawdown, win rate, open positions and open orders."""
    open_positions = sum(1 for a in snap.accounts if a.position)
    pnl_pct = snap.pnl / snap.initial_cash * 100.0 if snap.initial_cash else None
    trades = snap.trades_won + snap.trades_lost
    return [
        Figure("live_portfolio_value", "Portfolio value", fmt.money(snap.portfolio_value),
               help=f"Sum of {len(snap.accounts)} sub-accounts; started with "
                    f"{fmt.money(snap.initial_cash)}"),
        Figure("live_pnl", "PnL", fmt.money(snap.pnl, signed=True),
               delta=fmt.percent(pnl_pct, signed=True) if pnl_pct is not None else None,
               help="Portfolio value minus starting cash (fees and funding included)"),
        Figure("live_drawdown", "Drawdown", fmt.percent(snap.drawdown_pct),
               help="Below the highest portfolio value so far"),
        Figure("live_win_rate", "Win rate",
               fmt.percent(snap.win_rate * 100.0, digits=1) if snap.win_rate is not None
               else "n/a",
               help=f"{snap.trades_won} won / {snap.trades_lost} lost of {trades} closed trades"
                    f", net {fmt.money(sum(a.realised_pnl for a in snap.accounts), signed=True)}"
                    " (fees and funding included)"),
        Figure("live_positions", "Open positions", str(open_positions),
               help="Sub-accounts holding a position"),
        Figure("live_orders", "Open orders", str(len(snap.open_orders)),
               help="Working limit, stop and bracket orders"),
    ]


def signal_figures(snap: SessionSnapshot) -> list[Figure]:
    """Signals generated, executed and rejected, orders refused, fees and funding."""
    rejected = sum(snap.signals_rejected.values())
    return [
        Figure("live_signals_generated", "Signals generated", str(snap.signals_generated)),
        Figure("live_signals_executed", "Executed", str(snap.signals_executed)),
        Figure("live_signals_rejected", "Rejected", str(rejected),
               help=", ".join(f"{k}: {v}" for k, v in sorted(snap.signals_rejected.items()))
               or "none"),
        Figure("live_orders_rejected", "Orders rejected",
               str(sum(snap.orders_rejected.values())),
               help="Orders the broker refused or let expire, by reason: " + (", ".join(
                   f"{k}: {v}" for k, v in snap.orders_rejected.items()) or "none")
               + f". Accepted smaller than asked (rounded down to the venue's lot step): "
                 f"{snap.orders_resized}"),
        Figure("live_fees", "Fees paid", fmt.money(snap.fees)),
        Figure("live_funding", "Funding paid", fmt.money(snap.funding, signed=True),
               help="Positive: paid; negative: received"),
    ]


def positions_frame(snap: SessionSnapshot) -> pd.DataFrame:
    """Sub-accounts holding a position: side, size, entry price, unrealised PnL, value."""
    rows = [{"account": a.name, "symbol": a.symbol,
             "side": "long" if a.position > 0 else "short", "size": abs(a.position),
             "entry price": a.position_price, "unrealised PnL": a.unrealised_pnl,
             "value": a.value} for a in snap.accounts if a.position]
    return pd.DataFrame(rows, columns=["account", "symbol", "side", "size", "entry price",
                                       "unrealised PnL", "value"])


def _with_time(rows: list[dict[str, Any]], column: str, order: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[column, *[c for c in order if c != "time"]])
    frame.insert(0, "time", pd.to_datetime(frame.pop(column), unit="ms", utc=True))
    return frame[order]


def orders_frame(snap: SessionSnapshot) -> pd.DataFrame:
    """Working orders, oldest first."""
    return _with_time(snap.open_orders, "created_ms",
                      ["time", "account", "side", "type", "size", "price", "status"])


def fills_frame(snap: SessionSnapshot) -> pd.DataFrame:
    """The most recent fills, newest first."""
    return _with_time(snap.recent_fills, "ts_ms",
                      ["time", "account", "symbol", "side", "size", "price", "fee", "pnl",
                       "liquidity", "position_after"])


def signals_frame(snap: SessionSnapshot) -> pd.DataFrame:
    """The most recent signals with their outcome and, when refused, the reason."""
    return _with_time(snap.recent_signals, "ts_ms",
                      ["time", "account", "symbol", "side", "size", "confidence", "outcome",
                       "reason", "message"])


def rejections_frame(snap: SessionSnapshot) -> pd.DataFrame:
    """Rejected signals by reason, most frequent first."""
    rows = sorted(snap.signals_rejected.items(), key=lambda kv: (-kv[1], kv[0]))
    return pd.DataFrame(rows, columns=["reason", "count"])


def breakers_frame(live: dict[str, Any] | None) -> pd.DataFrame:
    """The running session's circuit breakers; empty when no session runs."""
    rows = [{"breaker": name, "state": "OPEN" if state.get("open") else "closed",
             "mode": state.get("mode") or "", "reason": state.get("reason") or "",
             "opened at": state.get("opened_at"), "closes at": state.get("closes_at"),
             "resumes": state.get("resumes") or "", "trips": state.get("trips", 0),
             "halted s": float(state.get("halted_seconds") or 0.0)}
            for name, state in ((live or {}).get("breakers") or {}).items()]
    return pd.DataFrame(rows, columns=["breaker", "state", "mode", "reason", "opened at",
                                       "closes at", "resumes", "trips", "halted s"])


def open_breakers(live: dict[str, Any] | None) -> list[str]:
    """Names of the breakers that are open now."""
    return [name for name, state in ((live or {}).get("breakers") or {}).items()
            if state.get("open")]


def halted_breakers(live: dict[str, Any] | None) -> list[str]:
    """Names of the open breakers in mode ``halt``: they wait for an operator to resume."""
    return [name for name, state in ((live or {}).get("breakers") or {}).items()
            if state.get("open") and state.get("mode") == "halt"]


def pause_text(live: dict[str, Any] | None) -> str:
    """The operator's pause as the panel says it: ``trading paused``, ``new entries
    paused`` or empty while the session trades freely (or does not run)."""
    live = live or {}
    if live.get("trading_paused"):
        return "trading paused"
    return "new entries paused" if live.get("entries_paused") else ""


def needs_resume(live: dict[str, Any] | None) -> bool:
    """Whether only an operator can let entries through again: paused, or a breaker halted."""
    return bool(live) and (bool((live or {}).get("entries_paused"))
                           or bool(halted_breakers(live)))


def symbols(snap: SessionSnapshot) -> list[str]:
    """The symbols the session trades, sorted."""
    return sorted({a.symbol for a in snap.accounts})
