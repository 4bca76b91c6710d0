"""A plain-text progress bar for one download (a symbol and timeframe), written to stderr.

On a terminal the bar is one line redrawn in place (``\\r``) and ended with a newline when the
series is complete. Anywhere else (a log file, a pipe) control characters would garble the
log, so the bar is printed as a plain line at most every *every* seconds, plus the first and
the final one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

WIDTH = 24


def bar_line(label: str, done: int, total: int, *, width: int = WIDTH) -> str:
    """``BTCUSDT 1m [##########--------------]  42% 604/1440 bars``."""
    total = max(total, done, 1)
    filled = width * done // total
    percent = 100 * done // total
    return f"{label} [{'#' * filled}{'-' * (width - filled)}] {percent:>3}% {done}/{total} bars"


class Progress:
    """Progress of one series: :meth:`update` after each page, :meth:`finish` at the end.

    Parameters
    ----------
    label : str
        ``"BTCUSDT 1m"``.
    total : int
        Bars expected (an estimate; the bar never goes past 100 %).
    out : text stream, optional
        stderr by default.
    every : float
        Seconds between plain lines when *out* is not a terminal (0: a line per update).
    """

    def __init__(self, label: str, total: int, *, out: IO[str] | None = None,
                 every: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.total = max(total, 1)
        self.out = out if out is not None else sys.stderr
        self.every = every
        self.clock = clock
        try:
            self.tty = self.out.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.done = 0
        self._printed: str | None = None  # the last plain line
        self._last = 0.0

    def update(self, done: int) -> None:
        """*done* bars fetched so far."""
        self.done = done
        now = self.clock()
        if self.tty:
            self.out.write("\r\x1b[K" + bar_line(self.label, done, self.total))
        elif self._printed is None or now - self._last >= self.every:
            self._plain()
        else:
            return
        self._last = now
        self.out.flush()

    def finish(self, done: int | None = None) -> None:
        """The series is complete: show 100 % (of what there was) and end the line."""
        if done is not None:
            self.done = done
        self.total = max(self.done, 1)
        if self.tty:
            self.out.write("\r\x1b[K" + bar_line(self.label, self.done, self.total) + "\n")
        elif self._printed != bar_line(self.label, self.done, self.total):
            self._plain()
        self.out.flush()

    def _plain(self) -> None:
        self._printed = bar_line(self.label, self.done, self.total)
        self.out.write(self._printed + "\n")
