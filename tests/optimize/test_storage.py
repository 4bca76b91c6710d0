"""Storage naming and opening, password masking, and the study settings check on resume."""

from __future__ import annotations

import optuna
import pytest
from optuna.storages import JournalStorage, RDBStorage

from backtrader_engine.errors import UserError
from backtrader_engine.optimize.storage import (
    create_or_load_study,
    default_storage,
    mask_storage,
    open_storage,
)


def test_default_is_a_journal_file_in_the_output_folder(tmp_path):
    path = default_storage(tmp_path / "run")
    assert path == str(tmp_path / "run" / "study.journal")
    assert isinstance(open_storage(path), JournalStorage)
    assert (tmp_path / "run").is_dir()


def test_sqlite_url_opens_an_rdb_storage(tmp_path):
    assert isinstance(open_storage(f"sqlite:///{tmp_path / 's.db'}"), RDBStorage)


def test_passwords_are_masked():
    masked = mask_storage("postgresql://trader:s3cret@db.example:5432/studies")
    assert "s3cret" not in masked and masked.startswith("postgresql://trader:***@db.example")
    assert mask_storage("runs/x/study.journal") == "runs/x/study.journal"


def test_unsupported_scheme():
    with pytest.raises(UserError, match="unsupported scheme 'redis'"):
        open_storage("redis://:pw@localhost:6379/0")


def test_unreachable_database_is_one_line():
    with pytest.raises(UserError, match=r"cannot open the database") as info:
        open_storage("postgresql://u:topsecret@127.0.0.1:1/none")
    assert "topsecret" not in str(info.value) and "\n" not in str(info.value)


def test_continuing_a_study_checks_its_settings(tmp_path):
    storage = open_storage(str(tmp_path / "study.journal"))
    settings = {"strategy": "A", "metric": "rmd", "costs": {"taker_fee": 0.00055}}
    study = create_or_load_study(storage, "x", "s", settings)
    assert study.user_attrs["fingerprint"] == settings
    again = create_or_load_study(storage, "x", "s", dict(settings))
    assert again._study_id == study._study_id
    with pytest.raises(UserError, match='metric="rmd", this run has metric="sharpe"'):
        create_or_load_study(storage, "x", "s", {**settings, "metric": "sharpe"})


def test_a_minimising_study_is_refused(tmp_path):
    storage = open_storage(str(tmp_path / "study.journal"))
    optuna.create_study(storage=storage, study_name="min", direction="minimize")
    with pytest.raises(UserError, match="minimises"):
        create_or_load_study(storage, "x", "min", {})
