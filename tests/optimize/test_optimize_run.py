"""One real optimisation on 2 worker processes, with walk-forward, and everything it leaves.

The run is shared by the module: RSIEMAMomentum on four months of the bundled 1h candles,
8 trials on 2 workers, 30% held out, 2 walk-forward windows.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import optuna
import pandas as pd
import pytest

from backtrader_engine.cli import main
from backtrader_engine.config import StrategiesConfig, load_section
from backtrader_engine.errors import ConfigError
from backtrader_engine.optimize import PENALTY
from backtrader_engine.optimize.storage import open_storage
from backtrader_engine.strategies import resolve_strategy, strategy_params

STUDY = "main"
TRIALS = 8
RANGE = ("--from", "2018-01-01", "--to", "2018-04-30")
ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("optimize") / "study"
    code, stdout, stderr = _run(
        "optimize", "--strategy", "RSIEMAMomentumStrategy", "--n-jobs", "2",
        "--trials", str(TRIALS), *RANGE, "--min-trades", "5", "--seed", "3",
        "--walk-forward", "2", "--study-name", STUDY, "--out", str(out))
    assert code == 0, stderr
    summary = json.loads((out / "optimization_summary.json").read_text())
    return out, stdout, stderr, summary


def test_summary_table_is_printed(run):
    _, stdout, _, summary = run
    for text in ("best", "params", "in-sample", "out-of-sample", "DSR", "PBO", "WFE",
                 "optimization_summary.json", f"--study-name {STUDY}"):
        assert text in stdout
    assert f"{summary['best']['value']:.6g}" in stdout
    assert "reproduced exactly" in stdout


def test_all_files_are_written(run):
    out, *_ = run
    for name in ("optimization_summary.json", "trials.csv", "best_params.json", "history.png",
                 "importances.png", "heatmap.png", "oos_equity.png", "progress.json",
                 "study.journal"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_exactly_the_requested_trials_ran(run):
    out, *_ = run
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == TRIALS
    assert sorted(trials["number"]) == list(range(TRIALS))
    assert set(trials["state"]) == {"COMPLETE"}
    progress = json.loads((out / "progress.json").read_text())
    assert progress["trials_done"] == progress["trials_total"] == TRIALS
    assert progress["running"] == 0


def test_trials_record_metrics_params_and_worker(run):
    out, *_ = run
    trials = pd.read_csv(out / "trials.csv")
    for column in ("params_rsi_period", "params_ema_period", "user_attrs_rmd",
                   "user_attrs_sharpe", "user_attrs_trades", "user_attrs_worker_pid"):
        assert trials[column].notna().all(), column
    study = optuna.load_study(study_name=STUDY, storage=open_storage(str(out / "study.journal")))
    for trial in study.trials:
        assert trial.value == trial.user_attrs["metrics"]["rmd"]
        returns = trial.user_attrs["daily_returns"]
        assert isinstance(returns, list) and all(isinstance(r, float) for r in returns)
    lengths = {len(t.user_attrs["daily_returns"]) for t in study.trials}
    assert len(lengths) == 1  # one common daily grid across trials


def test_summary_contents(run):
    _, _, _, summary = run
    assert summary["strategy"] == "RSIEMAMomentumStrategy"
    assert summary["study_name"] == STUDY and summary["metric"] == "rmd"
    assert summary["status"] == "finished" and summary["seed"] == 3
    assert summary["trials"]["complete"] == TRIALS and summary["trials"]["failed"] == 0
    assert summary["trials_this_run"] == TRIALS
    assert len(summary["data"]["sha256"]) == 64
    assert summary["command"][:2] == ["bte", "optimize"]
    assert {"optuna", "backtrader", "pandas"} <= set(summary["versions"])
    ins, oos = summary["in_sample"], summary["out_of_sample"]
    assert ins["bars"] + oos["bars"] == summary["data"]["bars"]
    assert oos["bars"] == round(summary["data"]["bars"] * 0.3)
    assert pd.Timestamp(ins["end"]) < pd.Timestamp(oos["start"])
    assert ins["metrics"]["rmd"] == summary["best"]["value"]
    assert summary["reproduces_best_trial"] is True
    assert "rmd" in oos["metrics"] and "trades" in oos["metrics"]
    assert 0.0 <= summary["dsr"]["dsr"] <= 1.0 and summary["dsr"]["n_trials"] == TRIALS
    assert 0.0 <= summary["pbo"]["pbo"] <= 1.0 and summary["pbo"]["n_trials"] == TRIALS
    assert summary["importances"] and abs(sum(summary["importances"].values()) - 1) < 1e-9
    assert summary["best"]["value"] > PENALTY / 2


def test_walk_forward_sub_studies(run):
    out, _, _, summary = run
    wf = summary["walk_forward"]
    assert [w["study_name"] for w in wf["windows"]] == [f"{STUDY}-wf1", f"{STUDY}-wf2"]
    first, second = wf["windows"]
    assert pd.Timestamp(first["test"]["end"]) < pd.Timestamp(second["test"]["start"])
    assert second["test"]["end"] == summary["data"]["end"]
    for window in wf["windows"]:
        assert window["trials_this_run"] == TRIALS
        assert window["best_params"] and window["test_metrics"]["bars"] > 0
    assert "efficiency" in wf and "total_return_pct" in wf["stitched"]
    names = optuna.get_all_study_names(open_storage(str(out / "study.journal")))
    assert set(names) == {STUDY, f"{STUDY}-wf1", f"{STUDY}-wf2"}


def test_best_params_backtest_reproduces_the_best_trial_exactly(run, cli, tmp_path):
    out, _, _, summary = run
    best = json.loads((out / "best_params.json").read_text())
    assert best["strategy"] == "RSIEMAMomentumStrategy"
    assert best["params"] == summary["best_params"]
    ins = summary["in_sample"]
    result = cli("backtest", "--strategy", "RSIEMAMomentumStrategy", "--params-file",
                 str(out / "best_params.json"), "--from", ins["start"], "--to", ins["end"],
                 "--out", str(tmp_path / "bt"), "--no-plots")
    assert result.code == 0, result.err
    metrics = json.loads((tmp_path / "bt" / "report.json").read_text())["metrics"]
    trials = pd.read_csv(out / "trials.csv").set_index("number")
    assert metrics["bars"] == ins["bars"]
    assert metrics["rmd"] == summary["best"]["value"]
    assert metrics["rmd"] == trials.loc[summary["best"]["trial"], "value"]


def _paste(params: dict, root: Path) -> Path:
    configs = root / "configs"
    shutil.copytree(ROOT / "configs", configs)
    path = configs / "strategies_config.json"
    document = json.loads(path.read_text())
    document["strategies"]["RSIEMAMomentumStrategy"]["params"] = params
    path.write_text(json.dumps(document, indent=2))
    return path


def _check_params(path: Path) -> None:
    config = load_section(path, StrategiesConfig)
    config.validate_params(lambda name: strategy_params(resolve_strategy(name)))


def test_best_params_paste_into_the_strategies_config(run, cli, tmp_path):
    out, *_ = run
    params = json.loads((out / "best_params.json").read_text())["params"]
    path = _paste(params, tmp_path)
    _check_params(path)
    result = cli("config", "check", "--config-dir", str(path.parent))
    assert result.code == 0, result.err


def test_pasted_params_are_really_checked(tmp_path):
    path = _paste({"rsi_period": 14, "use_confirmation": 1}, tmp_path)
    with pytest.raises(ConfigError, match="use_confirmation"):
        _check_params(path)


def test_the_best_params_are_checked_for_look_ahead(run):
    _, stdout, _, summary = run
    check = summary["lookahead"]
    assert check["clean"] is True and check["findings"] == []
    assert check["signals_checked"] > 0 and check["cuts"] > 0
    assert "look-ahead: clean" in stdout
