"""Trials with too few trades or an undefined metric are penalised and never the best."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd
import pytest
from optuna.distributions import IntDistribution
from optuna.trial import TrialState, create_trial

from backtrader_engine.errors import UserError
from backtrader_engine.optimize import PENALTY, score, select_best
from backtrader_engine.optimize.objectives import is_penalised, jsonable_metrics, metric_key

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EVERY_N = f"{FIXTURES / 'every_n_strategy.py'}:EveryN"


def test_too_few_trades_is_penalised_by_trade_count():
    value, reason = score({"trades": 3, "rmd": 50.0}, "rmd", min_trades=10)
    assert value == PENALTY + 3 and "3 closed trades < --min-trades 10" in reason
    more, _ = score({"trades": 7, "rmd": -1.0}, "rmd", min_trades=10)
    assert value < more < -1e5  # ordered by trades, far below any real score


def test_undefined_metric_is_penalised():
    value, reason = score({"trades": 30, "profit_factor": None}, "profit_factor", min_trades=10)
    assert value == PENALTY + 30 and "profit_factor is undefined" in reason
    value, reason = score({"trades": 30, "sharpe": float("nan")}, "sharpe", min_trades=0)
    assert is_penalised(value) and reason


def test_real_scores_pass_through():
    metrics = {"trades": 12, "total_return_pct": -35.5, "rmd": 0.4}
    assert score(metrics, "return", min_trades=10) == (-35.5, None)
    assert score(metrics, "rmd", min_trades=0) == (0.4, None)


def test_metric_names():
    assert metric_key("return") == "total_return_pct"
    with pytest.raises(UserError, match="expected one of rmd, sharpe"):
        metric_key("cagr")


def test_jsonable_metrics():
    import numpy as np

    clean = jsonable_metrics({"a": np.float64(1.5), "b": float("inf"), "c": np.int64(3),
                              "d": None, "e": "x", "f": pd.Timedelta("1D")})
    assert clean == {"a": 1.5, "b": None, "c": 3, "d": None, "e": "x", "f": "1 days 00:00:00"}
    json.dumps(clean, allow_nan=False)


def _trial(number: int, value: float, reason: str | None = None):
    attrs = {"metrics": {"trades": 5}, "daily_returns": [0.0, 0.01]}
    if reason:
        attrs["penalty_reason"] = reason
    return create_trial(params={"x": number}, distributions={"x": IntDistribution(0, 100)},
                        value=value, user_attrs=attrs, state=TrialState.COMPLETE)


def test_select_best_skips_penalised_even_if_higher():
    study = optuna.create_study(direction="maximize")
    study.add_trials([_trial(0, 1.0), _trial(1, 5.0, reason="few trades"), _trial(2, 2.0),
                      _trial(3, PENALTY + 7)])
    best = select_best(study.trials)
    assert best.number == 2 and best.value == 2.0 and best.params == {"x": 2}
    only_penalised = optuna.create_study(direction="maximize")
    only_penalised.add_trials([_trial(0, PENALTY + 3, reason="few trades")])
    assert select_best(only_penalised.trials) is None


def _optimize(cli, out, min_trades, trials):
    return cli("optimize", "--strategy", EVERY_N, "--n-jobs", "1", "--trials", str(trials),
               "--seed", "1", "--from", "2018-01-01", "--to", "2018-02-28", "--metric",
               "return", "--min-trades", str(min_trades), "--oos-fraction", "0",
               "--no-plots", "--out", str(out))


def test_study_never_picks_a_penalised_trial(cli, tmp_path):
    out = tmp_path / "out"
    result = _optimize(cli, out, min_trades=40, trials=12)
    assert result.code == 0, result.err
    trials = pd.read_csv(out / "trials.csv")
    penalised = trials["user_attrs_penalty_reason"].notna()
    assert penalised.any() and (~penalised).any()
    assert (trials.loc[penalised, "user_attrs_trades"] < 40).all()
    assert (trials.loc[penalised, "value"] ==
            PENALTY + trials.loc[penalised, "user_attrs_trades"]).all()
    summary = json.loads((out / "optimization_summary.json").read_text())
    best = trials.set_index("number").loc[summary["best"]["trial"]]
    assert pd.isna(best["user_attrs_penalty_reason"]) and best["user_attrs_trades"] >= 40
    assert best["value"] == trials.loc[~penalised, "value"].max()
    assert summary["trials"]["penalised"] == int(penalised.sum())


def test_all_penalised_gives_no_best_and_no_params_file(cli, tmp_path):
    out = tmp_path / "out"
    result = _optimize(cli, out, min_trades=100_000, trials=2)
    assert result.code == 0, result.err
    assert "no trial of study" in result.err and "--min-trades 100000" in result.err
    assert "best     none" in result.out
    summary = json.loads((out / "optimization_summary.json").read_text())
    assert summary["best"] is None and summary["best_params"] is None
    assert summary["in_sample"]["bars"] > 0 and "metrics" not in summary["in_sample"]
    assert not (out / "best_params.json").exists()
