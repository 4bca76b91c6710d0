"""Parameter optimisation: parallel Optuna studies over backtests, with overfitting checks.

:func:`prepare_optimization` checks an :class:`OptimizeJob` and resolves it into a plan,
:func:`run_optimization` runs the study on worker processes (plus the out-of-sample and
walk-forward evaluations and the statistics), :func:`write_outputs` writes the summary, the
trials table, ``best_params.json`` and the plots. ``python optimize.py`` and
``python -m backtrader_engine optimize`` do all three. See ``docs/optimization.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real imports, for type checkers and readers
    from backtrader_engine.optimize.choices import DEFAULT_METRIC, METRICS
    from backtrader_engine.optimize.objectives import (
        PENALTY,
        TrialOutcome,
        evaluate,
        score,
    )
    from backtrader_engine.optimize.outputs import best_params_document, write_outputs
    from backtrader_engine.optimize.plan import OptimizationPlan, OptimizeJob, prepare_optimization
    from backtrader_engine.optimize.pool import StudyRun, run_study
    from backtrader_engine.optimize.progress import ProgressLine, StudyProgress
    from backtrader_engine.optimize.runner import OptimizationResult, run_optimization
    from backtrader_engine.optimize.storage import (
        create_or_load_study,
        default_storage,
        mask_storage,
        open_storage,
    )
    from backtrader_engine.optimize.summary import build_summary
    from backtrader_engine.optimize.summary_text import format_table
    from backtrader_engine.optimize.trials import BestTrial, select_best, trials_frame
    from backtrader_engine.optimize.worker import StudyTask

#: Where each public name lives. Loaded on first use (PEP 562), so importing one light
#: submodule (``optimize.choices`` for the parser's names) does not load Optuna, pandas,
#: matplotlib and backtrader through this package.
_WHERE: dict[str, str] = {
    "DEFAULT_METRIC": "backtrader_engine.optimize.choices",
    "METRICS": "backtrader_engine.optimize.choices",
    "PENALTY": "backtrader_engine.optimize.objectives",
    "BestTrial": "backtrader_engine.optimize.trials",
    "OptimizationPlan": "backtrader_engine.optimize.plan",
    "OptimizationResult": "backtrader_engine.optimize.runner",
    "OptimizeJob": "backtrader_engine.optimize.plan",
    "ProgressLine": "backtrader_engine.optimize.progress",
    "StudyProgress": "backtrader_engine.optimize.progress",
    "StudyRun": "backtrader_engine.optimize.pool",
    "StudyTask": "backtrader_engine.optimize.worker",
    "TrialOutcome": "backtrader_engine.optimize.objectives",
    "best_params_document": "backtrader_engine.optimize.outputs",
    "build_summary": "backtrader_engine.optimize.summary",
    "create_or_load_study": "backtrader_engine.optimize.storage",
    "default_storage": "backtrader_engine.optimize.storage",
    "evaluate": "backtrader_engine.optimize.objectives",
    "format_table": "backtrader_engine.optimize.summary_text",
    "mask_storage": "backtrader_engine.optimize.storage",
    "open_storage": "backtrader_engine.optimize.storage",
    "prepare_optimization": "backtrader_engine.optimize.plan",
    "run_optimization": "backtrader_engine.optimize.runner",
    "run_study": "backtrader_engine.optimize.pool",
    "score": "backtrader_engine.optimize.objectives",
    "select_best": "backtrader_engine.optimize.trials",
    "trials_frame": "backtrader_engine.optimize.trials",
    "write_outputs": "backtrader_engine.optimize.outputs",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value

__all__ = [
    "DEFAULT_METRIC",
    "METRICS",
    "PENALTY",
    "BestTrial",
    "OptimizationPlan",
    "OptimizationResult",
    "OptimizeJob",
    "ProgressLine",
    "StudyProgress",
    "StudyRun",
    "StudyTask",
    "TrialOutcome",
    "best_params_document",
    "build_summary",
    "create_or_load_study",
    "default_storage",
    "evaluate",
    "format_table",
    "mask_storage",
    "open_storage",
    "prepare_optimization",
    "run_optimization",
    "run_study",
    "score",
    "select_best",
    "trials_frame",
    "write_outputs",
]
