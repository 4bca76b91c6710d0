"""``paper`` refuses a strategy that fails the look-ahead check (``engine/lookahead.py``),
unless ``--allow-lookahead`` is given.

A strategy that reads the future backtests well and can only disappoint live, so it is
stopped before anything connects. The check runs on the bundled BTC 1h candles (the last
:data:`CHECK_BARS` of them), whatever the session will trade: look-ahead is a property of
the strategy's code, not of the market, and the bundled candles are there offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from backtrader_engine.errors import UserError

#: Bars of the bundled candles the check runs on: a second or two per strategy.
CHECK_BARS = 2000
#: The bundled candles' bar size.
CHECK_TIMEFRAME = "1h"
#: Truncated histories replayed per strategy.
CHECK_CUTS = 4

# One check per strategy and params for the life of the process.
_checked: dict[tuple[str, str], str | None] = {}


def check_paper_strategies(accounts: Sequence[Any], notes: list[str]) -> None:
    """Refuse the first account's strategy whose check finds look-ahead.

    Parameters
    ----------
    accounts : sequence of AccountSpec
        The session's strategy × symbol sub-accounts (``strategy`` class and ``params``).
    notes : list of str
        Where a check that could not run (a strategy needing more bars) is noted.

    Raises
    ------
    UserError
        Naming the strategy, the first finding and ``--allow-lookahead``.
    """
    for account in accounts:
        finding = _finding(account.strategy, account.params,
                           tuple(account.confirm_timeframes), notes)
        if finding is not None:
            raise UserError(f"{account.strategy.__name__} fails the look-ahead check: "
                            f"{finding}; fix the strategy (bte lookahead --strategy "
                            f"{account.strategy_spec} shows every finding) or pass "
                            f"--allow-lookahead")


def _finding(strategy: type, params: Mapping[str, Any], confirm: tuple[str, ...],
             notes: list[str]) -> str | None:
    key = (f"{strategy.__module__}.{strategy.__qualname__}",
           repr((sorted(params.items()), confirm)))
    if key not in _checked:
        _checked[key] = _run_check(strategy, params, confirm, notes)
    return _checked[key]


def _run_check(strategy: type, params: Mapping[str, Any], confirm: tuple[str, ...],
               notes: list[str]) -> str | None:
    from backtrader_engine.data import default_dataset, load_ohlcv, parse_timeframe
    from backtrader_engine.engine.backtest import BacktestRequest
    from backtrader_engine.engine.lookahead import check_lookahead
    from backtrader_engine.strategies.failure import StrategyRunError, error_line

    # Confirmation feeds no longer than the bundled candles' bars cannot be made from them:
    # the check runs without those (a strategy that needs them is noted as not checked).
    longer = tuple(tf for tf in confirm
                   if parse_timeframe(tf) > parse_timeframe(CHECK_TIMEFRAME))
    frame = load_ohlcv(default_dataset()).iloc[-CHECK_BARS:]
    request = BacktestRequest(strategy=strategy, frame=frame, timeframe=CHECK_TIMEFRAME,
                              params=dict(params), confirm_timeframes=longer)
    try:
        report = check_lookahead(request, CHECK_CUTS)
    except (UserError, StrategyRunError) as exc:
        notes.append(f"note: {strategy.__name__} was not checked for look-ahead "
                     f"({error_line(exc)})")
        return None
    if report.clean:
        return None
    return report.findings[0].describe()
