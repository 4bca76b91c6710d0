"""``bte new-strategy NAME``: a commented template that runs in every mode as written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from backtrader_engine.data import default_dataset, load_ohlcv
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.strategies.registry import resolve_strategy
from backtrader_engine.strategies.space import space_of
from backtrader_engine.strategies.template import file_name

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_the_template_loads_trades_and_declares_its_space(cli, tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    result = cli("new-strategy", "EmaCross", "--out", str(path))
    assert result.code == 0, result.err
    assert result.out.startswith(f"wrote {path}")
    strategy = resolve_strategy(f"{path}:EmaCross")
    assert set(space_of(strategy)) == {"fast", "slow", "stop_pct", "allow_short"}
    frame = load_ohlcv(default_dataset()).iloc[:3000]
    run = run_backtest(BacktestRequest(strategy=strategy, frame=frame, timeframe="1h"))
    assert run.metrics["trades"] > 10
    assert run.rejected_orders()["total"] == 0


def test_config_check_accepts_the_template_in_strategies_config(cli, tmp_path: Path) -> None:
    path = tmp_path / "ema_cross.py"
    assert cli("new-strategy", "EmaCross", "--out", str(path)).code == 0
    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS, configs)
    entry = {"enabled": True, "symbols": ["BTCUSDT"], "timeframe": "15m",
             "params": {"fast": 10, "stop_pct": 0.03}}
    (configs / "strategies_config.json").write_text(
        json.dumps({"strategies": {f"{path}:EmaCross": entry}}))
    result = cli("config", "check", "--config-dir", str(configs))
    assert result.code == 0, result.out + result.err
    entry["params"] = {"fsat": 10}  # a misspelt param is caught against the template's own
    (configs / "strategies_config.json").write_text(
        json.dumps({"strategies": {f"{path}:EmaCross": entry}}))
    assert cli("config", "check", "--config-dir", str(configs)).code == 2


def test_the_default_file_is_the_snake_case_name_under_strategies(cli, tmp_path: Path,
                                                                 monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert file_name("EmaCrossV2") == "ema_cross_v2.py"
    assert cli("new-strategy", "EmaCrossV2").code == 0
    assert (tmp_path / "strategies" / "ema_cross_v2.py").is_file()


def test_an_existing_file_is_kept_unless_forced(cli, one_clear_line, tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text("# mine\n")
    line = one_clear_line(cli("new-strategy", "EmaCross", "--out", str(path)))
    assert "exists" in line and "--force" in line
    assert path.read_text() == "# mine\n"
    assert cli("new-strategy", "EmaCross", "--out", str(path), "--force").code == 0
    assert "class EmaCross(bt.Strategy)" in path.read_text()


def test_a_name_that_is_no_class_name_is_one_line(cli, one_clear_line, tmp_path: Path) -> None:
    for bad in ("ema_cross", "2Fast", "None"):
        line = one_clear_line(cli("new-strategy", bad, "--out", str(tmp_path / "x.py")))
        assert "expected a class name in CamelCase" in line, bad
    assert not (tmp_path / "x.py").exists()
