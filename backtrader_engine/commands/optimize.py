"""``optimize`` (also ``python optimize.py``)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from backtrader_engine.commands.backtest import configured_fees, job_from_args
from backtrader_engine.strategies.failure import EXIT_STRATEGY_ERROR

#: Exit code of a run stopped with Ctrl-C (after its summary was written), as a shell reports.
EXIT_INTERRUPTED = 130


def every_trial_failed(result) -> str | None:
    """``every trial of study X failed (6 of 6); the last: ...``, or None if one did not."""
    counts = result.counts
    if counts.get("failed", 0) == 0 or counts.get("complete", 0) or counts.get("pruned", 0):
        return None
    errors = [t.user_attrs.get("error") for t in result.trials if t.user_attrs.get("error")]
    last = f"; the last: {errors[-1]}" if errors else ""
    return (f"every trial of study '{result.plan.study_name}' failed ({counts['failed']} of "
            f"{len(result.trials)}){last}; see trials.csv user_attrs_error")


def start_optimize(args: argparse.Namespace) -> int:
    """Prepare, run and report one optimisation; progress on stderr, the table on stdout."""
    # Imported here so that other subcommands do not pay for loading Optuna and matplotlib.
    import optuna

    from backtrader_engine.optimize import (
        OptimizeJob,
        ProgressLine,
        format_table,
        prepare_optimization,
        run_optimization,
        write_outputs,
    )
    from backtrader_engine.optimize.parallelism import settle_workers

    n_jobs = settle_workers(args.n_jobs, args.trials, args.walk_forward, sys.stderr)
    backtest = replace(job_from_args(args), out=None, plots=False)
    job = OptimizeJob(
        backtest=backtest, n_jobs=n_jobs, trials=args.trials, timeout=args.timeout,
        metric=args.metric, storage=args.storage, study_name=args.study_name, seed=args.seed,
        min_trades=args.min_trades, oos_fraction=args.oos_fraction,
        walk_forward=args.walk_forward, out=args.out, space_file=args.space_file,
        plots=not args.no_plots, command=getattr(args, "command_line", None))
    plan = prepare_optimization(job, configured_fees(args.config_dir))
    # Optuna's per-study and per-trial INFO lines would interleave with the progress line.
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    line = ProgressLine(sys.stderr)
    result = run_optimization(plan, line)
    files, problems = write_outputs(result)
    for problem in problems:
        line.message(f"warning: {problem}")
    print(format_table(result, files))
    if result.out_of_sample_problem:
        line.message("warning: the best params were not backtested out of sample: "
                     f"{result.out_of_sample_problem}")
    failed = every_trial_failed(result)
    if failed is not None and not result.interrupted:
        print(f"error: {failed}", file=sys.stderr)
        return EXIT_STRATEGY_ERROR
    if result.best is None:
        line.message(f"warning: no trial of study '{plan.study_name}' reached --min-trades "
                     f"{job.min_trades}; lower it, widen the data range or add trials")
    return EXIT_INTERRUPTED if result.interrupted else 0
