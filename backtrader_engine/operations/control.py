"""Operator commands for a running paper session, over its control channel.

The CLI, the Streamlit panel and the Telegram commands call these; each raises
:class:`~backtrader_engine.errors.UserError` when no session runs on *state_dir* or the
session refuses the request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backtrader_engine.errors import ConfigError, UserError
from backtrader_engine.paper.control import channel as control
from backtrader_engine.paper.control.operator import (
    FORCE_EXIT,
    PAUSE_ENTRIES,
    PAUSE_TRADING,
    RESUME_ENTRIES,
)
from backtrader_engine.paper.control.requests import RELOAD_RISK


def _call(state_dir: Path | str, request: dict[str, Any]) -> dict[str, Any]:
    reply = control.send(Path(state_dir), request)
    if not reply.get("ok"):
        raise UserError(f"the paper session on {state_dir} refused {request['op']}: "
                        f"{reply.get('error', 'no reason given')}")
    return reply


def pause_entries(state_dir: Path | str) -> dict[str, Any]:
    """Refuse new entries from now on; open positions and their exits are still managed."""
    return _call(state_dir, {"op": PAUSE_ENTRIES})


def pause_trading(state_dir: Path | str) -> dict[str, Any]:
    """Refuse every strategy order from now on, entries and exits alike; open positions stay,
    and a force exit still closes them. The process keeps running."""
    return _call(state_dir, {"op": PAUSE_TRADING})


def resume_entries(state_dir: Path | str) -> dict[str, Any]:
    """Lift the operator's pause (of entries or of trading) and clear halted breakers."""
    return _call(state_dir, {"op": RESUME_ENTRIES})


def force_exit(state_dir: Path | str, symbol: str | None = None) -> dict[str, Any]:
    """Cancel open orders and close positions at market on *symbol* (``None``: all)."""
    return _call(state_dir, {"op": FORCE_EXIT, "symbol": symbol})


def inject_signal(state_dir: Path | str, symbol: str, side: str, qty: float | None = None,
                  confidence: float = 1.0) -> dict[str, Any]:
    """Hand a manual signal to the session's manual sub-account of *symbol*; what became of
    its order (``status``, ``reason``, ``size``, ``price``...).

    *qty* ``None`` sizes the order at 10% of the manual sub-account's equity.
    """
    reply = control.send(Path(state_dir), {"op": "inject", "symbol": symbol.upper(),
                                           "side": side, "qty": qty, "confidence": confidence})
    if not reply.get("ok"):
        raise UserError(f"the paper session refused the signal: {reply.get('error')}")
    return reply


def stop_session(state_dir: Path | str) -> dict[str, Any]:
    """Ask the session to stop cleanly (as SIGTERM does); returns once it has agreed."""
    return _call(state_dir, {"op": "stop"})


def reload_risk(state_dir: Path | str, risk_file: Path | str) -> dict[str, Any]:
    """Re-read the risk limits of *risk_file* into the running session; ``changed`` names
    the settings that differ from the limits it ran with.

    Raises
    ------
    UserError
        When the file is missing or invalid (one line; the session keeps its limits), or the
        session refuses the request.
    """
    from backtrader_engine.config import RiskConfig
    from backtrader_engine.config.loader import load_section

    try:
        risk = load_section(risk_file, RiskConfig)
    except ConfigError as exc:  # its one line says what is wrong and what is expected
        raise UserError(f"{exc}; the running limits are kept") from None
    reply = _call(state_dir, {"op": RELOAD_RISK, "risk": risk.model_dump(mode="json")})
    return {**reply, "file": str(risk_file)}
