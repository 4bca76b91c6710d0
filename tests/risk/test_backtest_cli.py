"""``backtest --risk-gate`` end to end, and ungated runs left exactly as they were."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USER_FILE = ROOT / "tests" / "engine" / "fixtures" / "user_strategy.py"
DATA = "BTCUSDT-1m-2022-09-05.zip"

#: Limits that never bind: a gated run must then trade exactly like an ungated one.
PERMISSIVE = {
    "min_confidence": 0.0, "min_seconds_between_signals": 0.0,
    "max_signals_per_hour": 100000, "max_signals_per_hour_per_strategy": 100000,
    "volatility_filter_pct": 100.0, "breaker_volatility_pct": 100.0,
    "max_position_notional_usdt": 1e12, "max_open_positions": 1000,
    "daily_loss_limit_pct": 100.0, "max_drawdown_pct": 100.0,
}


def config_dir_with(tmp_path: Path, **risk: object) -> Path:
    target = tmp_path / "configs"
    shutil.copytree(ROOT / "configs", target)
    path = target / "risk_config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(risk)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return target


def backtest(cli, testdata, out: Path, strategy: str, *extra: str):
    result = cli("backtest", "--strategy", strategy, "--data", str(testdata / DATA),
                 "--out", str(out), "--no-plots", *extra)
    assert result.code == 0, result.err
    return result


def signal_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "signals.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_risk_gate_writes_counts_reasons_and_the_journal(cli, testdata, tmp_path):
    out = tmp_path / "run"
    result = backtest(cli, testdata, out, "RSIEMAMomentum", "--risk-gate",
                      "--config-dir", str(ROOT / "configs"))
    report = json.loads((out / "report.json").read_text())
    total = report["risk_gate"]["signals"]["total"]
    rows = signal_rows(out)
    gate_rows = [r for r in rows if r["stage"] == "gate"]
    # The counts are the journal's, row for row.
    assert total["generated"] == len(gate_rows)
    assert total["passed"] == sum(r["outcome"] == "passed" for r in gate_rows)
    assert total["executed"] == sum(r["outcome"] == "executed" for r in rows)
    reasons = Counter(r["reason"] for r in rows if r["outcome"] == "rejected")
    assert total["rejection_reasons"] == dict(reasons)
    assert total["rejected"] == sum(reasons.values())
    assert total["generated"] == total["passed"] + sum(
        n for reason, n in reasons.items() if not reason.startswith("broker:"))
    # This day loses more than 3% on the strategy's trades: the daily stop and the confidence
    # floor both refuse signals.
    assert {"daily_loss", "low_confidence"} <= set(reasons)
    # Every order the gate refused is also a refused order, under the gate's code.
    refused = report["rejected_orders"]["by_reason"]
    assert {r: n for r, n in refused.items() if r not in ("margin", "expired", "rejected")} == {
        r: n for r, n in reasons.items() if not r.startswith("broker:")}
    assert report["risk_gate"]["daily_loss_halts"] >= 1
    assert total["executed"] > 0
    assert set(report["risk_gate"]["signals"]["by_strategy"]) == {"RSIEMAMomentumStrategy"}
    assert set(report["risk_gate"]["signals"]["by_symbol"]) == {"BTCUSDT"}
    # No latency or spread data in a backtest: those breakers never trip.
    breakers = report["risk_gate"]["breakers"]
    assert breakers["latency"]["trips"] == breakers["spread"]["trips"] == 0
    assert report["manifest"]["risk_config"]["min_confidence"] == 0.6
    # Closed trades are the executed entries (each entry is one round trip here).
    assert report["metrics"]["trades"] == total["executed"]
    summary = [line.split() for line in result.out.splitlines()]
    assert ["Signals", "generated", str(total["generated"])] in summary
    assert ["daily_loss", str(reasons["daily_loss"])] in summary
    assert str(out / "signals.csv") in result.out


def test_config_dir_supplies_the_limits(cli, testdata, tmp_path):
    config = config_dir_with(tmp_path, max_signals_per_hour_per_strategy=1,
                             min_confidence=0.0)
    out = tmp_path / "run"
    backtest(cli, testdata, out, "RSIEMAMomentum", "--risk-gate", "--config-dir", str(config))
    report = json.loads((out / "report.json").read_text())
    reasons = report["risk_gate"]["signals"]["total"]["rejection_reasons"]
    assert "low_confidence" not in reasons
    assert reasons.get("strategy_hourly_cap", 0) > 0
    assert report["manifest"]["risk_config"]["max_signals_per_hour_per_strategy"] == 1
    # At most one passed signal per rolling hour.
    passed = sorted(r["time"] for r in signal_rows(out) if r["outcome"] == "passed")
    hours = [int(t[11:13]) * 60 + int(t[14:16]) for t in passed]
    assert all(b - a >= 60 for a, b in zip(hours, hours[1:], strict=False))


def test_invalid_risk_config_is_one_clear_line(cli, testdata, tmp_path, one_clear_line):
    config = config_dir_with(tmp_path, breaker_volatility_pct=1.0)
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data",
                              str(testdata / DATA), "--risk-gate", "--config-dir", str(config)))
    assert "risk_config.json" in line and "breaker_volatility_pct" in line


@pytest.mark.parametrize("strategy", ["RSIEMAMomentum", f"{USER_FILE}:TwoWayMomentum"])
def test_gate_off_report_is_unchanged_and_a_gate_that_never_binds_changes_nothing(
        cli, testdata, tmp_path, strategy):
    off, on = tmp_path / "off", tmp_path / "on"
    backtest(cli, testdata, off, strategy)
    backtest(cli, testdata, on, strategy, "--risk-gate", "--config-dir",
             str(config_dir_with(tmp_path, **PERMISSIVE)))
    report_off = json.loads((off / "report.json").read_text())
    report_on = json.loads((on / "report.json").read_text())
    assert list(report_off) == ["metrics", "rejected_orders", "manifest"]
    assert "risk_config" not in report_off["manifest"]
    assert not (off / "signals.csv").exists()
    assert report_on["metrics"] == report_off["metrics"]
    assert report_on["rejected_orders"] == report_off["rejected_orders"]
    for name in ("trades.csv", "equity.csv"):
        assert (on / name).read_bytes() == (off / name).read_bytes(), name
    total = report_on["risk_gate"]["signals"]["total"]
    assert total["rejected"] == 0 and total["passed"] == total["generated"] > 0
