"""The strategies panel: each configured strategy × symbol with its state, params and PnL.

Rows come from two places: ``strategies_config.json`` (what should run) and the session's
ledger (what runs, or ran, with which params and results). A strategy the session trades
but the config does not list (started with ``paper --strategy``) gets a row too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from backtrader_engine.config import StrategiesConfig
from backtrader_engine.dashboard.model import figures_text as fmt
from backtrader_engine.operations import AccountSnapshot, SessionSnapshot

COLUMNS = ["strategy", "symbol", "timeframe", "state", "position", "value", "realised PnL",
           "unrealised PnL", "drawdown", "trades won/lost", "signals", "last signal", "params"]


@dataclass(frozen=True)
class StrategyRow:
    """One strategy × symbol as the panel shows it (``params`` kept as a mapping)."""

    strategy: str
    symbol: str
    timeframe: str
    state: str
    params: dict[str, Any]
    account: AccountSnapshot | None

    def as_record(self) -> dict[str, Any]:
        a = self.account
        return {
            "strategy": self.strategy, "symbol": self.symbol, "timeframe": self.timeframe,
            "state": self.state,
            "position": a.position if a else None,
            "value": a.value if a else None,
            "realised PnL": a.realised_pnl if a else None,
            "unrealised PnL": a.unrealised_pnl if a else None,
            "drawdown": fmt.percent(a.drawdown_pct) if a else None,
            "trades won/lost": f"{a.trades_won}/{a.trades_lost}" if a else None,
            "signals": (f"{a.signals_generated} generated, {a.signals_executed} executed, "
                        f"{sum(a.signals_rejected.values())} rejected") if a else None,
            "last signal": last_signal_text(a.last_signal) if a else None,
            "params": json.dumps(self.params, sort_keys=True),
        }


def last_signal_text(signal: dict[str, Any] | None) -> str:
    """``buy 0.159 executed at 2017-07-17 06:00`` (with the reason when refused)."""
    if not signal:
        return "none yet"
    when = fmt.ms_to_time(signal.get("ts_ms"))
    stamp = when.strftime("%Y-%m-%d %H:%M") if when is not None else "?"
    reason = f" ({signal['reason']})" if signal.get("reason") else ""
    return (f"{signal.get('side', '?')} {float(signal.get('size') or 0):.6g} "
            f"{signal.get('outcome', '?')}{reason} at {stamp}")


def _state(account: AccountSnapshot, live: dict[str, Any] | None) -> str:
    error = (((live or {}).get("accounts") or {}).get(account.name) or {}).get("error")
    if error:
        return f"error: {error}"
    if account.position > 0:
        where = "long"
    elif account.position < 0:
        where = "short"
    else:
        where = "flat"
    return f"{'running' if live is not None else 'stopped'}, {where}"


def strategy_rows(config: StrategiesConfig | None, snapshot: SessionSnapshot | None,
                  live: dict[str, Any] | None = None) -> list[StrategyRow]:
    """Every configured strategy × symbol, joined with the session's sub-accounts.

    Parameters
    ----------
    config
        The strategies config (``None`` when it could not be loaded).
    snapshot
        The session's ledger figures (``None`` without a ledger).
    live
        The running session's status (per-account errors); ``None`` when it is down.
    """
    accounts = {(a.strategy_class, a.symbol): a for a in (snapshot.accounts if snapshot else [])
                if not a.manual}
    rows: list[StrategyRow] = []
    for name, entry in (config.strategies.items() if config else []):
        for symbol in entry.symbols:
            account = accounts.pop((name, symbol), None)
            if account is not None:
                rows.append(StrategyRow(name, symbol, account.timeframe or entry.timeframe,
                                        _state(account, live), account.params, account))
            else:
                state = "not in this session" if entry.enabled else "disabled in config"
                rows.append(StrategyRow(name, symbol, entry.timeframe, state,
                                        dict(entry.params), None))
    for (name, symbol), account in accounts.items():
        rows.append(StrategyRow(name, symbol, account.timeframe,
                                _state(account, live) + " (not in config)", account.params,
                                account))
    # What the session trades first, then what is configured but not traded (stable order).
    return sorted(rows, key=lambda r: r.account is None)


def strategies_frame(rows: list[StrategyRow]) -> pd.DataFrame:
    """*rows* as a table, params as JSON text."""
    return pd.DataFrame([r.as_record() for r in rows], columns=COLUMNS)
