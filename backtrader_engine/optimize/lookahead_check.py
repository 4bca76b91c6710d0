"""The look-ahead check of a study's best params (``engine/lookahead.py``), for its summary.

A study rewards whatever scores best, a leak from the future included: the best params are
replayed on truncated histories before anyone trades them, and the summary says whether
anything they decided or read changed when later bars were removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from backtrader_engine.engine.backtest import BacktestRequest
from backtrader_engine.engine.lookahead import LookaheadReport, check_lookahead
from backtrader_engine.engine.lookahead_text import lookahead_line
from backtrader_engine.errors import UserError
from backtrader_engine.optimize.objectives import trial_params
from backtrader_engine.strategies.failure import StrategyRunError, error_line

#: Truncated histories replayed for a study: fewer than ``bte lookahead``'s default, as it
#: runs after every study.
STUDY_CUTS = 6


@dataclass(frozen=True)
class StudyLookahead:
    """The check's report, or why it could not run (the strategy raised, too few bars).

    A portfolio study is checked symbol by symbol (each strategy instance sees only its own
    symbol's candles): ``by_symbol`` holds every symbol's report, and ``report`` is the first
    one with findings, or the first symbol's when all are clean.
    """

    report: LookaheadReport | None
    problem: str | None = None
    by_symbol: dict[str, LookaheadReport] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        if self.report is None:
            return {"clean": None, "problem": self.problem}
        if not self.by_symbol:
            return self.report.as_dict()
        return {"clean": all(r.clean for r in self.by_symbol.values()),
                "symbols": {symbol: r.as_dict() for symbol, r in self.by_symbol.items()}}

    def line(self) -> str:
        if self.report is None:
            return f"look-ahead: not checked ({self.problem})"
        if not self.by_symbol:
            return lookahead_line(self.report)
        dirty = [(symbol, r) for symbol, r in self.by_symbol.items() if not r.clean]
        if dirty:
            symbol, report = dirty[0]
            return lookahead_line(report).replace("look-ahead:", f"look-ahead ({symbol}):", 1)
        reports = self.by_symbol.values()
        return (f"look-ahead: clean on {len(self.by_symbol)} symbols ("
                f"{sum(len(r.cuts) for r in reports)} truncated histories, "
                f"{sum(r.signals_checked for r in reports)} signals, "
                f"{len(self.report.lines)} indicator lines each)")


def check_best_params(request: BacktestRequest, suggested: dict[str, object],
                      cuts: int = STUDY_CUTS) -> StudyLookahead:
    """Run the look-ahead check of *request*'s strategy with the best trial's *suggested*
    params (the fixed ones stay) on the study's whole data (every symbol of a portfolio)."""
    params = trial_params(request, suggested)
    portfolio = request.portfolio
    try:
        if portfolio is None:
            return StudyLookahead(check_lookahead(replace(request, params=params), cuts))
        reports = {leg.symbol: check_lookahead(replace(portfolio.leg_request(leg),
                                                       params=params), cuts)
                   for leg in portfolio.legs}
    except (StrategyRunError, UserError) as exc:
        return StudyLookahead(None, error_line(exc))
    first = next((r for r in reports.values() if not r.clean), next(iter(reports.values())))
    return StudyLookahead(first, by_symbol=reports)
