"""The names ``bte optimize`` offers (metrics, samplers, pruners) and its defaults.

Kept apart from the modules that use them, and free of heavy imports, so that building the
command's parser (``--help``, and every argument error) does not load Optuna, pandas,
matplotlib and backtrader first.
"""

from __future__ import annotations

#: ``--metric`` name -> the backtest metric it reads; every one is maximised.
METRICS: dict[str, str] = {
    "rmd": "rmd",
    "sharpe": "sharpe",
    "sortino": "sortino",
    "calmar": "calmar",
    "return": "total_return_pct",
    "profit_factor": "profit_factor",
}
DEFAULT_METRIC = "rmd"

#: Metrics a study minimises: allowed only in a ``--metric`` list next to one it maximises,
#: since minimised alone they favour trading nothing at all.
MINIMISED: dict[str, str] = {"max_drawdown_pct": "max_drawdown_pct"}

DEFAULT_SAMPLER = "tpe"
#: ``--sampler`` name -> one-line description (``bte optimize --help``, docs).
SAMPLERS: dict[str, str] = {
    "tpe": "Tree-structured Parzen Estimator (default); constant liar and multivariate when "
           "--n-jobs > 1",
    "random": "independent uniform draws: a baseline, and good for the first look",
    "cmaes": "CMA-ES on the numeric params; categoricals are drawn independently",
    "qmc": "scrambled Sobol points: covers the space evenly, no learning",
    "nsga2": "genetic NSGA-II; made for several objectives, also runs on one",
}

#: ``--pruner`` names; ``none`` runs every trial to the end.
PRUNERS = ("none", "median", "hyperband")
DEFAULT_PRUNER = "none"

#: Pareto-front points validated out of sample by default (``--pick``).
DEFAULT_PICK = 3

#: Seconds between progress lines when stderr is not a terminal (``--progress-every``).
PROGRESS_EVERY = 5.0
