"""The warm-up check as text: one row per indicator, then the longest warm-up."""

from __future__ import annotations

from backtrader_engine.engine.warmup import REL_TOL, WarmupReport
from backtrader_engine.texttable import table


def format_warmup(report: WarmupReport) -> str:
    """The table (indicator, minperiod, bars to converge) and the maximum."""
    starts = ", ".join(str(s) for s in report.starts)
    lines = [f"warm-up of {report.strategy}: runs starting at bars {starts}, compared on "
             f"{report.compared} bars; values agree within relative {REL_TOL:g}"]
    rows = [(i.name, str(i.minperiod),
             str(i.converged_after) if i.converged_after is not None
             else f"> {report.compared}") for i in report.indicators]
    lines += table(("INDICATOR", "MINPERIOD", "BARS TO CONVERGE"), rows, "<>>")
    if report.unconverged:
        lines.append(f"not converged within {report.compared} bars: "
                     f"{', '.join(report.unconverged)} (their values keep depending on the "
                     f"start)")
    lines.append(f"warm-up needed: {report.needed} bars")
    return "\n".join(lines)


def warmup_warnings(report: WarmupReport, paper_warmup: int,
                    in_sample: int | None = None) -> list[str]:
    """``warning:`` lines when paper's warm-up history or a study's in-sample bars before
    its first trade are shorter than the warm-up needed."""
    warnings = []
    if paper_warmup < report.needed:
        warnings.append(f"warning: paper primes indicators with {paper_warmup} bars "
                        f"(--warmup-bars) but {report.strategy} needs {report.needed}; its "
                        f"first live values differ from a backtest's (run paper with "
                        f"--warmup-bars {report.needed})")
    if in_sample is not None and in_sample < report.needed:
        warnings.append(f"warning: the in-sample window has {in_sample} bars, fewer than the "
                        f"{report.needed} the indicators need to converge")
    return warnings
