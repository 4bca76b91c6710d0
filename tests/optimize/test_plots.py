"""Study plots write valid PNGs for real optuna frames and for degenerate input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from backtrader_engine.optimize.plots import (
    choose_heatmap_params,
    plot_history,
    plot_importances,
    plot_oos_equity,
    plot_param_heatmap,
    plot_slice,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    """A real ``trials_dataframe()`` with complete, penalised, failed and pruned trials."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=3))

    def objective(trial: optuna.Trial) -> float:
        fast = trial.suggest_int("fast", 5, 50)
        slow = trial.suggest_float("slow", 20.0, 200.0)
        mode = trial.suggest_categorical("mode", ["long", "both"])
        if trial.number % 11 == 5:
            raise RuntimeError("backtest failed")
        if trial.number % 13 == 7:
            raise optuna.TrialPruned()
        if fast > 45:
            trial.set_user_attr("penalised", True)
            trial.set_user_attr("penalty_reason", "too few trades")
            return -1e6
        trial.set_user_attr("penalised", False)
        return float(np.sin(fast / 7) + slow / 100 + (mode == "both"))

    study.optimize(objective, n_trials=60, catch=(RuntimeError,))
    return study.trials_dataframe()


@pytest.fixture
def many_trials() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    return pd.DataFrame({
        "number": np.arange(n),
        "value": rng.normal(size=n),
        "state": "COMPLETE",
        "params_a": rng.uniform(0, 1, n),
        "params_b": rng.integers(1, 30, n),
    })


@pytest.fixture
def equity() -> pd.Series:
    index = pd.date_range("2023-01-01", periods=3000, freq="1h")
    return pd.Series(10_000 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.002, 3000))),
                     index=index)


def test_fixture_covers_every_trial_kind(trials):
    assert {"COMPLETE", "FAIL", "PRUNED"} <= set(trials["state"])
    assert trials["user_attrs_penalised"].fillna(False).astype(bool).any()


def test_history(trials, tmp_path):
    assert _is_png(plot_history(trials, tmp_path / "history.png", "sharpe"))
    assert _is_png(plot_history(trials, tmp_path / "history_min.png", "drawdown",
                                direction="minimize"))


@pytest.mark.parametrize("states", [["FAIL", "FAIL"], ["RUNNING", "PRUNED"], []])
def test_history_without_complete_trials(tmp_path, states):
    frame = pd.DataFrame({"number": range(len(states)), "value": [np.nan] * len(states),
                          "state": states})
    assert _is_png(plot_history(frame, tmp_path / "history.png", "sharpe"))


def test_history_of_a_study_without_trials(tmp_path):
    assert _is_png(plot_history(pd.DataFrame(), tmp_path / "history.png", "sharpe"))


def test_importances(tmp_path):
    path = plot_importances({"fast": 0.6, "slow": 0.3, "mode": 0.1}, tmp_path / "imp.png")
    assert _is_png(path)
    assert _is_png(plot_importances({}, tmp_path / "empty.png"))


def test_heatmap_scatter_and_binned(trials, many_trials, tmp_path):
    assert _is_png(plot_param_heatmap(trials, "fast", "slow", tmp_path / "scatter.png", "sharpe"))
    assert _is_png(plot_param_heatmap(many_trials, "params_a", "b", tmp_path / "binned.png",
                                      "sharpe"))


def test_heatmap_with_a_categorical_param(trials, tmp_path):
    assert _is_png(plot_param_heatmap(trials, "mode", "slow", tmp_path / "cat.png", "sharpe"))


def test_heatmap_edge_input(trials, tmp_path):
    failed = trials.assign(state="FAIL")
    assert _is_png(plot_param_heatmap(failed, "fast", "slow", tmp_path / "none.png", "sharpe"))
    assert _is_png(plot_param_heatmap(trials, "fast", "missing", tmp_path / "missing.png",
                                      "sharpe"))
    assert _is_png(plot_param_heatmap(pd.DataFrame(), "fast", "slow", tmp_path / "empty.png",
                                      "sharpe"))


def test_slice(trials, tmp_path):
    assert _is_png(plot_slice(trials, "fast", tmp_path / "slice.png", "sharpe"))
    assert _is_png(plot_slice(trials, "params_mode", tmp_path / "slice_cat.png", "sharpe"))
    assert _is_png(plot_slice(trials.assign(state="PRUNED"), "fast", tmp_path / "none.png",
                              "sharpe"))
    assert _is_png(plot_slice(pd.DataFrame(), "fast", tmp_path / "empty.png", "sharpe"))


def test_oos_equity(equity, tmp_path):
    in_sample, out_of_sample = equity.iloc[:2000], equity.iloc[2000:]
    walk = equity.iloc[1200:] * 0.9
    assert _is_png(plot_oos_equity(in_sample, out_of_sample, walk, tmp_path / "all.png"))
    assert _is_png(plot_oos_equity(in_sample, None, None, tmp_path / "is.png"))
    assert _is_png(plot_oos_equity(None, None, walk, tmp_path / "wf.png"))
    assert _is_png(plot_oos_equity(None, None, None, tmp_path / "none.png"))
    assert _is_png(plot_oos_equity(pd.Series(dtype=float), None, None, tmp_path / "empty.png"))


def test_choose_heatmap_params_follows_importance(trials):
    assert choose_heatmap_params(trials, {"mode": 0.9, "slow": 0.5, "fast": 0.1}) == \
        ("slow", "fast")
    assert choose_heatmap_params(trials, {"fast": 0.7, "slow": 0.2}) == ("fast", "slow")


def test_choose_heatmap_params_without_importances_uses_column_order(trials):
    assert choose_heatmap_params(trials, {}) == ("fast", "slow")


def test_choose_heatmap_params_with_one_or_no_numeric_param():
    one = pd.DataFrame({"number": range(4), "value": [1.0, 2.0, 3.0, 4.0], "state": "COMPLETE",
                        "params_x": [1, 2, 3, 4], "params_flat": [5, 5, 5, 5],
                        "params_mode": ["a", "b", "a", "b"], "params_flag": [True, False] * 2})
    assert choose_heatmap_params(one, {"flat": 0.9, "mode": 0.8}) == ("x",)
    assert choose_heatmap_params(one.drop(columns="params_x"), {}) == ()
    assert choose_heatmap_params(pd.DataFrame(), {}) == ()
