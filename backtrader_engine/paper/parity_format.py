"""The parity report as a readable table (the ``parity`` command's output)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from backtrader_engine.paper.parity import CAUSES, Difference, ParityReport, iso

#: Differences listed in the table; every one is in ``parity.json``.
SHOWN = 25


def _value(field: str, value: Any) -> str:
    if value is None:
        return "-"
    if field in ("entry_time", "exit_time"):
        return str(iso(value))[:19].replace("T", " ")
    if field == "trade":
        return f"{value['side']} {value['size']:.6g} @ {value['entry_price']:.8g}"
    return f"{value:.8g}" if isinstance(value, float) else str(value)


def _delta(diff: Difference) -> str:
    if diff.field == "trade" or diff.backtest is None or diff.paper is None:
        return ""
    if diff.field in ("entry_time", "exit_time"):
        return f"{(diff.paper - diff.backtest) / 1000:+.0f}s"
    return f"{diff.paper - diff.backtest:+.4g}"


def _account_lines(report: ParityReport) -> list[str]:
    lines = [f"{'sub-account':<38} {'live':>6} {'trades bt/paper':>15} {'matched':>7} "
             f"{'missing':>7} {'extra':>5} {'diffs':>6} {'unexpl.':>7} {'net PnL bt':>11} "
             f"{'net PnL paper':>13}"]
    for account in report.accounts:
        c = account.counts()
        bt = sum(t.net_pnl for t in account.backtest)
        paper = sum(t.net_pnl for t in account.paper)
        trades = f"{c['backtest_trades']}/{c['paper_trades']}"
        lines.append(f"{account.account.name:<38} {account.bars['live']:>6} {trades:>15} "
                     f"{c['matched']:>7} {c['missing']:>7} {c['extra']:>5} "
                     f"{c['differences']:>6} {c['unexplained']:>7} {bt:>11.4f} {paper:>13.4f}")
    return lines


def _difference_lines(report: ParityReport, shown: int) -> list[str]:
    diffs = report.differences
    if not diffs:
        return ["no differences: every round trip matches the backtest exactly"]
    # Unexplained ones first: they are what needs looking at.
    ordered = sorted(diffs, key=lambda d: d.cause != "unexplained")[:shown]
    title = "differences" if len(diffs) <= shown else (
        f"differences (first {shown} of {len(diffs)}, unexplained first; all in the report)")
    lines = [title, f"{'sub-account':<34} {'entry (UTC)':<16} {'side':<5} {'field':<11} "
                    f"{'backtest':>16} {'paper':>16} {'paper-bt':>11}  cause"]
    for d in ordered:
        lines.append(f"{d.account[:34]:<34} {_value('entry_time', d.entry_time)[:16]:<16} "
                     f"{d.side:<5} {d.field:<11} {_value(d.field, d.backtest)[:16]:>16} "
                     f"{_value(d.field, d.paper)[:16]:>16} {_delta(d)[:11]:>11}  {d.cause}")
        if d.cause == "unexplained":
            lines.append(f"{'':<34} {d.note}")
    return lines


def format_report(report: ParityReport, path: Path | None = None, *,
                  shown: int = SHOWN) -> str:
    """The summary table, the differences (up to *shown*), the causes and the verdict."""
    lines = [f"parity of {report.state_dir} (fill model {report.fill_model}) against the "
             "backtester", "", *_account_lines(report), "", *_difference_lines(report, shown)]
    causes = Counter(d.cause for d in report.differences)
    if causes:
        lines += ["", "causes: " + ", ".join(f"{c} {causes[c]}" for c in CAUSES if causes[c])]
    lines.append("")
    if not report.explained:
        lines.append(f"{report.unexplained} difference(s) unexplained")
    elif report.differences:
        lines.append("every difference is explained")
    if path is not None:
        lines.append(f"report written to {path}")
    lines.append(f"repeat: bte parity --state {report.state_dir}")
    return "\n".join(lines)
