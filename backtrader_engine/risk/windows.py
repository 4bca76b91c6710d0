"""Rolling market-time windows: event counts (signal caps, error rate) and price ranges.

Both are fed in market time and answer for a window ``(now - length, now]``: an event exactly
``length`` seconds old has left the window. That makes the boundaries of the hourly caps and
the volatility filter exact and easy to state.
"""

from __future__ import annotations

from collections import deque


class EventWindow:
    """Timestamps of events, counted over a rolling market-time window.

    Parameters
    ----------
    length : float
        Window length in seconds (3600 for "per rolling hour").
    """

    def __init__(self, length: float) -> None:
        self.length = float(length)
        self._times: deque[float] = deque()

    def add(self, when: float) -> None:
        """Record one event at *when* (epoch seconds) and forget events that can never count."""
        self._times.append(when)
        latest = max(when, self._times[0])
        while self._times and self._times[0] <= latest - self.length:
            self._times.popleft()

    def count(self, now: float) -> int:
        """Events in ``(now - length, now]``."""
        start = now - self.length
        return sum(1 for t in self._times if start < t <= now)

    def last(self) -> float | None:
        """Time of the most recent event, or None."""
        return self._times[-1] if self._times else None

    def frees_at(self, now: float) -> float:
        """When the oldest event counted at *now* leaves the window (one place frees up)."""
        start = now - self.length
        counted = [t for t in self._times if start < t <= now]
        return (counted[0] if counted else now) + self.length


class RollingRange:
    """Highest high, lowest low and last close of one symbol's bars over a time window.

    Monotonic deques make each bar O(1) amortised, so the broker can feed every bar of a long
    1-minute backtest without the window length mattering.

    Parameters
    ----------
    length : float
        Window length in seconds.
    """

    def __init__(self, length: float) -> None:
        self.length = float(length)
        self._highs: deque[tuple[float, float]] = deque()  # decreasing highs
        self._lows: deque[tuple[float, float]] = deque()  # increasing lows
        self.last_time: float | None = None
        self.last_close: float | None = None

    def add(self, when: float, high: float, low: float, close: float) -> None:
        """Add the bar stamped *when*; bars must arrive in time order (older ones are ignored)."""
        if self.last_time is not None and when <= self.last_time:
            return
        while self._highs and self._highs[-1][1] <= high:
            self._highs.pop()
        self._highs.append((when, high))
        while self._lows and self._lows[-1][1] >= low:
            self._lows.pop()
        self._lows.append((when, low))
        self.last_time = when
        self.last_close = close
        cutoff = when - self.length
        for side in (self._highs, self._lows):
            while side and side[0][0] <= cutoff:
                side.popleft()

    def range_pct(self, now: float) -> float | None:
        """``(highest high - lowest low) / last close * 100`` over the window's bars.

        The window ends at the latest bar seen, ``(last_time - length, last_time]``: at a
        decision that is the bar the strategy saw. Returns None when there is nothing to judge
        on: no bar yet, the latest bar is a whole window older than *now* (a data gap), or the
        last close is not positive.
        """
        if self.last_time is None or now - self.last_time >= self.length:
            return None
        if not self.last_close or self.last_close <= 0.0:
            return None
        return (self._highs[0][1] - self._lows[0][1]) / self.last_close * 100.0
