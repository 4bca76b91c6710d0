"""Operator commands a running session applies to its sub-accounts.

``/stopentry`` (pause new entries), ``/stop`` (pause trading), ``/start`` and
``/start_trading`` (resume) and ``/forceexit`` change what the strategies are allowed to do,
so — like injected signals — each is logged as an input with the bar after which it was
applied, and a resumed session applies it again at the same point: a pause survives a
restart. Stopping the session is not logged: it changes nothing a restart would replay.
"""

from __future__ import annotations

from dataclasses import dataclass

PAUSE_ENTRIES = "pause_entries"
PAUSE_TRADING = "pause_trading"
#: Lifts either pause (and clears the breakers that wait for an operator).
RESUME_ENTRIES = "resume_entries"
FORCE_EXIT = "force_exit"
#: Operations logged as session inputs.
LOGGED_OPS = (PAUSE_ENTRIES, PAUSE_TRADING, RESUME_ENTRIES, FORCE_EXIT)

#: The operator's pause, one state of a session, weakest first. ``entries``: new entries are
#: refused, the strategies still manage their positions. ``trading``: every strategy order
#: is refused, entries and exits alike; open positions stay and only a force exit closes them.
RUNNING, ENTRIES, TRADING = "none", "entries", "trading"
PAUSES = (RUNNING, ENTRIES, TRADING)
#: The ``entries`` ledger event's detail for each pause (readers derive the pause from it).
PAUSE_EVENT = {ENTRIES: "paused", TRADING: "trading paused", RUNNING: "resumed"}


def pause_of_event(detail: str | None) -> str:
    """The pause an ``entries`` ledger event left the session in (``none`` without one)."""
    if not detail:
        return RUNNING
    if detail.startswith(PAUSE_EVENT[TRADING]):
        return TRADING
    return ENTRIES if detail.startswith(PAUSE_EVENT[ENTRIES]) else RUNNING


@dataclass(frozen=True)
class ForceExit:
    """Cancel a sub-account's open orders and close its position at market."""

    control_id: int
