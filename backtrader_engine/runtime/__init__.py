"""The running bot seen from outside: status snapshot and operator commands."""

from backtrader_engine.runtime.control_ops import (
    force_exit,
    pause_entries,
    resume_entries,
    stop_session,
)
from backtrader_engine.runtime.snapshot import (
    AccountSnapshot,
    SessionSnapshot,
    live_status,
    read_snapshot,
)

__all__ = ["AccountSnapshot", "SessionSnapshot", "force_exit", "live_status", "pause_entries",
           "read_snapshot", "resume_entries", "stop_session"]
