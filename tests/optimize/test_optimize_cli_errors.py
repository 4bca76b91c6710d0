"""Problems a user can fix stop an optimisation before any worker starts: one line, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAULTY = f"{FIXTURES / 'faulty_strategy.py'}:FaultySmaCross"
RANGE = ("--from", "2018-01-01", "--to", "2018-02-28")


def _optimize(cli, tmp_path, *extra):
    return cli("optimize", "--trials", "2", *RANGE, "--out", str(tmp_path / "out"), *extra)


def test_bad_space_file_names_the_parameter_and_suggests(one_clear_line, cli, tmp_path):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"fats": {"type": "int", "low": 2, "high": 6}}))
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY, "--space", str(space)))
    assert "fats" in line and "did you mean 'fast'" in line and str(space) in line
    assert not (tmp_path / "out").exists()


def test_space_file_that_is_not_json(one_clear_line, cli, tmp_path):
    space = tmp_path / "space.json"
    space.write_text("{'fast': 1}")
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY, "--space", str(space)))
    assert "invalid JSON" in line


def test_unknown_metric_is_refused(one_clear_line, cli, tmp_path):
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY, "--metric", "sharp"))
    assert line.startswith("error: --metric 'sharp' is not a metric;")
    assert "(did you mean 'sharpe'?)" in line


def test_strategy_without_space_needs_a_space_file(one_clear_line, cli, tmp_path):
    spec = f"{FIXTURES / 'no_space_strategy.py'}:Plain"
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", spec))
    assert "Plain declares no search_space" in line and "--space" in line


def test_space_file_serves_a_strategy_without_space(cli, tmp_path):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"period": {"type": "int", "low": 2, "high": 4}}))
    spec = f"{FIXTURES / 'no_space_strategy.py'}:Plain"
    result = _optimize(cli, tmp_path, "--strategy", spec, "--space", str(space),
                       "--min-trades", "0", "--no-plots", "--oos-fraction", "0")
    assert result.code == 0, result.err
    summary = json.loads((tmp_path / "out" / "optimization_summary.json").read_text())
    assert summary["space"] == {"period": {"type": "int", "low": 2, "high": 4}}
    assert summary["trials"]["complete"] == 2


def test_fixing_every_searched_param_leaves_nothing(one_clear_line, cli, tmp_path):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"fast": {"type": "int", "low": 2, "high": 6}}))
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY, "--space", str(space),
                                     "--param", "fast=3"))
    assert "nothing is left to optimise" in line


def test_unknown_fixed_param_suggests(one_clear_line, cli, tmp_path):
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY, "--param", "slwo=30"))
    assert "slwo" in line and "did you mean 'slow'" in line


@pytest.mark.parametrize(("flags", "expected"), [
    (("--n-jobs", "0"), "--n-jobs 0: expected a whole number of 1 or more"),
    (("--trials", "0"), "--trials 0: expected a whole number of 1 or more"),
    (("--min-trades", "-1"), "--min-trades -1"),
    (("--oos-fraction", "0.95"), "out-of-sample fraction 0.95"),
    (("--walk-forward", "200"), "walk-forward windows"),
    (("--storage", "redis://localhost/0"), "unsupported scheme 'redis'"),
    (("--study-name", "a/b"), "--study-name 'a/b'"),
])
def test_bad_study_options(one_clear_line, cli, tmp_path, flags, expected):
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY, *flags))
    assert expected in line


def test_storage_password_is_masked_in_errors(one_clear_line, cli, tmp_path):
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY, "--storage",
                                     "oracle://user:hunter2@db/x"))
    assert "hunter2" not in line and "***" in line


def test_unknown_sampler_is_refused(one_clear_line, cli, tmp_path):
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY, "--sampler", "cmaess"))
    assert "--sampler" in line and "'cmaess'" in line and "cmaes" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["0", "-1", "nan"])
def test_progress_period_must_be_positive(one_clear_line, cli, tmp_path, value):
    line = one_clear_line(_optimize(cli, tmp_path, "--strategy", FAULTY,
                                    "--progress-every", value))
    assert "--progress-every" in line and value in line
