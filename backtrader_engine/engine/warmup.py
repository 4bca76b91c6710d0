"""Warm-up check: how many bars each indicator needs before its value stops depending on
where the history started.

A moving average over *n* bars is exact from its *n*-th bar on (its minimum period). A
recursive indicator (EMA, RSI, ATR, ADX: each value built from the previous one) is defined
from its minimum period too, but it carries its seed forward: started a few hundred bars
apart, two runs give different values for a long while. A paper session that primes its
indicators with fewer bars than that trades on values a backtest never saw.

The check runs the strategy from several start bars and compares each indicator line, on
the bars the runs share, with the run that started first. The warm-up of a line is the
number of bars from a run's start (that bar included) to the first bar from which its
values agree for good, within :data:`REL_TOL` relative; the longest over the starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from backtrader_engine.engine.backtest import BacktestRequest
from backtrader_engine.engine.bars_needed import NotEnoughBars
from backtrader_engine.engine.run_capture import LineRecord, record_run
from backtrader_engine.errors import UserError

#: Two values agree when they differ by at most this fraction of the larger one.
REL_TOL = 1e-6
#: Values this close to zero agree whatever their ratio (an oscillator crossing zero).
ABS_TOL = 1e-12
DEFAULT_STARTS = 4
#: Bars compared after the last start, by default.
DEFAULT_WINDOW = 3000


@dataclass(frozen=True)
class IndicatorWarmup:
    """One indicator: its minimum period and the bars until its lines no longer depend on
    the start (None: they still differed at the window's last bar)."""

    name: str
    minperiod: int
    converged_after: int | None
    lines: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"indicator": self.name, "minperiod": self.minperiod,
                "bars_to_converge": self.converged_after, "lines": list(self.lines)}


@dataclass
class WarmupReport:
    """The warm-up of every indicator of one strategy."""

    strategy: str
    starts: list[int]  # the first bar of each run, as positions in the data
    compared: int  # bars compared after the last start
    indicators: list[IndicatorWarmup] = field(default_factory=list)

    @property
    def unconverged(self) -> list[str]:
        return [i.name for i in self.indicators if i.converged_after is None]

    @property
    def needed(self) -> int:
        """The longest warm-up of all indicators (at least the strategy's minimum period);
        the compared window when some indicator never converged in it."""
        longest = max((i.converged_after or 0 for i in self.indicators), default=0)
        if self.unconverged:
            longest = max(longest, self.compared)
        return max([longest, *(i.minperiod for i in self.indicators), 1])

    def as_dict(self) -> dict[str, object]:
        return {"strategy": self.strategy, "rel_tol": REL_TOL, "starts": self.starts,
                "compared_bars": self.compared, "needed": self.needed,
                "unconverged": self.unconverged,
                "indicators": [i.as_dict() for i in self.indicators]}


def start_offsets(minperiod: int, starts: int) -> list[int]:
    """*starts* first bars, far enough apart that each run's seed differs."""
    step = max(2 * minperiod, 100)
    return [i * step for i in range(max(starts, 2))]


def analyse_warmup(request: BacktestRequest, starts: int = DEFAULT_STARTS,
                   window: int = DEFAULT_WINDOW) -> WarmupReport:
    """Run *request* from *starts* start bars and measure each indicator's warm-up.

    Every run ends at the same bar: ``window`` bars after the last start, or the data's end.

    Raises
    ------
    UserError
        When the data is too short for the starts and the strategy's minimum period.
    StrategyRunError
        When the strategy's code raised before its first bar.
    """
    frame = request.frame
    try:
        probe = record_run(replace(request, frame=frame.iloc[:min(len(frame), window)]))
    except NotEnoughBars as exc:
        raise UserError(f"--window {window}: shorter than the {exc.needed} bars of "
                        f"{exc.timeframe} data the strategy needs before its first decision; "
                        f"expected a window of at least {2 * exc.needed}") from None
    minperiod = probe.first_decision + 1
    offsets = start_offsets(minperiod, starts)
    end = min(len(frame), offsets[-1] + window)
    if end - offsets[-1] < 2 * minperiod:
        raise UserError(f"the data has {len(frame)} bars; the warm-up check starts runs at "
                        f"bars {', '.join(map(str, offsets))} and needs at least "
                        f"{offsets[-1] + 2 * minperiod} (use more data or fewer --starts)")
    runs = [record_run(replace(request, frame=frame.iloc[start:end]), check_bars=False)
            for start in offsets]
    reference = runs[0]
    per_line: dict[str, int | None] = {}
    for name, line in reference.lines.items():
        needed: int | None = 0
        for run in runs[1:]:
            other = run.lines.get(name)
            bars = None if other is None else _bars_to_agree(line, other)
            needed = None if bars is None or needed is None else max(needed, bars)
        per_line[name] = needed
    return WarmupReport(request.strategy.__name__, offsets, end - offsets[-1],
                        _by_indicator(reference.lines, per_line))


def _bars_to_agree(reference: LineRecord, later: LineRecord) -> int | None:
    """Bars from *later*'s start to the first one from which it agrees with *reference*
    for good, or None when they still disagree on the last shared bar."""
    aligned = np.searchsorted(reference.times, later.times)
    ok = aligned < len(reference.times)
    a = np.full(len(later.values), np.nan)
    a[ok] = reference.values[aligned[ok]]
    b = later.values
    scale = np.maximum(np.abs(a), np.abs(b))
    agree = (np.isnan(a) & np.isnan(b)) | (np.abs(a - b) <= REL_TOL * scale + ABS_TOL)
    if not len(agree) or not agree[-1]:
        return None
    disagreeing = np.flatnonzero(~agree)
    return int(disagreeing[-1]) + 2 if len(disagreeing) else 1


def _by_indicator(lines: dict[str, LineRecord],
                  per_line: dict[str, int | None]) -> list[IndicatorWarmup]:
    grouped: dict[str, list[LineRecord]] = {}
    for line in lines.values():
        grouped.setdefault(line.indicator, []).append(line)
    result = []
    for name, members in grouped.items():
        bars = [per_line[m.name] for m in members]
        converged = None if any(b is None for b in bars) else max(b or 0 for b in bars)
        result.append(IndicatorWarmup(name, max(m.minperiod for m in members), converged,
                                      tuple(m.name for m in members)))
    return result
