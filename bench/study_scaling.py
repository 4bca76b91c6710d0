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
the table shows it). Time is given as wall time and as the worker's CPU time (which other
load on the machine does not inflate), work as the share of the unpruned study's bars that were
backtested; then the CPU cost of the checkpoint analyzer on one backtest that is never pruned.
"""

from __future__ import annotations

import argparse
import io
import resource
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
from backtrader_engine.optimize.choices import PRUNERS  # noqa: E402
from backtrader_engine.optimize.objectives import trial_params  # noqa: E402
from backtrader_engine.optimize.pruning import (  # noqa: E402
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


def checkpoint_cost(plan, repeats: int = 4) -> tuple[float, float, float]:
    """CPU seconds of one backtest of the strategy's default params: plain, with the
    checkpoint analyzer but no checkpoint reached, and with its 9 checkpoints (never pruned).

    CPU time of this process, best of *repeats* interleaved runs: other processes on the
    machine do not count in it.
    """
    request = replace(plan.request, frame=plan.in_sample)
    every = checkpoint_bars(len(request.frame))
    ways = {
        "plain": [],
        "hook": [(Checkpoints, {"request": request, "every": len(request.frame) + 1,
                                "report": None})],
        "checkpoints": [(Checkpoints, {"request": request, "every": every,
                                       "report": lambda step, metrics, bars: None})],
    }
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(repeats):
        for name, analyzers in ways.items():
            start = time.process_time()
            run_backtest(request, analyzers=analyzers)
            best[name] = min(best[name], time.process_time() - start)
    return best["plain"], best["hook"], best["checkpoints"]


def bars_backtested(trials: list, bars: int) -> int:
    """Bars the trials of a study backtested: all of them for a complete trial, up to the
    checkpoint it was stopped at for a pruned one (a measure of work no other load skews)."""
    every = checkpoint_bars(bars)
    total = 0
    for trial in trials:
        if trial.state == optuna.trial.TrialState.PRUNED:
            total += max(trial.intermediate_values) * every
        else:
            total += bars
    return total


def compare_pruners(trials: int, bars: int) -> None:
    """Print the pruned-vs-unpruned table (see the module docstring)."""
    print(f"command: python bench/study_scaling.py --pruning --trials {trials} --bars {bars}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for pruner in PRUNERS:
            # The worker process is joined when the study ends: its CPU time is then counted
            # in this process's children, unlike the wall time, whatever else the machine runs.
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            seconds, study, plan = run_ours(1, trials, bars, Path(tmp) / pruner, pruner)
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (cpu_after.ru_utime - cpu_before.ru_utime
                   + cpu_after.ru_stime - cpu_before.ru_stime)
            all_trials = study.get_trials()
            pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in all_trials)
            work = bars_backtested(all_trials, len(plan.in_sample))
            rows.append((pruner, seconds, cpu, work, pruned, select_best(all_trials)))
        plain, hook, watched = checkpoint_cost(plan)
    _, base_wall, base_cpu, base_work, _, base_best = rows[0]
    header = (f"{'pruner':<10} {'wall s':>7} {'worker CPU s':>12} {'vs none':>8} "
              f"{'bars run':>9} {'pruned':>7} {'best value':>11} {'best trial':>10}")
    print(f"{trials} trials, seed 1, 1 worker, {bars} bars, metric RMD")
    print(header)
    print("-" * len(header))
    for pruner, seconds, cpu, work, pruned, best in rows:
        value = "none" if best is None else f"{best.value:.6g}"
        number = "-" if best is None else str(best.number)
        print(f"{pruner:<10} {seconds:>7.2f} {cpu:>12.2f} {base_cpu / cpu:>7.2f}x "
              f"{work / base_work:>8.1%} {pruned:>7} {value:>11} {number:>10}")
    for pruner, seconds, cpu, work, _, best in rows[1:]:
        if best is None or base_best is None:
            verdict = "no best to compare"
        elif best.value == base_best.value:
            verdict = "the same best value"
        else:
            side = "higher" if best.value > base_best.value else "lower"
            verdict = (f"a DIFFERENT best value, {side} ({best.value:.6g} vs "
                       f"{base_best.value:.6g} unpruned): pruned trials change what the sampler "
                       "learns from, so later trials try other params")
        print(f"{pruner}: {1 - cpu / base_cpu:.1%} of the unpruned worker CPU time saved "
              f"({1 - seconds / base_wall:.1%} of the wall time), {1 - work / base_work:.1%} "
              f"of the bars; {verdict}")
    print(f"checkpoint analyzer, CPU time of one {len(plan.in_sample)}-bar backtest: no "
          f"checkpoint reached {hook / plain:.3f}x plain, 9 checkpoints {watched / plain:.3f}x "
          f"plain ({plain:.3f} s, {hook:.3f} s, {watched:.3f} s)")


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
