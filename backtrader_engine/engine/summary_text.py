"""A backtest's headline metrics as the two-column table the terminal prints.

The same run's files (``report.json``, the CSVs and plots) are written by :mod:`.report`.
"""

from __future__ import annotations

import pandas as pd

from backtrader_engine.engine.backtest import BacktestResult
from backtrader_engine.engine.rejections import describe_rejections
from backtrader_engine.risk import SignalCounts

# Rows whose values are amounts of money carry the currency in their label when it is known.
_MONEY_ROWS = frozenset({"final_value", "expectancy", "fees_paid", "funding_paid"})

_SUMMARY_ROWS = [
    ("final_value", "Final value", "{:,.2f}"),
    ("total_return_pct", "Total return %", "{:+.2f}"),
    ("cagr_pct", "CAGR %", "{:+.2f}"),
    ("max_drawdown_pct", "Max drawdown %", "{:.2f}"),
    ("max_drawdown_duration", "Max DD duration", "{}"),
    ("sharpe", "Sharpe (daily, ann.)", "{:.3f}"),
    ("sortino", "Sortino", "{:.3f}"),
    ("calmar", "Calmar", "{:.3f}"),
    ("rmd", "Return / max DD", "{:.3f}"),
    ("trades", "Closed trades", "{}"),
    ("win_rate_pct", "Win rate %", "{:.1f}"),
    ("profit_factor", "Profit factor", "{:.3f}"),
    ("expectancy", "Expectancy", "{:+.2f}"),
    ("sqn", "SQN", "{:.2f}"),
    ("exposure_pct", "Exposure %", "{:.1f}"),
    ("fees_paid", "Fees paid", "{:,.2f}"),
    ("funding_paid", "Funding paid", "{:,.2f}"),
    ("liquidations", "Liquidations", "{}"),
]


def format_summary(result: BacktestResult, instrument: str | None = None,
                   currency: str | None = None) -> str:
    """A two-column table of the headline metrics for the terminal.

    Parameters
    ----------
    result : BacktestResult
        The finished run.
    instrument : str, optional
        How to name what was traded, e.g. ``BTC-USD (Coinbase spot, USD)``; default: the
        request's symbol.
    currency : str, optional
        The data's quote currency, in which cash and every amount are counted; unknown
        (``None``) leaves the amounts without a unit rather than guess one.
    """
    request = result.request
    index = request.frame.index
    header = (f"{request.strategy.__name__}  {instrument or request.symbol} {request.timeframe}  "
              f"{index[0]:%Y-%m-%d %H:%M} -> {index[-1]:%Y-%m-%d %H:%M}  ({len(index)} bars)")
    lines = [header, _costs_line(request, currency)]
    if result.failure is not None:
        lines.append(partial_note(result))
    lines.append("-" * len(header))
    for key, label, fmt in _SUMMARY_ROWS:
        value = result.metrics.get(key)
        text = "n/a" if value is None else fmt.format(value)
        if currency and key in _MONEY_ROWS:
            label = f"{label} ({currency})"
        lines.append(f"  {label:<22}{text:>18}")
    lines.extend(_rejection_lines(result))
    if result.risk_hook is not None:
        lines.extend(_risk_lines(result.risk_hook.tally.total))
    return "\n".join(lines)


def partial_note(result: BacktestResult) -> str:
    """``PARTIAL: stopped at bar ... by an error in the strategy; ...`` for a failed run."""
    failure = result.failure
    assert failure is not None  # only a failed run (result.partial) has this note
    last = result.equity.index[-1] if len(result.equity) else None
    upto = f" (numbers cover the bars up to {last:%Y-%m-%d %H:%M})" if last is not None else ""
    if failure.bar_time is None:  # raised in stop(), after every bar ran
        return (f"PARTIAL: the strategy raised {failure.error_type} {failure.when}, so the run "
                f"did not end cleanly{upto}")
    return (f"PARTIAL: the run stopped early {failure.when} because the strategy raised "
            f"{failure.error_type}{upto}")


def _risk_lines(counts: SignalCounts) -> list[str]:
    """Rows of the risk gate's signal counts and rejection reasons for the summary table."""
    rows = [("Signals generated", counts.generated), ("  passed the gate", counts.passed),
            ("  executed", counts.executed), ("  rejected", counts.rejected),
            ("  cancelled/expired", counts.cancelled), ("  still open", counts.open)]
    lines = ["  Risk gate"]
    lines.extend(f"  {label:<22}{value:>18}" for label, value in rows)
    for reason, count in counts.as_dict()["rejection_reasons"].items():
        lines.append(f"    {reason:<20}{count:>18}")
    return lines


def _costs_line(request, currency: str | None = None) -> str:
    costs = request.costs
    if isinstance(costs.funding, pd.Series):
        funding = f"funding from {costs.funding_source or 'series'}"
    elif costs.funding:
        funding = f"funding {costs.funding:g} per {costs.funding_interval_hours:g}h"
    else:
        funding = "no funding"
    cash = f"cash {request.cash:,.0f}" + (f" {currency}" if currency else "")
    return (f"{cash}  leverage {costs.leverage:g}x  taker {costs.taker_fee:.4%}"
            f"  maker {costs.maker_fee:.4%}  slippage {costs.slippage_bps:g} bps  {funding}")


def _rejection_lines(result: BacktestResult) -> list[str]:
    """``Orders rejected  311 of 373`` and, when any were, what refused them."""
    count = f"{result.orders_rejected} of {result.orders_submitted}"
    lines = [f"  {'Orders rejected':<22}{count:>18}"]
    described = describe_rejections(result.rejections)
    if described:
        lines.append(f"    {described}")
    if result.sized_to_zero:
        calls = "call" if result.sized_to_zero == 1 else "calls"
        lines.append(f"    {result.sized_to_zero} order_target_* {calls} below one whole unit: "
                     "no order placed")
    if result.orders_resized:
        noun = "order" if result.orders_resized == 1 else "orders"
        lines.append(f"    {result.orders_resized} {noun} rounded down to the venue's quantity "
                     "step (--lot-rules)")
    return lines
