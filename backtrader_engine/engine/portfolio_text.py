"""A portfolio backtest's per-symbol table for the terminal: one row per symbol and TOTAL.

Printed under the portfolio's headline summary (:mod:`.summary_text`); the same rows are
``report.json``'s ``symbols`` section.
"""

from __future__ import annotations

from collections.abc import Sequence

from backtrader_engine.engine.portfolio_breakdown import SymbolRow
from backtrader_engine.engine.rejections import describe_rejections
from backtrader_engine.texttable import table

_HEADER = ("Symbol", "Trades", "Win %", "PnL", "Return %", "Max DD %", "Fees", "Funding",
           "Rejected")


def _cells(row: SymbolRow) -> list[str]:
    win = "n/a" if row.win_rate_pct is None else f"{row.win_rate_pct:.1f}"
    return [row.symbol, str(row.trades), win, f"{row.net_pnl:+,.2f}",
            f"{row.return_contribution_pct:+.2f}", f"{row.max_drawdown_pct:.2f}",
            f"{row.fees:,.2f}", f"{row.funding:,.2f}",
            f"{row.orders_rejected} of {row.orders_submitted}"]


def format_symbol_table(rows: Sequence[SymbolRow], accounts: str) -> str:
    """The per-symbol table, then what refused each symbol's orders (when anything did).

    ``Return %`` is each symbol's PnL as a share of the portfolio's starting cash, so the
    symbols' figures add up to TOTAL's.
    """
    title = ("Per symbol (one shared account)" if accounts == "shared"
             else "Per symbol (one sub-account each, cash split equally)")
    lines = [title]
    lines.extend("  " + line for line in table(_HEADER, [_cells(row) for row in rows],
                                              "<>>>>>>>>"))
    for row in rows:
        if row.symbol != "TOTAL" and row.orders_rejected:
            lines.append(f"  {row.symbol}: {describe_rejections(row.rejected_by_reason)}")
    return "\n".join(lines)
