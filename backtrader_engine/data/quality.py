"""Data-quality findings for an OHLCV frame, and the hard rules a backtest enforces.

Loading refuses only what makes the data unreadable (unparsable values, missing OHLC columns,
conflicting duplicates). Everything else is a finding here, graded by severity:

* ``error``: every mode refuses the data (:mod:`backtrader_engine.data.validation`): too few
  bars, NaN or infinite values, values above the sane bound, prices <= 0, negative volume,
  high < low, bars of more than one size. The report's ``refusal`` is the line they print.
* ``warning``: usable but worth knowing (gaps, irregular spacing, open/close outside the
  high-low range, zero-volume bars, volume missing from the source).
* ``info``: what the loader did (duplicates dropped, source order) and the volatility summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from backtrader_engine.data.frame import OHLCV_COLUMNS
from backtrader_engine.data.loader import LoadInfo
from backtrader_engine.data.quality_checks import (
    Gap,
    GapCounts,
    VolatilitySummary,
    find_gaps,
    first_stamps,
    volatility_summary,
)
from backtrader_engine.data.timeframes import modal_spacing, parse_timeframe, timeframe_name
from backtrader_engine.data.validation import (
    MAX_VALUE,
    MIN_BARS,
    BarSize,
    bar_sizes,
    cell_rules,
    describe_sizes,
    high_below_low,
    refusal,
    validate_candles,
)

SEVERITIES = ("ok", "info", "warning", "error")
_EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``severity`` is ``"error"``, ``"warning"`` or ``"info"``."""

    severity: str
    message: str


@dataclass(frozen=True)
class QualityReport:
    """Counts and examples of data problems; see the module docstring for the grading."""

    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    timeframe: str | None
    gap_count: int = 0
    missing_bars: int = 0
    largest_gaps: tuple[Gap, ...] = ()
    irregular_count: int = 0
    nonpositive_count: int = 0
    nonpositive_examples: tuple[pd.Timestamp, ...] = ()
    high_below_low_count: int = 0
    high_below_low_examples: tuple[pd.Timestamp, ...] = ()
    outside_range_count: int = 0
    outside_range_examples: tuple[pd.Timestamp, ...] = ()
    negative_volume_count: int = 0
    infinite_count: int = 0
    too_large_count: int = 0
    bar_sizes: tuple[BarSize, ...] = ()
    refusal: str | None = None
    nan_counts: dict[str, int] = field(default_factory=dict)
    zero_volume_count: int = 0
    duplicates_dropped: int = 0
    volume_filled: bool = False
    source_format: str | None = None
    source_order: str | None = None
    out_of_order: int = 0
    volatility: VolatilitySummary | None = None

    @property
    def findings(self) -> list[Finding]:
        """All findings, errors first."""
        found = _error_findings(self) + _warning_findings(self) + _info_findings(self)
        order = {name: i for i, name in enumerate(reversed(SEVERITIES))}
        return sorted(found, key=lambda f: order[f.severity])

    @property
    def severity(self) -> str:
        """The worst finding's severity: ``"error"``, ``"warning"``, ``"info"`` or ``"ok"``."""
        if self.refusal is not None:
            return "error"
        levels = {f.severity for f in self.findings}
        for level in ("error", "warning", "info"):
            if level in levels:
                return level
        return "ok"

    @property
    def ok(self) -> bool:
        """True when no mode refuses the data (no error-level finding)."""
        return self.refusal is None and self.severity != "error"


def _examples(stamps: tuple[pd.Timestamp, ...], total: int) -> str:
    shown = ", ".join(str(s) for s in stamps)
    return f" (first: {shown}{', ...' if total > len(stamps) else ''})" if stamps else ""


