"""The look-ahead check as text: what was compared, then each finding or ``clean``."""

from __future__ import annotations

from backtrader_engine.engine.lookahead import LookaheadReport
from backtrader_engine.texttable import table


def _time(value: object) -> str:
    return str(value)[:16]


def format_lookahead(report: LookaheadReport) -> str:
    """Lines such as::

        look-ahead check of RSIEMAMomentumStrategy: 20111 bars, 2017-07-01 11:00 to ...
        10 truncated histories (5 ending at a signal bar); 4570 signals and 15 lines compared
        clean: no signal or indicator value at or before a cut changed without the later bars
    """
    lines = [
        f"look-ahead check of {report.strategy}: {report.bars} bars, {_time(report.first)} "
        f"to {_time(report.last)}",
        f"{len(report.cuts)} truncated histories ({report.signal_cuts} ending at a signal bar); "
        f"{report.signals_checked} of {report.signals} signals and {len(report.lines)} "
        f"indicator line{'' if len(report.lines) == 1 else 's'} compared",
    ]
    if report.full_run_error is not None and report.full_run_stopped_at is not None:
        lines.append(f"note: the full run raised at bar {report.full_run_stopped_at} "
                     f"({report.full_run_error}); bars after it are not checked")
    if report.clean:
        lines.append("clean: no signal or indicator value at or before a cut changed when the "
                     "later bars were removed")
        return "\n".join(lines)
    lines.append(f"LOOK-AHEAD: {len(report.findings)} "
                 f"{'finding' if len(report.findings) == 1 else 'findings'}: values at a bar "
                 f"changed when only later bars were removed")
    # A signal or an error has no line name of its own: "-" rather than its kind twice.
    rows = [(f.kind, "-" if f.name == f.kind else f.name, str(f.bar), _time(f.time),
             _time(f.cut_time), f.full, f.truncated) for f in report.findings]
    lines += table(("KIND", "NAME", "FIRST BAR", "TIME", "HISTORY ENDS", "FULL HISTORY",
                    "TRUNCATED"), rows, "<<><<<<")
    lines.append(f"first: {report.findings[0].describe()}")
    return "\n".join(lines)


def lookahead_line(report: LookaheadReport) -> str:
    """One line for a summary: ``look-ahead: clean (10 cuts, 4570 signals)`` or the first
    finding."""
    if report.clean:
        return (f"look-ahead: clean ({len(report.cuts)} truncated histories, "
                f"{report.signals_checked} signals, {len(report.lines)} indicator lines)")
    return f"look-ahead: FOUND {len(report.findings)}: {report.findings[0].describe()}"
