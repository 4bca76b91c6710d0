"""A study on a real PostgreSQL server with two worker processes."""

from __future__ import annotations

import json

import optuna
import pytest
from optuna.trial import TrialState

pytestmark = pytest.mark.integration  # a real PostgreSQL server (Debian 'postgresql')


def test_two_workers_share_a_postgres_study(cli, tmp_path, postgres_url):
    out = tmp_path / "out"
    result = cli("optimize", "--strategy", "RSIEMAMomentumStrategy", "--n-jobs", "2",
                 "--trials", "6", "--from", "2018-01-01", "--to", "2018-03-31",
                 "--min-trades", "3", "--storage", postgres_url, "--study-name", "pg",
                 "--no-plots", "--out", str(out))
    assert result.code == 0, result.err
    study = optuna.load_study(study_name="pg", storage=postgres_url)
    assert len(study.trials) == 6
    assert {t.state for t in study.trials} == {TrialState.COMPLETE}
    assert all("worker_pid" in t.user_attrs and t.user_attrs["metrics"] for t in study.trials)
    assert study.user_attrs["fingerprint"]["strategy"] == "RSIEMAMomentumStrategy"
    summary = json.loads((out / "optimization_summary.json").read_text())
    assert summary["storage"] == postgres_url  # no password in this URL to mask
    assert summary["reproduces_best_trial"] is True
    assert not (out / "study.journal").exists()

    again = cli("optimize", "--strategy", "RSIEMAMomentumStrategy", "--n-jobs", "2",
                "--trials", "2", "--from", "2018-01-01", "--to", "2018-03-31",
                "--min-trades", "3", "--storage", postgres_url, "--study-name", "pg",
                "--no-plots", "--out", str(out))
    assert again.code == 0, again.err
    assert len(optuna.load_study(study_name="pg", storage=postgres_url).trials) == 8
