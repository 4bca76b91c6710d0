"""Parallel TPE against serial TPE for the same trial budget: is the best value as good?

Run: ``python bench/parallel_tpe.py [--seeds 5] [--trials 40] [--bars 3000] [--simulated 50]``

The same study (RSIEMAMomentumStrategy, its declared search space, metric RMD, at least 5
trades, no out-of-sample split) on the first ``--bars`` bundled BTC 1h candles, for each seed
``1..--seeds`` and each way of running TPE:

- ``serial``: ``--n-jobs 1`` (each trial sees every earlier result);
- ``2 jobs, constant liar``: ``--n-jobs 2`` with ``constant_liar`` alone;
- ``2 jobs, no liar``: ``--n-jobs 2`` with neither (the plain sampler of a 1-job study);
- ``2 jobs, liar + multivariate``: ``--n-jobs 2`` as ``bte optimize`` runs it.

Every run gets exactly ``--trials`` trials. Prints, per way, the mean and the median over the
seeds of the best eligible value (higher is better), and the per-seed values. Two workers do
not run in lockstep, so the parallel figures vary a little from one run of the bench to the
next; the serial ones are reproducible.

Backtest scores differ a lot from seed to seed, so a handful of seeds cannot tell small
differences apart. ``--simulated N`` adds a second, deterministic comparison over N seeds that
takes seconds: the same search space and samplers, driven through ask/tell with two workers in
strict alternation (each trial is asked while the other worker's trial still runs, as with
``--n-jobs 2``), on a fixed smooth score with one best point (1.0 at the optimum) instead of a
backtest.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import optuna

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backtrader_engine.data import default_dataset, load_ohlcv  # noqa: E402
from backtrader_engine.engine.job import BacktestJob  # noqa: E402
from backtrader_engine.optimize import (  # noqa: E402
    OptimizeJob,
    ProgressLine,
    create_or_load_study,
    open_storage,
    prepare_optimization,
    run_study,
    samplers,  # noqa: E402
    select_best,
)

STRATEGY = "RSIEMAMomentumStrategy"
FEES = (0.00055, 0.0002)
# (label, workers, TPE options for that many workers)
WAYS: list[tuple[str, int, Callable[[int], dict[str, bool]]]] = [
    ("serial", 1, samplers.tpe_options),
    ("2 jobs, constant liar", 2, lambda n: {"constant_liar": True, "multivariate": False}),
    ("2 jobs, no liar", 2, lambda n: {"constant_liar": False, "multivariate": False}),
    ("2 jobs, liar + multivariate", 2, samplers.tpe_options),
]


def best_value(n_jobs: int, seed: int, trials: int, bars: int, out: Path) -> float:
    """The best eligible value of one study (a penalised-only study counts as -inf)."""
    frame = load_ohlcv(default_dataset())
    end = frame.index[min(bars, len(frame)) - 1].isoformat()
    job = OptimizeJob(
        backtest=BacktestJob(strategy=STRATEGY, end=end), n_jobs=n_jobs, trials=trials,
        seed=seed, oos_fraction=0.0, min_trades=5, out=out, plots=False,
        study_name=f"bench-{n_jobs}-{seed}")
    plan = prepare_optimization(job, FEES)
    storage = open_storage(plan.storage)
    study = create_or_load_study(storage, plan.storage, plan.study_name,
                                 plan.fingerprint(plan.in_sample))
    run_study(plan.task(plan.in_sample, plan.study_name), study, storage, n_jobs=n_jobs,
              trials=trials, line=ProgressLine(stream=io.StringIO()))
    best = select_best(study.get_trials(deepcopy=False))
    return float("-inf") if best is None else best.value


def simulated_score(params: dict[str, object], space: dict) -> float:
    """1.0 at a fixed point of the space, falling smoothly with the normalised distance."""
    distance = 0.0
    for index, (name, spec) in enumerate(space.items()):
        value = params[name]
        if isinstance(value, bool):
            distance += 0.0 if value else 0.25
            continue
        target = 0.2 + 0.6 * ((index * 0.37) % 1.0)
        distance += ((float(value) - spec.low) / (spec.high - spec.low) - target) ** 2
    return 1.0 - distance / len(space)


def simulated_best(n_jobs: int, seed: int, trials: int) -> float:
    """Best score of one ask/tell study with *n_jobs* alternating workers (1 or 2)."""
    from backtrader_engine.strategies import resolve_strategy, space_of

    space = space_of(resolve_strategy(STRATEGY))
    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(storage=storage, study_name="sim", direction="maximize")
    workers = [optuna.load_study(study_name="sim", storage=storage,
                                 sampler=samplers.build_sampler("tpe", seed + i, n_jobs))
               for i in range(n_jobs)]
    running: list[tuple[optuna.Study, optuna.Trial]] = []
    for number in range(trials):
        study = workers[number % n_jobs]
        trial = study.ask()
        params = {name: spec.suggest(trial, name) for name, spec in space.items()}
        trial.set_user_attr("score", simulated_score(params, space))
        running.append((study, trial))
        # With two workers the oldest trial finishes only after the next one was asked.
        if len(running) == n_jobs:
            done_study, done = running.pop(0)
            done_study.tell(done, done.user_attrs["score"])
    for done_study, done in running:
        done_study.tell(done, done.user_attrs["score"])
    return float(workers[0].best_value)


def simulated(seeds: int, trials: int) -> None:
    print(f"simulated score, {trials} trials, {seeds} seeds (deterministic)")
    serial = None
    for label, n_jobs, options in WAYS:
        samplers.tpe_options = options  # type: ignore[assignment]
        values = [simulated_best(n_jobs, seed, trials) for seed in range(1, seeds + 1)]
        mean, median = statistics.mean(values), statistics.median(values)
        serial = mean if serial is None else serial
        print(f"  {label:<30} mean {mean:.4f}  median {median:.4f}  "
              f"vs serial {mean - serial:+.4f}", flush=True)
    samplers.tpe_options = WAYS[0][2]  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--bars", type=int, default=3000)
    parser.add_argument("--simulated", type=int, default=0, metavar="N",
                        help="also the deterministic comparison over N seeds")
    parser.add_argument("--no-backtests", action="store_true",
                        help="only the simulated comparison")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.simulated:
        simulated(args.simulated, args.trials)
    if args.no_backtests:
        return
    seeds = range(1, args.seeds + 1)
    print(f"{STRATEGY}, metric rmd, {args.bars} bars, {args.trials} trials, seeds "
          f"{seeds[0]}..{seeds[-1]}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, n_jobs, options in WAYS:
            # Workers are forked on Linux: they build their sampler with the options set here.
            samplers.tpe_options = options  # type: ignore[assignment]
            values = [best_value(n_jobs, seed, args.trials, args.bars,
                                 Path(tmp) / f"{label}-{seed}".replace(" ", "_").replace(",", ""))
                      for seed in seeds]
            rows.append((label, values))
            print(f"  {label:<30} mean {statistics.mean(values):7.3f}  median "
                  f"{statistics.median(values):7.3f}  per seed "
                  f"{' '.join(f'{v:.3f}' for v in values)}", flush=True)
    serial = statistics.mean(rows[0][1])
    for label, values in rows[1:]:
        print(f"{label}: mean best {statistics.mean(values) - serial:+.3f} vs serial")


if __name__ == "__main__":
    main()
