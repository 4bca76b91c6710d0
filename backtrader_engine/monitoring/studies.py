"""Metrics of Optuna studies: one exporter process reads the study storage at scrape time.

The optimiser's worker processes never touch metrics: with many writers, prometheus_client
would need its multiprocess mode and its shared files. Instead :class:`StudyCollector` reads
the storage the workers write (a journal file or a database, as named by ``--storage``) and
reports every study in it: trials by state and the best value so far.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

from optuna.storages import BaseStorage
from optuna.study import StudyDirection
from optuna.trial import TrialState
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from backtrader_engine.errors import UserError
from backtrader_engine.monitoring import definitions as d
from backtrader_engine.monitoring.collector import ScalarFamily, new_family, scalar
from backtrader_engine.optimize.storage import is_database_url, mask_storage, open_storage

log = logging.getLogger(__name__)


def open_existing_storage(storage: str) -> BaseStorage:
    """Open a storage that must already exist (an exporter never creates one).

    Raises
    ------
    UserError
        For a journal or SQLite file that does not exist, an unsupported URL, or a database
        that cannot be reached.
    """
    path: Path | None = None
    if not is_database_url(storage):
        path = Path(storage)
    elif storage.lower().startswith("sqlite"):
        from sqlalchemy.engine import make_url

        database = make_url(storage).database
        if not database or database == ":memory:":
            # An in-memory database is new and empty each time: there is no study to export.
            raise UserError(f"--storage {mask_storage(storage)}: names no database file; "
                            "expected sqlite:///path/to/file.db, the optimiser's --storage")
        path = Path(database)
    if path is not None and not path.is_file():
        raise UserError(f"--storage {mask_storage(storage)}: no such file; name the journal "
                        "file or sqlite:///file.db the optimiser writes (its --storage)")
    if path is not None and path.stat().st_size == 0:
        # An empty file holds no study; as a database URL it would even be given tables.
        raise UserError(f"--storage {mask_storage(storage)}: the file is empty, so it holds no "
                        "study yet; name the journal file or sqlite:///file.db an "
                        "optimisation has written (its --storage)")
    return open_storage(storage)


class StudyCollector(Collector):
    """Trials by state and the best value of every study in one storage.

    Parameters
    ----------
    storage : str
        A database URL or a journal file path, as given to ``optimize --storage``.
    """

    def __init__(self, storage: str) -> None:
        self.name = mask_storage(storage)
        self.storage = open_existing_storage(storage)
        self.errors = 0
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        """Read every study once; yield the families of :data:`.definitions.STUDY_METRICS`."""
        trials = scalar(new_family(d.STUDY_TRIALS))
        best = scalar(new_family(d.STUDY_BEST))
        try:
            # One storage object serves concurrent scrapes; the journal backend replays its
            # log on each read and is not meant to be re-entered.
            with self._lock:
                self._read(trials, best)
        except Exception as exc:  # a failing storage must not fail the scrape
            self.errors += 1
            log.warning("study metrics: reading %s failed: %s: %s", self.name,
                        type(exc).__name__, exc)
        errors = scalar(new_family(d.STUDY_SCRAPE_ERRORS))
        errors.add_metric([], float(self.errors))
        yield from (trials, best, errors)

    def _read(self, trials: ScalarFamily, best: ScalarFamily) -> None:
        storage = self.storage
        for study in storage.get_all_studies():
            study_id = storage.get_study_id_from_name(study.study_name)
            for state in TrialState:
                count = storage.get_n_trials(study_id, state)
                trials.add_metric([study.study_name, state.name.lower()], float(count))
            directions = study.directions
            if len(directions) != 1 or not storage.get_n_trials(study_id,
                                                                TrialState.COMPLETE):
                continue  # multi-objective studies have no single best value
            value = storage.get_best_trial(study_id).value
            if value is not None:
                name = "maximize" if directions[0] == StudyDirection.MAXIMIZE else "minimize"
                best.add_metric([study.study_name, name], float(value))
