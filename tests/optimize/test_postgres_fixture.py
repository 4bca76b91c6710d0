"""The PostgreSQL fixture gives a working, empty database that optuna can use."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration  # a real PostgreSQL server (Debian 'postgresql')


def test_postgres_url_is_an_empty_database(postgres_url):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=postgres_url, study_name="probe", direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=3)
    assert len(optuna.load_study(study_name="probe", storage=postgres_url).trials) == 3
