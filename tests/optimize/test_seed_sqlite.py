"""``--seed`` makes a one-worker study reproducible; SQLite storage works for studies."""

from __future__ import annotations

from pathlib import Path

import optuna

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _params(url: str, name: str) -> list[dict]:
    return [t.params for t in optuna.load_study(study_name=name, storage=url).trials]


def test_same_seed_same_trials_on_sqlite(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    for name in ("first", "second"):
        result = cli("optimize", "--strategy", f"{FIXTURES / 'faulty_strategy.py'}:FaultySmaCross",
                     "--n-jobs", "1", "--trials", "12", "--seed", "11", "--from", "2018-01-01",
                     "--to", "2018-02-28", "--min-trades", "1", "--no-plots", "--storage", url,
                     "--study-name", name, "--out", str(tmp_path / name))
        assert result.code == 0, result.err
        assert f"--storage {url}" in result.out
    first, second = _params(url, "first"), _params(url, "second")
    assert len(first) == 12
    assert first == second
    assert len({tuple(p.values()) for p in first}) > 6  # TPE explored, it did not repeat one


def test_module_entry_point_runs_workers(tmp_path):
    """``python -m backtrader_engine optimize`` works with spawned workers too."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "backtrader_engine", "optimize", "--strategy",
         f"{FIXTURES / 'every_n_strategy.py'}:EveryN", "--n-jobs", "2", "--trials", "3",
         "--from", "2018-01-01", "--to", "2018-01-31", "--min-trades", "1", "--no-plots",
         "--out", str(tmp_path / "out")],
        cwd=root, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "trials   3 complete" in proc.stdout
