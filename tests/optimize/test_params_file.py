"""``backtest --params-file``: an optimisation's best_params.json, or a plain mapping."""

from __future__ import annotations

import json


def _backtest(cli, tmp_path, *extra):
    out = tmp_path / "bt"
    result = cli("backtest", "--strategy", "RSIEMAMomentumStrategy", "--from", "2018-01-01",
                 "--to", "2018-02-28", "--out", str(out), "--no-plots", *extra)
    manifest = (json.loads((out / "report.json").read_text())["manifest"]
                if result.code == 0 else None)
    return result, manifest


def _write(tmp_path, document) -> str:
    path = tmp_path / "params.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_params_file_sets_params_and_param_flag_wins(cli, tmp_path):
    path = _write(tmp_path, {"strategy": "RSIEMAMomentumStrategy",
                             "params": {"rsi_period": 9, "ema_period": 40, "rsi_long": 60}})
    result, manifest = _backtest(cli, tmp_path, "--params-file", path, "--param", "ema_period=35")
    assert result.code == 0, result.err
    params = manifest["params"]
    assert params["rsi_period"] == 9 and params["ema_period"] == 35
    assert params["rsi_long"] == 60.0 and isinstance(params["rsi_long"], float)


def test_plain_mapping_is_accepted(cli, tmp_path):
    result, manifest = _backtest(cli, tmp_path, "--params-file",
                                 _write(tmp_path, {"rsi_period": 11}))
    assert result.code == 0, result.err
    assert manifest["params"]["rsi_period"] == 11


def _one_line(result) -> str:
    assert result.code == 2, (result.out, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    return lines[0]


def test_file_for_another_strategy_is_refused(cli, tmp_path):
    path = _write(tmp_path, {"strategy": "BollingerReversionStrategy", "params": {"bb_dev": 2.5}})
    line = _one_line(_backtest(cli, tmp_path, "--params-file", path)[0])
    assert "BollingerReversionStrategy" in line and "RSIEMAMomentumStrategy" in line


def test_unknown_param_in_file_suggests(cli, tmp_path):
    path = _write(tmp_path, {"strategy": "RSIEMAMomentumStrategy", "params": {"rsi_perod": 9}})
    line = _one_line(_backtest(cli, tmp_path, "--params-file", path)[0])
    assert "rsi_perod" in line and "rsi_period" in line


def test_missing_and_invalid_files(cli, tmp_path):
    line = _one_line(_backtest(cli, tmp_path, "--params-file", str(tmp_path / "nope.json"))[0])
    assert "does not exist" in line
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    line = _one_line(_backtest(cli, tmp_path, "--params-file", str(bad))[0])
    assert "invalid JSON" in line
    line = _one_line(_backtest(cli, tmp_path, "--params-file", _write(tmp_path, [1, 2]))[0])
    assert "expected" in line
