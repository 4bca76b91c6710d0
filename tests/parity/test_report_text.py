"""The parity table sizes its columns to their content: no price or name is cut."""

from __future__ import annotations

from pathlib import Path

from backtrader_engine.parity.check import AccountParity, Difference, ParityReport
from backtrader_engine.parity.ledger_side import AccountMeta
from backtrader_engine.parity.report_text import format_report

LONG = "VeryLongMultiTimeframeMomentumBreakoutStrategy:1000PEPEUSDT"
ENTRY = 1_700_000_000_000


def _report() -> ParityReport:
    meta = AccountMeta(LONG, "momentum", "VeryLongMultiTimeframeMomentumBreakoutStrategy",
                       "1000PEPEUSDT", "1m", "1", (), 1_000_000.0, {})
    diffs = [
        Difference(LONG, "matched", "long", ENTRY, "entry_price", 233456.78, 233457.91,
                   "unexplained", note="the paper fill is above the bar's high"),
        Difference(LONG, "missing", "long", ENTRY, "trade",
                   {"side": "long", "size": 0.012345, "entry_price": 1234567.125}, None,
                   "warmup"),
        Difference(LONG, "matched", "short", ENTRY, "net_pnl", 123456.5, -98765.25, "fees"),
    ]
    account = AccountParity(meta, {"live": 1234567, "warmup": 10}, [], [], [], [], [],
                            diffs)
    return ParityReport(Path("state/desk"), Path("state/desk/ledger.sqlite"), "book",
                        [account])


def test_long_names_and_six_digit_prices_are_shown_whole() -> None:
    text = format_report(_report())
    lines = text.splitlines()
    assert sum(LONG in line for line in lines) == 4  # the summary row and three differences
    assert "233456.78" in text and "233457.91" in text
    assert "long 0.012345 @ 1234567.125" in text
    assert "123456.5" in text and "-98765.25" in text
    assert "+1.13" in text  # paper minus backtest of the entry price
    assert "1234567" in text
    # Each table's header and rows line up: every column starts at the same place.
    header = next(i for i, line in enumerate(lines) if line.startswith("sub-account"))
    assert lines[header + 1].index(" 1234567 ") < lines[header].index("trades")
    diff_header = next(i for i, line in enumerate(lines) if line.startswith("sub-account")
                       and "cause" in line)
    cause_at = lines[diff_header].index("cause")
    assert lines[diff_header + 1][cause_at:] == "unexplained"
    assert lines[diff_header + 2].strip() == "the paper fill is above the bar's high"
    assert lines[diff_header + 2].startswith(" " * (len(LONG) + 1))
    assert lines[diff_header + 3][cause_at:] == "warmup"
    assert lines[diff_header + 4][cause_at:] == "fees"
    assert not any(line != line.rstrip() for line in lines)
