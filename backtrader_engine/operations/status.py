"""``bot status``: is the bot running, how is it doing, and is its monitoring up?

:func:`bot_status` never starts or stops anything and takes no lock, so the CLI, the
Streamlit panel and the Telegram bot can call it as often as they like. The key figures come
from the paper ledger through :func:`backtrader_engine.operations.snapshot.read_snapshot`
(read-only, safe while the bot writes).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import psutil

from backtrader_engine.errors import UserError
from backtrader_engine.service.endpoints import (
    Endpoint,
    EndpointCheck,
    check_endpoints,
    default_endpoints,
)
from backtrader_engine.service.logtail import tail_lines
from backtrader_engine.service.paths import RunPaths
from backtrader_engine.service.pidfile import PidRecord, process_state, read_pid_file
from backtrader_engine.service.session import session_pid

BotState = Literal["running", "stopped", "stale"]


@dataclass(frozen=True)
class BotStatus:
    """Everything ``bot status`` reports.

    Attributes
    ----------
    state
        ``running``; ``stopped`` (no PID file); ``stale`` (the PID file names a process that
        is gone, or a PID now used by another process).
    message
        One line saying so, with what to do next.
    pid, started_at, uptime_s, cpu_percent, rss_bytes, command, state_dir
        The bot process (``None`` when unknown; resource figures only while it runs).
    ready
        The session has finished starting (its control channel is up).
    endpoints
        Whether the metrics endpoint, Prometheus and Grafana answer.
    figures
        Key figures from the ledger (:func:`key_figures`), or ``None`` with *figures_error*
        saying why.
    log_file, log_tail
        The bot's console log and its last lines.
    """

    state: BotState
    message: str
    run_dir: str
    pid: int | None = None
    started_at: float | None = None
    uptime_s: float | None = None
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    command: list[str] | None = None
    state_dir: str | None = None
    ready: bool = False
    endpoints: list[EndpointCheck] = field(default_factory=list)
    figures: dict[str, Any] | None = None
    figures_error: str | None = None
    log_file: str | None = None
    log_tail: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.state == "running"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``status --json``)."""
        return asdict(self)


def bot_status(*, run_dir: Path | str | None = None,
               endpoints: Sequence[Endpoint] | None = None, timeout: float = 0.5,
               log_lines: int = 5, cpu_interval: float = 0.2) -> BotStatus:
    """The state of the bot managed in *run_dir* (default ``./run``).

    Parameters
    ----------
    endpoints
        URLs to check (default: the metrics endpoint from the bot's ``alert_config.json``,
        Prometheus on :9090 and Grafana on :3000, all on 127.0.0.1).
    timeout
        Seconds each endpoint may take to answer.
    log_lines
        How many of the console log's last lines to include.
    cpu_interval
        Seconds over which the CPU share is measured.

    Raises
    ------
    UserError
        When the PID file exists but cannot be read or is corrupt.
    """
    paths = RunPaths.of(run_dir)
    record = read_pid_file(paths.pid_file)
    config_dir = Path(record.config_dir) if record is not None else Path("configs").resolve()
    checks = check_endpoints(endpoints if endpoints is not None
                             else default_endpoints(config_dir), timeout)
    log_file = Path(record.log_file) if record is not None else paths.console_log
    common: dict[str, Any] = {"run_dir": str(paths.run_dir), "endpoints": checks,
                              "log_file": str(log_file),
                              "log_tail": tail_lines(log_file, log_lines)}
    if record is None:
        return BotStatus("stopped", f"no bot running (no PID file in {paths.run_dir}); start "
                                    "it with 'bot start'", **common)
    figures, figures_error = _figures(Path(record.state_dir))
    common.update(pid=record.pid, started_at=record.started_at, command=record.command,
                  state_dir=record.state_dir, figures=figures, figures_error=figures_error)
    state = process_state(record)
    if state != "running":
        why = "no longer runs" if state == "gone" else "now belongs to another process"
        return BotStatus("stale", f"the bot is not running: {paths.pid_file} names PID "
                                  f"{record.pid}, which {why}; 'bot start' replaces it",
                         **common)
    try:
        cpu, rss = _usage(record, cpu_interval)
    except psutil.NoSuchProcess:  # ended while we looked
        return BotStatus("stale", f"the bot (PID {record.pid}) has just ended", **common)
    return BotStatus("running", f"bot running (PID {record.pid})",
                     uptime_s=max(0.0, time.time() - record.create_time), cpu_percent=cpu,
                     rss_bytes=rss, ready=_ready(record), **common)


def key_figures(state_dir: Path) -> dict[str, Any]:
    """Equity, PnL, drawdown, open positions, signal counts and refused orders (by reason,
    per sub-account) of the session in *state_dir*.

    Raises
    ------
    UserError
        When *state_dir* holds no ledger.
    """
    from backtrader_engine.operations.snapshot import read_snapshot

    snap = read_snapshot(state_dir, recent=0)
    positions = [{"account": a.name, "symbol": a.symbol, "position": a.position,
                  "price": a.position_price, "unrealised_pnl": a.unrealised_pnl}
                 for a in snap.accounts if a.position]
    return {"equity": snap.portfolio_value, "initial_cash": snap.initial_cash,
            "pnl": snap.pnl, "drawdown_pct": snap.drawdown_pct, "win_rate": snap.win_rate,
            "trades_won": snap.trades_won, "trades_lost": snap.trades_lost,
            "open_positions": positions, "open_orders": len(snap.open_orders),
            "signals_generated": snap.signals_generated,
            "signals_executed": snap.signals_executed,
            "signals_rejected": sum(snap.signals_rejected.values()),
            "rejected_by_reason": dict(snap.signals_rejected),
            "orders_rejected": sum(snap.orders_rejected.values()),
            "orders_rejected_by_account": {a.name: dict(a.orders_rejected)
                                           for a in snap.accounts if a.orders_rejected}}


def _figures(state_dir: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return key_figures(state_dir), None
    except (UserError, sqlite3.Error, OSError) as exc:
        # A bot still creating its ledger, or a ledger from an older version: status still
        # answers, and says why the figures are missing.
        return None, str(exc)


def _usage(record: PidRecord, interval: float) -> tuple[float | None, int | None]:
    """CPU share and resident memory; ``None`` for what the OS does not let us read."""
    process = psutil.Process(record.pid)
    try:
        rss: int | None = int(process.memory_info().rss)
        cpu: float | None = float(process.cpu_percent(interval=interval))
    except psutil.AccessDenied:  # another user's bot (Windows, hardened kernels)
        rss = cpu = None
    return cpu, rss


def _ready(record: PidRecord) -> bool:
    return session_pid(Path(record.state_dir)) == record.pid
