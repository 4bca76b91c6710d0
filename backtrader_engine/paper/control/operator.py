"""Operator commands a running session applies to its sub-accounts.

``/stopentry`` and ``/start_trading`` (pause and resume new entries) and ``/forceexit`` change
what the strategies are allowed to do, so — like injected signals — each is logged as an
input with the bar after which it was applied, and a resumed session applies it again at the
same point. Stopping the session is not logged: it changes nothing a restart would replay.
"""

from __future__ import annotations

from dataclasses import dataclass

PAUSE_ENTRIES = "pause_entries"
RESUME_ENTRIES = "resume_entries"
FORCE_EXIT = "force_exit"
#: Operations logged as session inputs.
LOGGED_OPS = (PAUSE_ENTRIES, RESUME_ENTRIES, FORCE_EXIT)


@dataclass(frozen=True)
class ForceExit:
    """Cancel a sub-account's open orders and close its position at market."""

    control_id: int
