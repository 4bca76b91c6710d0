"""The look-ahead check of a study's best params (``engine/lookahead.py``), for its summary.

A study rewards whatever scores best, a leak from the future included: the best params are
replayed on truncated histories before anyone trades them, and the summary says whether
anything they decided or read changed when later bars were removed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    """The check's report, or why it could not run (the strategy raised, too few bars)."""

    report: LookaheadReport | None
    problem: str | None = None

    def as_dict(self) -> dict[str, object]:
        if self.report is None:
            return {"clean": None, "problem": self.problem}
        return self.report.as_dict()

    def line(self) -> str:
        if self.report is None:
            return f"look-ahead: not checked ({self.problem})"
        return lookahead_line(self.report)


def check_best_params(request: BacktestRequest, suggested: dict[str, object],
                      cuts: int = STUDY_CUTS) -> StudyLookahead:
    """Run the look-ahead check of *request*'s strategy with the best trial's *suggested*
    params (the fixed ones stay) on the study's whole data."""
    run = replace(request, params=trial_params(request, suggested))
    try:
        return StudyLookahead(check_lookahead(run, cuts))
    except (StrategyRunError, UserError) as exc:
        return StudyLookahead(None, error_line(exc))
