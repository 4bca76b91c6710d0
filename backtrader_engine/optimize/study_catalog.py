"""Reading the studies a storage holds: one row per study, one trial in detail.

Behind ``bte study list`` and ``bte study show``. A storage is named as ``--storage`` names it
for ``bte optimize`` (a database URL or a journal file) or as a folder: a study's output folder
(``runs/optimize/NAME``, holding ``study.journal``) or a folder of them (``runs/optimize``, the
default, where every study run without ``--storage`` keeps its journal).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import optuna
from optuna.trial import FrozenTrial, TrialState

from backtrader_engine.errors import UserError
from backtrader_engine.optimize.pareto import non_dominated
from backtrader_engine.optimize.storage import (
    JOURNAL_NAME,
    check_storage,
    is_database_url,
    mask_storage,
    open_storage,
)
from backtrader_engine.optimize.trials import eligible, select_best

#: Where ``bte optimize`` puts a study's folder (and journal) when no --out/--storage is given.
DEFAULT_STUDIES_ROOT = Path("runs/optimize")


@dataclass(frozen=True)
class StudyRow:
    """One study as ``bte study list`` shows it."""

    name: str
    storage: str
    strategy: str | None
    metric: str | None
    direction: str
    complete: int
    pruned: int
    failed: int
    running: int
    best_value: float | None
    best_trial: int | None
    last_activity: datetime | None
    #: A study of several metrics: how many trials its Pareto front holds (None for one metric).
    front: int | None = None


def storages_of(storage: str | None) -> list[str]:
    """The storages *storage* names (see the module docstring); ``None`` is the default folder.

    Raises
    ------
    UserError
        For an explicit folder without any study journal, a path that does not exist, or a
        file that is no journal.
    """
    if storage is not None and is_database_url(storage):
        check_storage(storage)
        return [storage]
    path = Path(storage) if storage is not None else DEFAULT_STUDIES_ROOT
    if path.is_dir():
        own = path / JOURNAL_NAME
        journals = [own] if own.is_file() else sorted(path.glob(f"*/{JOURNAL_NAME}"))
        if not journals and storage is not None:
            raise UserError(f"--storage {path}: holds no {JOURNAL_NAME}, neither itself nor in "
                            "a sub-folder; name a study folder, a journal file or a database "
                            "URL")
        return [str(journal) for journal in journals]
    if storage is None:
        return []  # no study was run here yet
    if not path.exists():
        raise UserError(f"--storage {path}: no such file or folder; name a study folder "
                        f"(runs/optimize/NAME), a journal file or a database URL")
    check_storage(str(path))
    return [str(path)]


def _last_activity(trials: Sequence[FrozenTrial]) -> datetime | None:
    moments = [t.datetime_complete or t.datetime_start for t in trials]
    stamps = [m for m in moments if m is not None]
    return max(stamps) if stamps else None


def _row(study: optuna.Study, storage: str) -> StudyRow:
    trials = study.get_trials(deepcopy=False)
    states = [t.state for t in trials]
    fingerprint = study.user_attrs.get("fingerprint") or {}
    best = select_best(trials) if len(study.directions) == 1 else None
    front = None if len(study.directions) == 1 else len(pareto_trials(study))
    return StudyRow(
        name=study.study_name, storage=mask_storage(storage),
        strategy=fingerprint.get("strategy"), metric=fingerprint.get("metric"),
        direction="/".join(d.name.lower() for d in study.directions),
        complete=states.count(TrialState.COMPLETE), pruned=states.count(TrialState.PRUNED),
        failed=states.count(TrialState.FAIL), running=states.count(TrialState.RUNNING),
        best_value=None if best is None else best.value,
        best_trial=None if best is None else best.number,
        last_activity=_last_activity(trials), front=front)


def pareto_trials(study: optuna.Study) -> list[FrozenTrial]:
    """A study of several metrics' front, ordered as ``optimize`` orders it: best on the first
    metric first (that one's params are the study's ``best_params.json``)."""
    directions = [d.name.lower() for d in study.directions]
    front = non_dominated(eligible(study.get_trials(deepcopy=False)), directions)
    sign = -1.0 if directions[0] == "maximize" else 1.0
    return sorted(front, key=lambda t: (sign * t.values[0], t.number))


def list_studies(storages: Sequence[str]) -> list[StudyRow]:
    """Every study of *storages*, most recently active first."""
    rows = []
    for storage in storages:
        opened = open_storage(storage)
        for summary in optuna.get_all_study_summaries(opened, include_best_trial=False):
            study = optuna.load_study(study_name=summary.study_name, storage=opened)
            rows.append(_row(study, storage))
    return sorted(rows, key=lambda r: (r.last_activity is None,
                                       -(r.last_activity.timestamp() if r.last_activity
                                         else 0.0), r.name))


def find_study(storages: Sequence[str], name: str) -> tuple[str, optuna.Study]:
    """The study called *name* and the storage holding it.

    Raises
    ------
    UserError
        When no storage holds it (the closest names suggested), or several do.
    """
    found: list[tuple[str, optuna.Study]] = []
    names: list[str] = []
    for storage in storages:
        opened = open_storage(storage)
        stored = optuna.get_all_study_names(opened)
        names += stored
        if name in stored:
            found.append((storage, optuna.load_study(study_name=name, storage=opened)))
    where = ", ".join(mask_storage(s) for s in storages) or str(DEFAULT_STUDIES_ROOT)
    if not found:
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = (f"closest: {', '.join(close)}" if close else
                f"it holds {', '.join(sorted(names)[:5])}" if names else "it holds no study")
        raise UserError(f"study {name!r} not found in {where}; {hint} (bte study list shows "
                        "them; --storage names another storage)")
    if len(found) > 1:
        raise UserError(f"study {name!r} is in several storages: "
                        f"{', '.join(mask_storage(s) for s, _ in found)}; pick one with "
                        "--storage")
    return found[0]


def pick_trial(study: optuna.Study, number: int | None) -> FrozenTrial:
    """Trial *number* of *study*, or its best eligible trial when *number* is None.

    Raises
    ------
    UserError
        When the trial does not exist, or the study has no eligible trial to call best.
    """
    trials = study.get_trials(deepcopy=False)
    if number is None:
        if len(study.directions) == 1:
            best = select_best(trials)
            number = None if best is None else best.number
        else:  # the front's first point: the study's best_params.json
            front = pareto_trials(study)
            number = front[0].number if front else None
        if number is None:
            raise UserError(f"study {study.study_name!r} has no complete, unpenalised trial to "
                            f"show as best ({len(trials)} trials); pick one with --trial N")
    by_number = {t.number: t for t in trials}
    if number not in by_number:
        span = f"0..{max(by_number)}" if by_number else "none"
        raise UserError(f"--trial {number}: study {study.study_name!r} has no such trial; "
                        f"its trials are numbered {span}")
    return by_number[number]


def trial_duration(trial: FrozenTrial) -> float | None:
    """Seconds *trial* ran, None while it runs (or if it never started)."""
    if trial.datetime_start is None or trial.datetime_complete is None:
        return None
    return (trial.datetime_complete - trial.datetime_start).total_seconds()
