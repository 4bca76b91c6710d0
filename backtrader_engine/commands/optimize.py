"""``optimize`` (also ``python optimize.py``)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from backtrader_engine.argtypes import (
    int_in,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from backtrader_engine.commands.backtest import configured_fees, job_from_args
from backtrader_engine.commands.options import (
    add_config_dir,
    add_cost_options,
    add_data_options,
    add_strategy_options,
)

if TYPE_CHECKING:
    from backtrader_engine.cli_parser import SubCommands

#: Exit code of a run stopped with Ctrl-C (after its summary was written), as a shell reports.
EXIT_INTERRUPTED = 130


def register(subparsers: SubCommands) -> None:
    """Add ``optimize`` to the CLI's sub-commands."""
    # The light module of names only: building the parser (--help) loads no Optuna.
    from backtrader_engine.optimize.choices import (
        DEFAULT_METRIC,
        DEFAULT_PICK,
        DEFAULT_PRUNER,
        DEFAULT_SAMPLER,
        METRICS,
        PROGRESS_EVERY,
        PRUNERS,
        SAMPLERS,
    )

    p = subparsers.add_parser("optimize")
    add_strategy_options(p, strategy_required=True, params_file=False)
    s = p.add_argument_group("study")
    s.add_argument("--n-jobs", type=positive_int, default=1, metavar="N",
                   help="worker processes (default 1)")
    s.add_argument("--trials", type=positive_int, default=200, metavar="N",
                   help="trials to add to the study in this run, across all workers "
                        "(default 200)")
    s.add_argument("--timeout", type=positive_float, metavar="SEC",
                   help="start no new trial after SEC seconds (per study)")
    s.add_argument("--metric", default=DEFAULT_METRIC, type=metric_list, metavar="NAME[,NAME..]",
                   help=f"value to maximise, one of {', '.join(METRICS)} (default "
                        f"{DEFAULT_METRIC}); a comma list (may add max_drawdown_pct, "
                        "minimised) makes a multi-objective study with a Pareto front")
    s.add_argument("--pruner", default=DEFAULT_PRUNER, choices=list(PRUNERS),
                   help=f"stop trials doing badly at checkpoints of their backtest (default "
                        f"{DEFAULT_PRUNER}: every trial runs to the end)")
    s.add_argument("--pick", type=pick_count, default=DEFAULT_PICK, metavar="N|all",
                   help=f"Pareto-front points to validate out of sample and write "
                        f"(several metrics only; default {DEFAULT_PICK})")
    s.add_argument("--min-trades", type=non_negative_int, default=10, metavar="N",
                   help="trials with fewer closed trades are penalised (default 10)")
    s.add_argument("--space", dest="space_file", type=Path, metavar="FILE.json",
                   help="search space (default: the strategy's search_space)")
    s.add_argument("--seed", type=int_in(0, 2**31 - 1), metavar="N",
                   help="sampler seed; worker i uses N+i (a 1-job run is reproducible)")
    s.add_argument("--sampler", default=DEFAULT_SAMPLER, choices=list(SAMPLERS),
                   help=f"how trials are chosen (default {DEFAULT_SAMPLER}; see "
                        "docs/optimization.md)")
    s.add_argument("--storage", metavar="URL",
                   help="postgresql://..., sqlite:///file.db or a journal file "
                        "(default: DIR/study.journal)")
    s.add_argument("--study-name", metavar="NAME",
                   help="study to create or continue (default: <Strategy>-<date-time>)")
    v = p.add_argument_group("validation")
    v.add_argument("--oos-fraction", type=non_negative_float, default=0.3, metavar="F",
                   help="last share of the bars kept out of the study (default 0.3; 0 disables)")
    v.add_argument("--walk-forward", type=non_negative_int, default=0, metavar="K",
                   help="also optimise K rolling train windows and test each winner "
                        "(default 0: off)")
    add_data_options(p)
    add_cost_options(p)
    o = p.add_argument_group("output")
    o.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: runs/optimize/<study-name>)")
    o.add_argument("--no-plots", action="store_true", help="skip the plots")
    o.add_argument("--progress-every", type=positive_float, default=PROGRESS_EVERY,
                   metavar="SEC",
                   help="when stderr is not a terminal, print the progress line every SEC "
                        f"seconds (default {PROGRESS_EVERY:g}); a terminal redraws it in place")
    add_config_dir(p)
    p.set_defaults(handler=start_optimize)


def metric_list(text: str) -> str:
    """``--metric``: one metric name or a comma list of them, spaces dropped."""
    from backtrader_engine.errors import UserError, did_you_mean
    from backtrader_engine.optimize.choices import METRICS, MINIMISED
    from backtrader_engine.optimize.objectives import metric_names

    name = text.strip()
    if "," not in name and name not in METRICS and name not in MINIMISED:
        # The message of a misspelt single choice, as for any other choice of the CLI.
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a metric; expected one of {', '.join(METRICS)}"
            f"{did_you_mean(name, list(METRICS))}")
    try:
        return ",".join(metric_names(text))
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--metric ")) from None


def pick_count(text: str) -> int | None:
    """``--pick``: a number of Pareto-front points of 1 or more, or ``all`` (None)."""
    if text.strip().lower() == "all":
        return None
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text}: expected a number of front points of 1 or more, or all") from None


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
    from backtrader_engine.optimize.samplers import categorical_note

    n_jobs = settle_workers(args.n_jobs, args.trials, args.walk_forward, sys.stderr)
    backtest = replace(job_from_args(args), out=None, plots=False)
    job = OptimizeJob(
        backtest=backtest, n_jobs=n_jobs, trials=args.trials, timeout=args.timeout,
        metric=args.metric, storage=args.storage, study_name=args.study_name, seed=args.seed,
        sampler=args.sampler,
        min_trades=args.min_trades, oos_fraction=args.oos_fraction,
        walk_forward=args.walk_forward, out=args.out, space_file=args.space_file,
        plots=not args.no_plots, command=getattr(args, "command_line", None),
        pruner=args.pruner, pick=args.pick)
    plan = prepare_optimization(job, configured_fees(args.config_dir))
    # Optuna's per-study and per-trial INFO lines would interleave with the progress line.
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    line = ProgressLine(sys.stderr, every=args.progress_every)
    note = categorical_note(job.sampler, plan.space)
    if note is not None:
        line.message(f"warning: {note}")
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
        from backtrader_engine.strategies.failure import EXIT_STRATEGY_ERROR

        print(f"error: {failed}", file=sys.stderr)
        return EXIT_STRATEGY_ERROR
    if result.best is None:
        line.message(f"warning: no trial of study '{plan.study_name}' reached --min-trades "
                     f"{job.min_trades}; lower it, widen the data range or add trials")
    return EXIT_INTERRUPTED if result.interrupted else 0
