"""The study exporter on real Optuna storages: a journal file and an SQLite database."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from backtrader_engine.errors import UserError
from backtrader_engine.monitoring.exporter import start_collector_server
from backtrader_engine.monitoring.studies import StudyCollector
from backtrader_engine.optimize.storage import open_storage

from .conftest import ROOT, Samples, parse_exposition, sample, scrape


def fill_storage(storage: str) -> None:
    """Two studies: one maximising with every trial state, one minimising, one empty."""
    opened = open_storage(storage)
    study = optuna.create_study(storage=opened, study_name="rsi", direction="maximize")
    for value in (1.5, 3.25, 2.0):
        study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=value))
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.PRUNED))
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL))
    study.ask()  # left running, as a worker's current trial
    low = optuna.create_study(storage=opened, study_name="boll", direction="minimize")
    for value in (0.8, -0.4):
        low.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=value))
    optuna.create_study(storage=opened, study_name="fresh", direction="maximize")


def collect(collector: StudyCollector) -> Samples:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return parse_exposition(generate_latest(registry).decode())


@pytest.fixture(params=["journal", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    name = (str(tmp_path / "study.journal") if request.param == "journal"
            else f"sqlite:///{tmp_path / 'studies.db'}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fill_storage(name)
    return name


def test_trials_by_state_and_best_value_per_study(storage: str) -> None:
    s = collect(StudyCollector(storage))
    assert sample(s, "optuna_study_trials", study="rsi", state="complete") == 3
    assert sample(s, "optuna_study_trials", study="rsi", state="pruned") == 1
    assert sample(s, "optuna_study_trials", study="rsi", state="fail") == 1
    assert sample(s, "optuna_study_trials", study="rsi", state="running") == 1
    assert sample(s, "optuna_study_trials", study="rsi", state="waiting") == 0
    assert sample(s, "optuna_study_best_value", study="rsi", direction="maximize") == 3.25
    assert sample(s, "optuna_study_best_value", study="boll", direction="minimize") == -0.4
    assert sample(s, "optuna_study_trials", study="fresh", state="complete") == 0
    assert not [k for k in s if k[0] == "optuna_study_best_value" and ("study", "fresh")
                in k[1]]
    assert sample(s, "optuna_scrape_errors_total") == 0


def test_new_trials_show_on_the_next_scrape(storage: str) -> None:
    collector = StudyCollector(storage)
    collect(collector)
    study = optuna.load_study(study_name="rsi", storage=open_storage(storage))
    study.add_trial(optuna.trial.create_trial(params={}, distributions={}, value=9.0))
    s = collect(collector)
    assert sample(s, "optuna_study_trials", study="rsi", state="complete") == 4
    assert sample(s, "optuna_study_best_value", study="rsi") == 9.0


def test_a_failing_storage_counts_errors_and_keeps_serving(
        storage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    collector = StudyCollector(storage)

    def broken() -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(collector.storage, "get_all_studies", broken)
    s = collect(collector)
    assert sample(s, "optuna_scrape_errors_total") == 1
    assert not [k for k in s if k[0] == "optuna_study_trials"]


@pytest.mark.parametrize("name", ["missing.journal", "sqlite:///{tmp}/missing.db"])
def test_a_missing_storage_is_a_clear_error(tmp_path: Path, name: str) -> None:
    storage = name.format(tmp=tmp_path) if "{tmp}" in name else str(tmp_path / name)
    with pytest.raises(UserError, match=r"^--storage .*missing.*: no such file"):
        StudyCollector(storage)
    assert not list(tmp_path.iterdir())  # nothing was created


def test_password_is_masked_in_the_name() -> None:
    with pytest.raises(UserError) as caught:
        StudyCollector("postgresql://bot:hunter2@127.0.0.1:1/studies")
    assert "hunter2" not in str(caught.value)


def test_http_scrape(storage: str) -> None:
    with start_collector_server(StudyCollector(storage), "127.0.0.1", 0) as server:
        s = parse_exposition(scrape(server.url))
    assert sample(s, "optuna_study_trials", study="boll", state="complete") == 2


def test_study_exporter_command_serves_until_sigterm(tmp_path: Path,
                                                    cli: Callable[..., Any]) -> None:
    storage = str(tmp_path / "study.journal")
    fill_storage(storage)
    proc = subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "study-exporter", "--storage", storage,
         "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith(f"study metrics of {storage} on http://127.0.0.1:"), line
        url = line.split(" on ")[1].split(";")[0]
        s = parse_exposition(scrape(url))
        assert sample(s, "optuna_study_best_value", study="rsi") == 3.25
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.wait() == 0
    result = cli("study-exporter", "--storage", str(tmp_path / "nope.journal"))
    assert result.code == 2 and "no such file" in result.err
