"""``study list`` and ``study show``: the studies of a storage, and one trial of a study."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from backtrader_engine.argtypes import non_negative_int

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

    from backtrader_engine.cli_parser import SubCommands
    from backtrader_engine.optimize.study_catalog import StudyRow

_STORAGE_HELP = ("a study folder (runs/optimize/NAME), a folder of them, a journal file, "
                 "sqlite:///file.db or postgresql://... (default: runs/optimize, where "
                 "bte optimize keeps every study run without --out or --storage)")


def register(subparsers: SubCommands) -> None:
    """Add ``study list`` and ``study show`` to the CLI's sub-commands."""
    p = subparsers.add_parser("study")
    commands = p.add_subparsers(dest="study_command", required=True, metavar="COMMAND")
    listing = commands.add_parser("list", help="every study: trials, best value, last activity")
    listing.add_argument("--storage", metavar="URL", help=_STORAGE_HELP)
    listing.set_defaults(handler=start_list)
    show = commands.add_parser("show", help="one trial of a study (default: the best): its "
                                            "params and metrics")
    show.add_argument("name", metavar="NAME", help="the study (its --study-name)")
    show.add_argument("--trial", type=non_negative_int, metavar="N",
                      help="trial number (default: the best eligible trial)")
    show.add_argument("--storage", metavar="URL", help=_STORAGE_HELP)
    show.set_defaults(handler=start_show)


def _number(value: object) -> str:
    from backtrader_engine.texttable import number

    if isinstance(value, bool) or not isinstance(value, int | float):
        return "n/a" if value is None else str(value)
    return number(float(value), 6) if isinstance(value, float) else str(value)


def _moment(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def start_list(args: argparse.Namespace) -> int:
    """Print one row per study of ``--storage``, most recently active first."""
    from backtrader_engine.optimize.study_catalog import list_studies, storages_of
    from backtrader_engine.texttable import table

    storages = storages_of(args.storage)
    rows = list_studies(storages)
    if not rows:
        where = args.storage or "runs/optimize"
        print(f"no studies in {where} (bte optimize creates one; --storage names another "
              "storage)")
        return 0
    header = ("study", "strategy", "metric", "direction", "complete", "pruned", "failed",
              "best", "last activity", "storage")
    cells = [(r.name, r.strategy or "-", r.metric or "-", r.direction, str(r.complete),
              str(r.pruned), str(r.failed),
              _best_cell(r),
              _moment(r.last_activity), r.storage) for r in rows]
    print("\n".join(table(header, cells, "<<<<>>>><<")))
    return 0


def _best_cell(row: StudyRow) -> str:
    if row.front is not None:
        return f"front of {row.front}"
    return "-" if row.best_value is None else f"{_number(row.best_value)} (#{row.best_trial})"


def _trial_lines(trial: FrozenTrial) -> list[str]:
    from backtrader_engine.optimize.default_trial import DEFAULT_TRIAL_ATTR
    from backtrader_engine.optimize.study_catalog import trial_duration

    duration = trial_duration(trial)
    # A trial of several metrics has one value per --metric, in their order.
    value = ", ".join(_number(v) for v in trial.values) if trial.values else "n/a"
    lines = [f"state     {trial.state.name}",
             f"value     {value}",
             f"started   {_moment(trial.datetime_start)}",
             f"duration  {'-' if duration is None else f'{duration:.2f} s'}"]
    attrs = trial.user_attrs
    for key, label in (("penalty_reason", "penalised"), ("error", "error")):
        if attrs.get(key):
            lines.append(f"{label:<10}{attrs[key]}")
    if attrs.get(DEFAULT_TRIAL_ATTR):
        lines.append("note      the strategy's default params (trial 0 of the study)")
    lines.append("params")
    width = max((len(name) for name in trial.params), default=0)
    lines += [f"  {name:<{width}}  {_number(v)}" for name, v in trial.params.items()]
    metrics = attrs.get("metrics") or {}
    lines.append("metrics" if metrics else "metrics   none stored (the trial did not finish)")
    width = max((len(name) for name in metrics), default=0)
    lines += [f"  {name:<{width}}  {_number(v)}" for name, v in metrics.items()]
    return lines


def start_show(args: argparse.Namespace) -> int:
    """Print the best trial of study NAME (or ``--trial N``): params, metrics, state, duration."""
    from backtrader_engine.optimize.storage import mask_storage
    from backtrader_engine.optimize.study_catalog import (
        find_study,
        pareto_trials,
        pick_trial,
        storages_of,
    )
    from backtrader_engine.optimize.trials import select_best

    storage, study = find_study(storages_of(args.storage), args.name)
    trial = pick_trial(study, args.trial)
    trials = study.get_trials(deepcopy=False)
    fingerprint = study.user_attrs.get("fingerprint") or {}
    if len(study.directions) > 1:
        front = [t.number for t in pareto_trials(study)]
        which = (("first point of the Pareto front" if front[:1] == [trial.number]
                  else "on the Pareto front" if trial.number in front else "not on the front")
                 + (f"; the front is trials {', '.join(map(str, front))}" if front
                    else "; the front is empty"))
        best = None
    else:
        best = select_best(trials)
        which = ("best" if best is not None and best.number == trial.number else "not the best"
                 if best is not None else "no best yet")
    direction = "/".join(d.name.lower() for d in study.directions)
    print(f"study {study.study_name}  {fingerprint.get('strategy', '-')}  metric "
          f"{fingerprint.get('metric', '-')} ({direction})  {len(trials)} trials  in "
          f"{mask_storage(storage)}")
    print(f"trial {trial.number} ({which}"
          f"{'' if best is None or which == 'best' else f'; the best is trial {best.number}'})")
    print("\n".join(_trial_lines(trial)))
    return 0
