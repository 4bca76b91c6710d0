"""``bot status``: is the bot running, how is it doing, and is its monitoring up?

The process part (PID, uptime, CPU/memory, endpoints, log tail) is the service's
:func:`~backtrader_engine.service.process_status.process_status`; this module adds the key
figures from the paper ledger through
:func:`backtrader_engine.operations.snapshot.read_snapshot` (read-only, safe while the bot
writes). :func:`bot_status` never starts or stops anything and takes no lock, so the CLI,
the Streamlit panel and the Telegram bot can call it as often as they like.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from backtrader_engine.errors import UserError
from backtrader_engine.ledger import LedgerReadError
from backtrader_engine.service.endpoints import Endpoint, EndpointCheck
from backtrader_engine.service.process_status import BotState, ProcessStatus, process_status


@dataclass(frozen=True)
class BotStatus:
    """Everything ``bot status`` reports: the process (:class:`ProcessStatus`, whose
    attributes these are too) and the session's key figures.

    Attributes
    ----------
    figures
        Key figures from the ledger (:func:`key_figures`), or ``None`` with *figures_error*
        saying why (both ``None`` when no bot was started).
    """

    # The process's fields, in ProcessStatus's order, with the figures before the log (the
    # order ``status --json`` prints them in).
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

    @classmethod
    def of(cls, process: ProcessStatus, figures: dict[str, Any] | None = None,
           figures_error: str | None = None) -> BotStatus:
        """*process* with the session's *figures* (or why there are none)."""
        own = {f.name: getattr(process, f.name) for f in fields(process)}
        return cls(**own, figures=figures, figures_error=figures_error)

    @property
    def running(self) -> bool:
        return self.state == "running"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (``status --json``)."""
        return asdict(self)


def bot_status(*, run_dir: Path | str | None = None,
               endpoints: Sequence[Endpoint] | None = None, timeout: float = 0.5,
               log_lines: int = 5, cpu_interval: float = 0.2) -> BotStatus:
    """The state of the bot managed in *run_dir* (default ``./run``) and its key figures.

    The parameters are :func:`~backtrader_engine.service.process_status.process_status`'s.

    Raises
    ------
    UserError
        When the PID file exists but cannot be read or is corrupt.
    """
    process = process_status(run_dir=run_dir, endpoints=endpoints, timeout=timeout,
                             log_lines=log_lines, cpu_interval=cpu_interval)
    if process.state_dir is None:  # no bot was started here: no session to read
        return BotStatus.of(process)
    return BotStatus.of(process, *_figures(Path(process.state_dir)))


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
    pause = operator_pause(state_dir)
    positions = [{"account": a.name, "symbol": a.symbol, "position": a.position,
                  "price": a.position_price, "unrealised_pnl": a.unrealised_pnl}
                 for a in snap.accounts if a.position]
    return {"pause": pause, "equity": snap.portfolio_value, "initial_cash": snap.initial_cash,
            "pnl": snap.pnl, "drawdown_pct": snap.drawdown_pct, "win_rate": snap.win_rate,
            "trades_won": snap.trades_won, "trades_lost": snap.trades_lost,
            "open_positions": positions, "open_orders": len(snap.open_orders),
            "signals_generated": snap.signals_generated,
            "signals_executed": snap.signals_executed,
            "signals_rejected": sum(snap.signals_rejected.values()),
            "rejected_by_reason": dict(snap.signals_rejected),
            "orders_rejected": sum(snap.orders_rejected.values()),
            "orders_rejected_by_account": {a.name: dict(a.orders_rejected)
                                           for a in snap.accounts if a.orders_rejected},
            # Accepted, but smaller than asked: rounded down to the venue's lot step.
            "orders_resized": snap.orders_resized,
            "orders_resized_by_account": {a.name: a.orders_resized
                                          for a in snap.accounts if a.orders_resized}}


def operator_pause(state_dir: Path | str) -> str:
    """The operator's pause the session's ledger records: ``none``, ``entries`` (after
    /stopentry) or ``trading`` (after /stop). The session replays it on restart, so the ledger
    tells it also while the bot is down."""
    from backtrader_engine.operations.snapshot import open_ledger

    reader = open_ledger(state_dir)
    try:
        event = reader.last_event("entries")
    finally:
        reader.close()
    return operator_pause_of_event(event.detail if event is not None else None)


def operator_pause_of_event(detail: str | None) -> str:
    """The pause an ``entries`` ledger event's *detail* records (``none`` for none)."""
    from backtrader_engine.paper.control.operator import pause_of_event

    return pause_of_event(detail)


def _figures(state_dir: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return key_figures(state_dir), None
    except (UserError, LedgerReadError, OSError) as exc:
        # A bot still creating its ledger, or a ledger from an older version: status still
        # answers, and says why the figures are missing.
        return None, str(exc)
