"""The Optuna sampler a study runs with: ``--sampler tpe|random|cmaes|qmc|nsga2``.

Each worker process builds its own sampler (:func:`build_sampler`) with seed ``seed + i``, so
workers explore different points and a one-worker run with ``--seed`` is reproducible. The
sampler is not stored with the study: a resumed study may use another one, and the summary
records which one each run used (:func:`describe_sampler`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import optuna
from optuna.samplers import BaseSampler

from backtrader_engine.errors import UserError
from backtrader_engine.optimize.choices import SAMPLERS
from backtrader_engine.strategies import CategoricalParam, ParamSpec

#: Samplers that model numeric params jointly and draw categoricals on their own.
_NUMERIC_ONLY = ("cmaes", "qmc")


def check_sampler(name: str, metrics: tuple[str, ...] = ()) -> None:
    """Refuse an unknown sampler name (argparse's ``choices`` does so on the command line),
    and CMA-ES on a study of several *metrics* (Optuna's CmaEsSampler is single-objective and
    would fail every trial)."""
    if name not in SAMPLERS:
        raise UserError(f"--sampler {name!r}: expected one of {', '.join(SAMPLERS)}")
    if name == "cmaes" and len(metrics) > 1:
        raise UserError(f"--sampler cmaes: a study of several metrics ({','.join(metrics)}) "
                        "needs a multi-objective sampler; use nsga2, tpe, random or qmc")


def tpe_options(n_jobs: int) -> dict[str, bool]:
    """The TPE settings for *n_jobs* workers.

    With several workers, a worker asking for a trial while others are still running would
    otherwise pick near the same promising point as them: ``constant_liar`` counts the running
    trials as bad results, so the workers spread out. That alone costs some of the best value a
    serial study reaches on the same budget; ``multivariate`` (one joint density over all
    params instead of one per param) wins it back: ``bench/parallel_tpe.py`` measured the
    liar alone 0.0079 below serial and liar + multivariate 0.0001 above it (30 seeds, 40
    trials; docs/optimization.md has the figures). A 1-job study keeps the plain sampler, so
    its seeded results stay as they were.
    """
    parallel = n_jobs > 1
    return {"constant_liar": parallel, "multivariate": parallel}


def build_sampler(name: str, seed: int | None, n_jobs: int = 1) -> BaseSampler:
    """A fresh sampler of kind *name* for one worker.

    Parameters
    ----------
    name : str
        One of :data:`SAMPLERS`.
    seed : int or None
        This worker's seed (``--seed`` plus the worker number).
    n_jobs : int
        Workers of the study (TPE uses a constant liar when there are several).

    Returns
    -------
    optuna.samplers.BaseSampler
    """
    check_sampler(name)
    if name == "tpe":
        options = tpe_options(n_jobs)
        return optuna.samplers.TPESampler(seed=seed, constant_liar=options["constant_liar"],
                                          multivariate=options["multivariate"])
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "cmaes":
        # The parent warns once about categoricals (categorical_note); per-trial warnings
        # from every worker would bury the progress line.
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if name == "qmc":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            # Scrambling is what lets the seed matter: unscrambled Sobol points are the same
            # for every seed.
            return optuna.samplers.QMCSampler(scramble=True, seed=seed,
                                              warn_independent_sampling=False,
                                              warn_asynchronous_seeding=False)
    return optuna.samplers.NSGAIISampler(seed=seed)


def categorical_note(name: str, space: Mapping[str, ParamSpec]) -> str | None:
    """The one warning a run with *name* on *space* deserves, or None.

    CMA-ES and QMC work on numbers; the categorical params of the space are drawn independently
    (at random) by them, trial after trial, without learning from the results.
    """
    if name not in _NUMERIC_ONLY:
        return None
    categoricals = [key for key, spec in space.items() if isinstance(spec, CategoricalParam)]
    if not categoricals:
        return None
    return (f"--sampler {name} draws the categorical params {', '.join(categoricals)} "
            "independently at random (it models numeric params only); use tpe to learn them")


def describe_sampler(name: str, seed: int | None, n_jobs: int) -> dict[str, object]:
    """What the summary records about the sampler of this run."""
    out: dict[str, object] = {"name": name, "seed": seed,
                              "worker_seeds": None if seed is None
                              else [seed + i for i in range(n_jobs)]}
    if name == "tpe":
        out.update(tpe_options(n_jobs))
    return out