def _error_findings(r: QualityReport) -> list[Finding]:
    found: list[Finding] = []
    if r.rows == 0:
        found.append(Finding("error", "no bars"))
    elif r.rows < MIN_BARS:
        found.append(Finding("error", f"only {r.rows} bar(s); at least {MIN_BARS} are needed"))
    if len(r.bar_sizes) > 1:
        found.append(Finding("error", f"bars of more than one size: {describe_sizes(r.bar_sizes)}"))
    if r.infinite_count:
        found.append(Finding("error", f"{r.infinite_count} bar(s) with an infinite value"))
    if r.too_large_count:
        found.append(
            Finding("error", f"{r.too_large_count} bar(s) with a value above {MAX_VALUE:g}")
        )
    for col, count in r.nan_counts.items():
        if count:
            found.append(Finding("error", f"{count} NaN value(s) in '{col}'"))
    if r.nonpositive_count:
        found.append(
            Finding(
                "error",
                f"{r.nonpositive_count} bar(s) with a price <= 0"
                + _examples(r.nonpositive_examples, r.nonpositive_count),
            )
        )
    if r.high_below_low_count:
        found.append(
            Finding(
                "error",
                f"{r.high_below_low_count} bar(s) with high < low"
                + _examples(r.high_below_low_examples, r.high_below_low_count),
            )
        )
    if r.negative_volume_count:
        found.append(Finding("error", f"{r.negative_volume_count} bar(s) with negative volume"))
    if not found and r.refusal is not None:
        found.append(Finding("error", r.refusal))
    return found


def _warning_findings(r: QualityReport) -> list[Finding]:
    found: list[Finding] = []
    if r.gap_count:
        found.append(Finding("warning", f"{r.gap_count} gap(s), {r.missing_bars} missing bar(s)"))
    if r.irregular_count:
        found.append(
            Finding(
                "warning", f"{r.irregular_count} spacing(s) not a whole multiple of {r.timeframe}"
            )
        )
    if r.outside_range_count:
        found.append(
            Finding(
                "warning",
                f"{r.outside_range_count} bar(s) with open/close outside "
                "low..high" + _examples(r.outside_range_examples, r.outside_range_count),
            )
        )
    if r.volume_filled:
        found.append(Finding("warning", "source has no volume column; volume set to 0"))
    elif r.zero_volume_count:
        found.append(Finding("warning", f"{r.zero_volume_count} bar(s) with zero volume"))
    return found


def _info_findings(r: QualityReport) -> list[Finding]:
    found: list[Finding] = []
    if r.duplicates_dropped:
        found.append(Finding("info", f"{r.duplicates_dropped} exact duplicate row(s) dropped"))
    if r.source_order and r.source_order != "ascending":
        extra = f", {r.out_of_order} step(s) out of order" if r.out_of_order else ""
        found.append(Finding("info", f"source order {r.source_order}{extra}; sorted ascending"))
    if r.volatility is not None and r.volatility.spikes:
        found.append(
            Finding(
                "info",
                f"{r.volatility.spikes} spike(s): a close jumping beyond "
                f"{r.volatility.spike_sigma:g} robust sigma and straight back "
                "(possible bad ticks)",
            )
        )
    return found


class _PriceCounts(TypedDict):
    """The per-bar price and volume fields of a quality report."""

    nonpositive_count: int
    nonpositive_examples: tuple[pd.Timestamp, ...]
    high_below_low_count: int
    high_below_low_examples: tuple[pd.Timestamp, ...]
    outside_range_count: int
    outside_range_examples: tuple[pd.Timestamp, ...]
    negative_volume_count: int
    infinite_count: int
    too_large_count: int
    zero_volume_count: int
    nan_counts: dict[str, int]


class _LoadFields(TypedDict, total=False):
    """The loader's fields of a quality report (none without load details)."""

    duplicates_dropped: int
    volume_filled: bool
    source_format: str | None
    source_order: str | None
    out_of_order: int


def _mask_examples(
    index: pd.Index, mask: np.ndarray | np.bool_
) -> tuple[int, tuple[pd.Timestamp, ...]]:
    # np.bool_ too: numpy's stubs type a reduction along an axis as an array or a scalar.
    return int(mask.sum()), first_stamps(index, mask, _EXAMPLES)


