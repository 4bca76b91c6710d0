"""Look-ahead check: does anything a strategy decided or read at a bar change when the bars
after it are removed?

A strategy that peeks at the future (``self.data.close[1]``, a signal precomputed over the
whole close array and shifted the wrong way) looks better in a backtest than it can ever
trade. The check runs the strategy once on the full history, then again on histories cut
at bar *k* (at bars where the full run signalled, and a spread of others) and compares
every signal and every indicator value at bars <= *k*. With no look-ahead they are
identical: the past cannot depend on bars that do not exist yet. A truncated run that
raises where the full run did not (``close[1]`` at the last bar is an ``IndexError``) is a
finding too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from backtrader_engine.engine.backtest import BacktestRequest, confirmation_frames
from backtrader_engine.engine.run_capture import LineRecord, RunRecord, Signal, record_run
from backtrader_engine.strategies.failure import StrategyRunError

#: Cut points when the caller names no count.
DEFAULT_CUTS = 10
#: Relative tolerance of two indicator values computed from the same bars: the values are
#: computed by the same code on the same inputs, so anything beyond float noise is a change.
VALUE_RTOL = 1e-9

SIGNAL, ERROR = "signal", "error"


@dataclass(frozen=True)
class Finding:
    """The first bar at which something changed when later bars were removed.

    ``name`` is the indicator line (``ema_fast.lines.ema``), ``signal`` (the orders the
    strategy created) or ``error`` (the truncated run raised where the full run did not).
    """

    name: str
    bar: int
    time: pd.Timestamp
    cut: int  # the last bar of the truncated history that showed it
    cut_time: pd.Timestamp
    full: str  # what the full run had at that bar
    truncated: str  # what the truncated run had

    @property
    def kind(self) -> str:
        return self.name if self.name in (SIGNAL, ERROR) else "indicator"

    def describe(self) -> str:
        """One sentence: what changed, at which bar, with and without the later bars."""
        when = str(self.time)[:16]
        if self.kind == ERROR:
            where = "there" if self.cut == self.bar else f"at bar {self.bar} ({when})"
            return (f"the history ending at bar {self.cut} ({str(self.cut_time)[:16]}) raises "
                    f"{self.truncated} {where}, where the full history does not")
        what = "the signal" if self.kind == SIGNAL else f"indicator line {self.name}"
        return (f"{what} at bar {self.bar} ({when}) changes when later bars are removed "
                f"({self.full} with them, {self.truncated} without)")

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "bar": self.bar,
                "time": self.time.isoformat(), "cut": self.cut,
                "cut_time": self.cut_time.isoformat(), "full": self.full,
                "truncated": self.truncated}


@dataclass
class LookaheadReport:
    """What the check compared and what it found (:attr:`clean` when nothing changed)."""

    strategy: str
    bars: int
    first: pd.Timestamp
    last: pd.Timestamp
    cuts: list[int]
    signal_cuts: int  # how many of the cuts are bars where the full run signalled
    signals: int  # signals of the full run
    signals_checked: int  # of those, at bars <= a cut (each compared at least once)
    lines: list[str]
    findings: list[Finding] = field(default_factory=list)
    full_run_error: str | None = None  # the full run stopped early (bars after are unchecked)
    full_run_stopped_at: int | None = None

    @property
    def clean(self) -> bool:
        return not self.findings

    def as_dict(self) -> dict[str, object]:
        return {
            "strategy": self.strategy, "clean": self.clean, "bars": self.bars,
            "first": self.first.isoformat(), "last": self.last.isoformat(),
            "cuts": len(self.cuts), "signal_cuts": self.signal_cuts,
            "signals": self.signals, "signals_checked": self.signals_checked,
            "lines": self.lines, "findings": [f.as_dict() for f in self.findings],
            "full_run_error": self.full_run_error,
        }


def choose_cuts(full: RunRecord, count: int) -> tuple[list[int], int]:
    """Up to *count* cut bars: half at bars where the full run signalled (the first one
    always), the rest spread evenly from the first decision bar; and how many signal bars.

    A cut is a bar the full run completed, never its last (that cut is the full run).
    """
    last = len(full.times) - 2
    if full.stopped_at is not None:
        last = min(last, full.stopped_at - 1)
    first = full.first_decision
    if count < 1 or last < first:
        return [], 0
    signal_bars = sorted(b for b in full.signals_by_bar if first <= b <= last)
    wanted = (count + 1) // 2 if signal_bars else 0
    chosen = set(_spread(signal_bars, wanted))
    at_signals = len(chosen)
    for bar in _spread(list(range(first, last + 1)), count):
        if len(chosen) >= count:
            break
        chosen.add(bar)
    return sorted(chosen), at_signals


def _spread(items: list[int], count: int) -> list[int]:
    """*count* items evenly spread over *items*, the first one included."""
    if count <= 0 or not items:
        return []
    if count >= len(items):
        return list(items)
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return sorted({items[i] for i in picks})


def check_lookahead(request: BacktestRequest, cuts: int = DEFAULT_CUTS) -> LookaheadReport:
    """Run *request* on the full history and on up to *cuts* truncated ones; compare.

    Raises
    ------
    StrategyRunError
        When the strategy's code raised before its first bar on the full history.
    UserError
        For refused params or too few bars, as a backtest would.
    """
    higher = confirmation_frames(request.frame, request.timeframe, request.confirm_timeframes)
    full = record_run(request, higher)
    cut_bars, signal_cuts = choose_cuts(full, cuts)
    findings: dict[str, Finding] = {}
    for cut in cut_bars:
        truncated = _truncated_run(request, higher, full.times[cut], cut)
        for finding in compare_runs(full, truncated, cut):
            known = findings.get(finding.name)
            if known is None or finding.bar < known.bar:
                findings[finding.name] = finding
    checked = sum(len(signals) for bar, signals in full.signals_by_bar.items()
                  if cut_bars and bar <= cut_bars[-1])
    times = full.times
    return LookaheadReport(
        strategy=request.strategy.__name__, bars=len(times), first=times[0], last=times[-1],
        cuts=cut_bars, signal_cuts=signal_cuts, signals=len(full.signals),
        signals_checked=checked, lines=list(full.lines),
        findings=sorted(findings.values(), key=lambda f: (f.bar, f.kind, f.name)),
        full_run_error=full.error, full_run_stopped_at=full.stopped_at)


def _truncated_run(request: BacktestRequest, higher: list[tuple[str, pd.DataFrame]],
                   cut_time: pd.Timestamp, cut: int) -> RunRecord:
    """The strategy on the bars up to *cut*; a higher timeframe's bars that close later
    are left out, as the full run had not seen them at that bar either."""
    frame = request.frame.iloc[:cut + 1]
    cut_higher = [(tf, h.loc[:cut_time]) for tf, h in higher]
    try:
        return record_run(replace(request, frame=frame), cut_higher, check_bars=False)
    except StrategyRunError as exc:
        # It raised before its first bar (an indicator computed from bars past the cut):
        # nothing of it to compare, which is itself the finding.
        return RunRecord(times=pd.DatetimeIndex(frame.index), signals=[], lines={},
                         first_decision=0, stopped_at=0, error=exc.failure.one_line())


def compare_runs(full: RunRecord, truncated: RunRecord, cut: int) -> list[Finding]:
    """What differs between *full* and *truncated* at bars <= *cut*: the first differing
    bar of each indicator line, of the signals, and a raise the full run did not have."""
    times = full.times
    findings = []
    limit = cut
    if truncated.stopped_at is not None and truncated.stopped_at != full.stopped_at:
        bar = truncated.stopped_at
        findings.append(Finding(ERROR, bar, times[bar], cut, times[cut],
                                full=_full_run_at(full, bar),
                                truncated=truncated.error or "an error"))
        limit = bar - 1  # the raising bar's own decisions are incomplete
    signal = _first_signal_difference(full, truncated, limit)
    if signal is not None:
        bar, was, now = signal
        findings.append(Finding(SIGNAL, bar, times[bar], cut, times[cut], was, now))
    cut_time = _bt_time(times[cut])
    for name, line in full.lines.items():
        other = truncated.lines.get(name)
        if other is None:
            continue  # a line the truncated run did not build at all: nothing to compare
        difference = _first_value_difference(line, other, cut_time)
        if difference is not None:
            position, value, changed = difference
            # A higher timeframe's line: the base bar its value belongs to.
            at = max(int(times.searchsorted(_pd_time(line.times[position]), side="right")) - 1,
                     0)
            findings.append(Finding(name, at, times[at], cut, times[cut], f"{value:.10g}",
                                    f"{changed:.10g}"))
    return findings


def _full_run_at(full: RunRecord, bar: int) -> str:
    """What the full run did at *bar*, where a truncated run raised."""
    if full.stopped_at == bar:
        return full.error or "raised"
    return "completed the bar"


def _first_signal_difference(full: RunRecord, truncated: RunRecord,
                             limit: int) -> tuple[int, str, str] | None:
    bars = sorted(b for b in set(full.signals_by_bar) | set(truncated.signals_by_bar)
                  if b <= limit)
    for bar in bars:
        was = full.signals_by_bar.get(bar, [])
        now = truncated.signals_by_bar.get(bar, [])
        if len(was) != len(now) or not all(a.matches(b) for a, b in zip(was, now, strict=True)):
            return bar, _describe(was), _describe(now)
    return None


def _describe(signals: list[Signal]) -> str:
    return "; ".join(str(s) for s in signals) if signals else "no order"


def _first_value_difference(full: LineRecord, truncated: LineRecord,
                            cut_time: float) -> tuple[int, float, float] | None:
    """The first position (of bars up to *cut_time*) where the two lines' values differ."""
    length = min(int(np.searchsorted(full.times, cut_time, side="right")),
                 len(truncated.values))
    a, b = full.values[:length], truncated.values[:length]
    same = np.isclose(a, b, rtol=VALUE_RTOL, atol=0.0, equal_nan=True)
    differing = np.flatnonzero(~same)
    if not len(differing):
        return None
    i = int(differing[0])
    return i, float(a[i]), float(b[i])


def _bt_time(time: pd.Timestamp) -> float:
    from backtrader_engine.engine.dates import datetimes_to_bt_num

    return float(datetimes_to_bt_num(pd.DatetimeIndex([time]))[0])


def _pd_time(num: float) -> pd.Timestamp:
    from backtrader_engine.engine.dates import bt_num_to_datetimes

    return pd.Timestamp(bt_num_to_datetimes(np.array([num]))[0])
