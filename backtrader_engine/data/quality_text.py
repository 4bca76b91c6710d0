"""Plain-text rendering of a :class:`QualityReport` for ``data check``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtrader_engine.data.quality import QualityReport
from backtrader_engine.data.validation import MAX_VALUE

_VERDICTS = {
    "ok": "OK: no problems found",
    "info": "OK: nothing to fix (see notes)",
    "warning": "WARNING: usable, but review the findings",
    "error": "ERROR: refused by backtest, optimize, paper and replay",
}


def _stamp(value: pd.Timestamp | None) -> str:
    return "-" if value is None else f"{value} UTC"


def _examples(stamps: tuple[pd.Timestamp, ...]) -> str:
    return f" (first: {', '.join(str(s) for s in stamps)})" if stamps else ""


def _volatility_line(report: QualityReport) -> str:
    vol = report.volatility
    if vol is None:
        return "not enough bars for ATR(14)"
    return (
        f"ATR(14) median {vol.atr_pct_median:.2f}% of close, 95th pct {vol.atr_pct_p95:.2f}%; "
        f"largest move {vol.max_move_pct:+.2f}% at {vol.max_move_at}"
    )


def _summary_rows(report: QualityReport) -> list[tuple[str, str]]:
    nans = ", ".join(f"{col} {n}" for col, n in report.nan_counts.items() if n) or "none"
    volume_note = " (no volume column: filled with 0)" if report.volume_filled else ""
    return [
        ("format", report.source_format or "-"),
        ("rows", str(report.rows)),
        ("first bar", _stamp(report.first)),
        ("last bar", _stamp(report.last)),
        ("timeframe", report.timeframe or "-"),
        ("source order", report.source_order or "-"),
        ("duplicates dropped", str(report.duplicates_dropped)),
        ("gaps", f"{report.gap_count} ({report.missing_bars} missing bars)"),
        ("irregular spacing", str(report.irregular_count)),
        ("NaN values", nans),
        ("prices <= 0", f"{report.nonpositive_count}{_examples(report.nonpositive_examples)}"),
        ("high < low", f"{report.high_below_low_count}{_examples(report.high_below_low_examples)}"),
        (
            "open/close outside",
            f"{report.outside_range_count}{_examples(report.outside_range_examples)}",
        ),
        ("negative volume", str(report.negative_volume_count)),
        ("infinite values", str(report.infinite_count)),
        (f"values > {MAX_VALUE:g}", str(report.too_large_count)),
        ("bar sizes", ", ".join(f"{s.name} ({s.bars})" for s in report.bar_sizes) or "-"),
        ("zero-volume bars", f"{report.zero_volume_count}{volume_note}"),
        ("volatility", _volatility_line(report)),
    ]


def _gap_table(report: QualityReport) -> list[str]:
    if not report.largest_gaps:
        return []
    rows = [("first missing", "last missing", "bars")]
    rows += [(str(g.start), str(g.end), str(g.missing_bars)) for g in report.largest_gaps]
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["", "Largest gaps (UTC):"]
    for first, last, bars in rows:
        lines.append(f"  {first:<{width[0]}}  {last:<{width[1]}}  {bars:>{width[2]}}")
    return lines


def format_quality_report(report: QualityReport, path: str | Path) -> str:
    """Render a quality report as aligned plain text.

    Parameters
    ----------
    report : QualityReport
        As returned by :func:`backtrader_engine.data.check_quality`.
    path : str or pathlib.Path
        The data source, shown in the title.

    Returns
    -------
    str
        Several lines, no trailing newline: a summary table, the largest gaps, the findings
        by severity and a one-line verdict.
    """
    rows = _summary_rows(report)
    key_width = max(len(key) for key, _ in rows)
    lines = [f"Data quality report: {path}"]
    lines += [f"  {key:<{key_width}}  {value}" for key, value in rows]
    lines += _gap_table(report)
    findings = report.findings
    if findings:
        lines += ["", "Findings:"]
        lines += [f"  {f.severity.upper():<8} {f.message}" for f in findings]
    lines += ["", f"Result: {_VERDICTS[report.severity]}"]

    return "\n".join(lines)