def _price_checks(df: pd.DataFrame) -> _PriceCounts:
    values = df.loc[:, list(OHLCV_COLUMNS)].to_numpy(dtype=np.float64, copy=True)
    nan, infinite, too_large, nonpositive, negative = (mask for mask, _ in cell_rules(values))
    o, h, lo, c = values[:, :4].T
    high_low = high_below_low(values)
    with np.errstate(invalid="ignore"):
        outside = (h < np.maximum(o, c)) | (lo > np.minimum(o, c))
        zero_volume = values[:, 4] == 0
    np_count, np_ex = _mask_examples(df.index, nonpositive.any(axis=1))
    hl_count, hl_ex = _mask_examples(df.index, high_low)
    # high < low already implies open or close is outside the range; count it once.
    out_count, out_ex = _mask_examples(df.index, outside & ~high_low)
    return {
        "nonpositive_count": np_count,
        "nonpositive_examples": np_ex,
        "high_below_low_count": hl_count,
        "high_below_low_examples": hl_ex,
        "outside_range_count": out_count,
        "outside_range_examples": out_ex,
        "negative_volume_count": int(negative.any(axis=1).sum()),
        "infinite_count": int(infinite.any(axis=1).sum()),
        "too_large_count": int(too_large.any(axis=1).sum()),
        "zero_volume_count": int(zero_volume.sum()),
        "nan_counts": {col: int(nan[:, i].sum()) for i, col in enumerate(OHLCV_COLUMNS)},
    }


def check_quality(
    df: pd.DataFrame,
    *,
    timeframe: str | None = None,
    info: LoadInfo | None = None,
    source: str | Path = "data",
) -> QualityReport:
    """Inspect a canonical OHLCV frame and report its data-quality findings.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame as returned by :func:`backtrader_engine.data.load_ohlcv`.
    timeframe : str, optional
        The expected bar timeframe; inferred from the modal spacing when omitted.
    info : LoadInfo, optional
        Load details (format, duplicates dropped, source order, volume filled) to include.
    source : str or pathlib.Path
        Where the data came from, for the ``refusal`` line.

    Returns
    -------
    QualityReport
    """
    loaded: _LoadFields = {}
    if info is not None:
        loaded = {
            "duplicates_dropped": info.duplicates_dropped,
            "volume_filled": info.volume_filled,
            "source_format": info.format,
            "source_order": info.source_order,
            "out_of_order": info.out_of_order,
        }
    refused = refusal(df, source)
    if df.empty:
        return QualityReport(
            rows=0, first=None, last=None, timeframe=timeframe, refusal=refused, **loaded
        )
    index = pd.DatetimeIndex(df.index)
    spacing = None
    if timeframe is not None:
        spacing = parse_timeframe(timeframe)
    elif index.nunique() >= 2:
        spacing = modal_spacing(index)
    sizes = bar_sizes(index) if index.is_monotonic_increasing and index.is_unique else ()
    gaps: GapCounts = {}
    if spacing is not None:
        gaps = find_gaps(index, spacing, largest=_EXAMPLES)
    return QualityReport(
        rows=len(df),
        first=index[0],
        last=index[-1],
        timeframe=timeframe_name(spacing) if spacing is not None else None,
        volatility=volatility_summary(df),
        bar_sizes=sizes,
        refusal=refused,
        **gaps,
        **_price_checks(df),
        **loaded,
    )


def validate_for_backtest(df: pd.DataFrame, path: str | Path) -> None:
    """Refuse data a backtest (or any other mode) must not run on.

    The same rules as every other mode: :func:`backtrader_engine.data.validation.refusal`.

    Raises
    ------
    DataError
        With that one line: the first problem and, for a bad bar, its timestamp.
    """
    validate_candles(df, path)
