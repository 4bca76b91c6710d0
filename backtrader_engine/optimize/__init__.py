"""Parameter optimisation: parallel Optuna studies over backtests, with overfitting checks.

:func:`prepare_optimization` checks an :class:`OptimizeJob` and resolves it into a plan,
:func:`run_optimization` runs the study on worker processes (plus the out-of-sample and
walk-forward evaluations and the statistics), :func:`write_outputs` writes the summary, the
trials table, ``best_params.json`` and the plots. ``python optimize.py`` and
``python -m backtrader_engine optimize`` do all three. See ``docs/optimization.md``.
"""

from backtrader_engine.optimize.objectives import (
    DEFAULT_METRIC,
    METRICS,
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
