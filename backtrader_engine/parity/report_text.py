"""The parity report as a readable table (the ``parity`` command's output)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from backtrader_engine.parity.check import CAUSES, Difference, ParityReport, iso
from backtrader_engine.texttable import number, table

#: Differences listed in the table; every one is in ``parity.json``.
SHOWN = 25


def _value(field: str, value: Any) -> str:
    if value is None:
        return "-"
    if field in ("entry_time", "exit_time"):
        return str(iso(value))[:19].replace("T", " ")
    if field == "trade":
        return (f"{value['side']} {number(float(value['size']))} @ "
                f"{number(float(value['entry_price']))}")
    return number(value) if isinstance(value, float) else str(value)


def _delta(diff: Difference) -> str:
    if diff.field == "trade" or diff.backtest is None or diff.paper is None:
        return ""
    if diff.field in ("entry_time", "exit_time"):
        return f"{(diff.paper - diff.backtest) / 1000:+.0f}s"
    delta = diff.paper - diff.backtest
    return ("+" if delta >= 0 else "") + number(delta, 8)


def _account_lines(report: ParityReport) -> list[str]:
    header = ("sub-account", "live", "trades bt/paper", "matched", "missing", "extra", "diffs",
              "unexpl.", "net PnL bt", "net PnL paper")
    rows = []
    for account in report.accounts:
        c = account.counts()
        bt = sum(t.net_pnl for t in account.backtest)
        paper = sum(t.net_pnl for t in account.paper)
        rows.append((account.account.name, str(account.bars["live"]),
                     f"{c['backtest_trades']}/{c['paper_trades']}", str(c["matched"]),
                     str(c["missing"]), str(c["extra"]), str(c["differences"]),
                     str(c["unexplained"]), f"{bt:.4f}", f"{paper:.4f}"))
    return table(header, rows, "<>>>>>>>>>")


def _difference_lines(report: ParityReport, shown: int) -> list[str]:
    diffs = report.differences
    if not diffs:
        return ["no differences: every round trip matches the backtest exactly"]
    # Unexplained ones first: they are what needs looking at.
    ordered = sorted(diffs, key=lambda d: d.cause != "unexplained")[:shown]
    title = "differences" if len(diffs) <= shown else (
        f"differences (first {shown} of {len(diffs)}, unexplained first; all in the report)")
    header = ("sub-account", "entry (UTC)", "side", "field", "backtest", "paper", "paper-bt",
              "cause")
    rows = [(d.account, _value("entry_time", d.entry_time)[:16], d.side, d.field,
             _value(d.field, d.backtest), _value(d.field, d.paper), _delta(d), d.cause)
            for d in ordered]
    head, *body = table(header, rows, "<<<<>>><")
    indent = " " * (max(len(r[0]) for r in (header, *rows)) + 1)
    lines = [title, head]
    for d, line in zip(ordered, body, strict=True):
        lines.append(line)
        if d.cause == "unexplained":
            lines.append(f"{indent}{d.note}")
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
