"""User-facing errors.

Every problem a user can fix (a bad config value, an unreadable data file, a misspelt strategy or
parameter) raises a subclass of :class:`UserError` whose message is one self-contained line: what
was wrong, where, and what is expected. The CLI prints that line and exits with code 2, without a
traceback; library callers can catch the specific subclass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """A problem the user can fix; ``str(error)`` is the one-line explanation."""

    exit_code = 2


class ConfigError(UserError):
    """A configuration file is missing, unparsable or fails validation."""


class DataError(UserError):
    """A data file cannot be read, has an unknown layout or fails a hard quality rule."""


class StrategyError(UserError):
    """A strategy spec or one of its parameters cannot be resolved."""


class StrategyCodeError(Exception):
    """An exception in a strategy's own code stopped a run: a bug to fix there, not bad input.

    ``str(error)`` is one line (for a trial's record); ``details`` is what the CLI prints: the
    strategy's own frames with their source lines. The CLI exits with code 1.
    """

    exit_code = 1

    @property
    def details(self) -> str:
        return str(self)


def did_you_mean(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return ``" (did you mean 'x' or 'y'?)"`` for close matches of *name*, or ``""``.

    Matching is case-insensitive, but the suggestions keep the candidates' own spelling.
    """
    by_lower = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.6)
    if not close:
        return ""
    quoted = [f"'{by_lower[c]}'" for c in close]
    return " (did you mean " + " or ".join(quoted) + "?)"
