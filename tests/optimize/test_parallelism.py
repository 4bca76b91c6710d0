"""--n-jobs is capped at --trials and warned about above the CPU count; --walk-forward 1 refused."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.optimize.parallelism import settle_workers
from backtrader_engine.optimize.summary_text import _why_no_efficiency


def test_more_workers_than_trials_are_lowered_with_a_note():
    err = io.StringIO()
    assert settle_workers(100_000, 20, 0, err, cpus=64) == 20
    assert err.getvalue() == ("note: --n-jobs 100000 lowered to 20: --trials 20 gives no more "
                              "than one trial per worker\n")


def test_more_workers_than_cpus_are_kept_with_a_warning():
    err = io.StringIO()
    assert settle_workers(8, 200, 0, err, cpus=2) == 8
    assert err.getvalue() == ("warning: --n-jobs 8 is more than this machine's 2 CPUs; the "
                              "workers share them, so each trial runs slower\n")


def test_a_fitting_worker_count_is_silent():
    err = io.StringIO()
    assert settle_workers(2, 200, 4, err, cpus=2) == 2
    assert err.getvalue() == ""


@pytest.mark.parametrize(("n_jobs", "walk_forward", "fragment"), [
    (0, 0, "--n-jobs 0: expected 1 or more"),
    (-3, 0, "--n-jobs -3: expected 1 or more"),
    (1, 1, "--walk-forward 1: expected 0 (off) or at least 2 windows"),
])
def test_values_that_cannot_run_are_refused(n_jobs, walk_forward, fragment):
    with pytest.raises(UserError, match="^" + fragment.replace("(", r"\(").replace(")", r"\)")):
        settle_workers(n_jobs, 10, walk_forward, io.StringIO(), cpus=2)


def test_optimize_refuses_walk_forward_1_before_any_study(cli, one_clear_line, tmp_path):
    out = tmp_path / "study"
    line = one_clear_line(cli("optimize", "--strategy", "RSIEMAMomentum", "--walk-forward", "1",
                              "--trials", "1", "--out", str(out)))
    assert line == ("error: --walk-forward 1: expected 0 (off) or at least 2 windows; one "
                    "window is a single train/test split, which --oos-fraction already gives")
    assert not out.exists()


def _window(best, train, test):
    return SimpleNamespace(best=best, train_return_ann=train, test_return_ann=test)


@pytest.mark.parametrize(("windows", "fragment"), [
    ([_window(None, None, None)] * 2, "no window had an eligible trial"),
    ([_window(object(), -5.0, 3.0), _window(object(), 1.0, 2.0)],
     "mean annualised train return is not positive"),
    ([_window(object(), 5.0, float("nan"))] * 2, "annualised return is undefined"),
])
def test_an_undefined_efficiency_is_explained(windows, fragment):
    assert fragment in _why_no_efficiency(SimpleNamespace(windows=windows))
