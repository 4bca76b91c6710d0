"""Errors of the bot runner.

:class:`BotError` is a :class:`~backtrader_engine.errors.UserError` (one line, no traceback)
with exit code 1: the request was well formed but could not be carried out (a bot already
runs, the bot died during start-up, it did not stop in time). Bad input keeps exit code 2.
"""

from __future__ import annotations

from backtrader_engine.errors import UserError


class BotError(UserError):
    """A bot operation failed; ``str(error)`` says why and what to do."""

    exit_code = 1


class BotAlreadyRunning(BotError):
    """``start`` refused: a live bot already owns the run folder (or its state folder)."""

    def __init__(self, message: str, pid: int) -> None:
        super().__init__(message)
        self.pid = pid


class LockBusy(BotError):
    """Another start/stop/restart holds the run folder's lock."""
