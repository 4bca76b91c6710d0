"""Study throughput: worker processes against Optuna's threads, and per-trial overhead.

Run: ``python bench/study_scaling.py [--trials 16] [--bars 20000]``

The same study (RSIEMAMomentumStrategy, its declared search space, metric RMD, seed 1, no
out-of-sample split) on the bundled BTC 1h candles, four ways in one run:

- ``naive threads``: what users often write first: ``study.optimize(n_jobs=2)`` (threads) with a
  fresh ``bt.feeds.PandasData`` Cerebro per trial (stock broker, ``setcommission``, DrawDown
  analyzer for RMD);
- ``--n-jobs 1`` and ``--n-jobs 2``: this package's study runner (worker processes, one journal
  storage, data handed to each worker once);
- ``bare``: ``run_backtest`` of the exact params of the ``--n-jobs 1`` trials, back to back in
  this process, data already in memory. Per-trial overhead = the study's trial durations (as
  Optuna recorded them) over these.

Prints trials/s, the ratios and the per-trial overhead.

``python bench/study_scaling.py --pruning [--trials 40] [--bars 10000]`` compares pruning
instead: the same ``--n-jobs 1`` study (same seed, same trial budget) with ``--pruner none``,
``median`` and ``hyperband``, printing each one's time, its pruned trials and its best value
and trial (a pruner may cut the trial that would have been best: then the bests differ, and
the table shows it), and the cost of the checkpoint analyzer on one backtest that is never
pruned.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import backtrader as bt
import optuna

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backtrader_engine.data import default_dataset, load_ohlcv  # noqa: E402
from backtrader_engine.engine.backtest import run_backtest  # noqa: E402
from backtrader_engine.engine.job import BacktestJob  # noqa: E402
from backtrader_engine.optimize import (  # noqa: E402
    OptimizeJob,
    ProgressLine,
    create_or_load_study,
    open_storage,
    prepare_optimization,
    run_study,
)
from backtrader_engine.optimize.objectives import trial_params  # noqa: E402
from backtrader_engine.optimize.pruning import (  # noqa: E402
    PRUNERS,
    Checkpoints,
    checkpoint_bars,
)
from backtrader_engine.optimize.trials import select_best  # noqa: E402
from backtrader_engine.strategies import resolve_strategy, space_of  # noqa: E402

STRATEGY = "RSIEMAMomentumStrategy"
FEES = (0.00055, 0.0002)


def plan_for(n_jobs: int, trials: int, bars: int, out: Path, pruner: str = "none"):
    frame = load_ohlcv(default_dataset())
    end = frame.index[min(bars, len(frame)) - 1].isoformat()
    job = OptimizeJob(
        backtest=BacktestJob(strategy=STRATEGY, end=end, funding="0", slippage_bps=0.0),
        n_jobs=n_jobs, trials=trials, seed=1, oos_fraction=0.0, min_trades=0,
        out=out, plots=False, study_name=f"bench-{n_jobs}", pruner=pruner,
    )
    return prepare_optimization(job, FEES)


def run_ours(n_jobs: int, trials: int, bars: int, out: Path,
             pruner: str = "none") -> tuple[float, optuna.Study, object]:
    plan = plan_for(n_jobs, trials, bars, out, pruner)
    storage = open_storage(plan.storage)
    study = create_or_load_study(storage, plan.storage, plan.study_name,
                                 plan.fingerprint(plan.in_sample))
    task = plan.task(plan.in_sample, plan.study_name)
    start = time.perf_counter()
    run_study(task, study, storage, n_jobs=n_jobs, trials=trials,
              line=ProgressLine(stream=io.StringIO()))
    return time.perf_counter() - start, study, plan


def run_naive(trials: int, bars: int) -> float:
    frame = load_ohlcv(default_dataset()).iloc[:bars]
    strategy = resolve_strategy(STRATEGY)
    space = space_of(strategy)

    def objective(trial: optuna.Trial) -> float:
        params = {name: spec.suggest(trial, name) for name, spec in space.items()}
        cerebro = bt.Cerebro()
        cerebro.adddata(bt.feeds.PandasData(dataname=frame))
        cerebro.addstrategy(strategy, **params)
        cerebro.broker.setcash(10_000.0)
        cerebro.broker.setcommission(commission=FEES[0])
        cerebro.addanalyzer(bt.analyzers.DrawDown, _name="dd")
        result = cerebro.run()[0]
        total = (cerebro.broker.getvalue() / 10_000.0 - 1.0) * 100.0
        worst = result.analyzers.dd.get_analysis().max.drawdown
        return total / worst if worst else 0.0

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=1))
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials, n_jobs=2)
    return time.perf_counter() - start


def bare_seconds(study: optuna.Study, plan) -> tuple[float, float]:
    """(sum of bare backtest seconds, sum of the study's recorded trial seconds)."""
    bare = recorded = 0.0
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        request = plan.request
        run = replace(request, frame=plan.in_sample, params=trial_params(request, trial.params))
        start = time.perf_counter()
        run_backtest(run)
        bare += time.perf_counter() - start
        recorded += (trial.datetime_complete - trial.datetime_start).total_seconds()
    return bare, recorded


def checkpoint_cost(plan, repeats: int = 3) -> tuple[float, float]:
    """(seconds of a plain backtest, seconds with checkpoints that never prune), best of
    *repeats*, of the strategy's default params."""
    request = replace(plan.request, frame=plan.in_sample)
    every = checkpoint_bars(len(request.frame))
    hook = [(Checkpoints, {"request": request, "every": every,
                           "report": lambda step, metrics, bars: None})]
    plain = watched = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run_backtest(request)
        plain = min(plain, time.perf_counter() - start)
        start = time.perf_counter()
        run_backtest(request, analyzers=hook)
        watched = min(watched, time.perf_counter() - start)
    return plain, watched


def compare_pruners(trials: int, bars: int) -> None:
    """Print the pruned-vs-unpruned table (see the module docstring)."""
    print(f"command: python bench/study_scaling.py --pruning --trials {trials} --bars {bars}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pruner in PRUNERS:
            seconds, study, plan = run_ours(1, trials, bars, Path(tmp) / pruner, pruner)
            all_trials = study.get_trials()
            best = select_best(all_trials)
            pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in all_trials)
            rows.append((pruner, seconds, pruned, best))
        plain, watched = checkpoint_cost(plan)
    base_seconds, base_best = rows[0][1], rows[0][3]
    header = (f"{'pruner':<10} {'seconds':>8} {'vs none':>8} {'pruned':>7} "
              f"{'best value':>11} {'best trial':>10}")
    print(f"{trials} trials, seed 1, 1 worker, {bars} bars, metric RMD")
    print(header)
    print("-" * len(header))
    for pruner, seconds, pruned, best in rows:
        value = "none" if best is None else f"{best.value:.6g}"
        number = "-" if best is None else str(best.number)
        print(f"{pruner:<10} {seconds:>8.2f} {base_seconds / seconds:>7.2f}x {pruned:>7} "
              f"{value:>11} {number:>10}")
    for pruner, seconds, _, best in rows[1:]:
        saved = 1.0 - seconds / base_seconds
        same = (best is not None and base_best is not None and best.value == base_best.value)
        verdict = ("the same best value" if same else
                   "a DIFFERENT best value: the pruner cut or steered away from the unpruned "
                   "study's best")
        print(f"{pruner}: {saved:+.1%} of the unpruned time saved, {verdict}")
    print(f"checkpoint analyzer on one backtest ({len(plan.in_sample)} bars, never pruned): "
          f"{watched / plain:.3f}x a plain backtest ({plain:.3f} s vs {watched:.3f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=None)
    parser.add_argument("--bars", type=int, default=None)
    parser.add_argument("--pruning", action="store_true",
                        help="compare --pruner none, median and hyperband instead")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.pruning:
        compare_pruners(args.trials or 40, args.bars or 10_000)
        return 0
    args.trials = args.trials or 16
    args.bars = args.bars or 20_000
    print(f"command: python bench/study_scaling.py --trials {args.trials} --bars {args.bars}")
    with tempfile.TemporaryDirectory() as tmp:
        naive = run_naive(args.trials, args.bars)
        one, study_one, plan_one = run_ours(1, args.trials, args.bars, Path(tmp) / "one")
        two, _, _ = run_ours(2, args.trials, args.bars, Path(tmp) / "two")
        bare, recorded = bare_seconds(study_one, plan_one)
    header = f"{'way':<16} {'seconds':>8} {'trials/s':>9} {'vs naive':>9} {'vs 1 job':>9}"
    print(header)
    print("-" * len(header))
    for name, seconds in (("naive threads", naive), ("--n-jobs 1", one), ("--n-jobs 2", two)):
        rate = args.trials / seconds
        print(f"{name:<16} {seconds:>8.2f} {rate:>9.3f} {naive / seconds:>8.2f}x "
              f"{one / seconds:>8.2f}x")
    overhead = recorded / bare - 1.0
    print(f"per-trial overhead over a bare backtest of the same params: {overhead:+.1%} "
          f"(trials {recorded:.2f} s recorded by Optuna, bare backtests {bare:.2f} s)")
    print(f"targets: --n-jobs 2 >= 1.9x --n-jobs 1: {one / two:.2f}x; "
          f">= 3x naive: {naive / two:.2f}x; overhead <= 10%: {overhead:+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
