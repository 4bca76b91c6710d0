"""Breaker modes end to end: ``backtest --strategy RSIEMAMomentum --risk-gate`` on the bundled
candles (BTC-USD 1h, 2017-07 to 2019-10), whose equity falls more than 10% below its peak
several times.

``cooldown`` (the shipped drawdown default) trades again after every trip against a fresh peak,
``daily`` re-arms at the next 00:00 UTC, ``halt`` stays open to the end (no operator).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESUME = re.compile(r"entries resume (\d{4}-\d\d-\d\d \d\d:\d\d) UTC")


def run(cli, tmp_path: Path, drawdown: dict | None = None) -> tuple[dict, list[dict], list[dict]]:
    """(report, signal rows, trade rows) of a gated run on the bundled data."""
    config = ROOT / "configs"
    if drawdown is not None:
        config = tmp_path / "configs"
        shutil.copytree(ROOT / "configs", config)
        path = config / "risk_config.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        data["breakers"]["drawdown"] = drawdown
        path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "run"
    result = cli("backtest", "--strategy", "RSIEMAMomentum", "--risk-gate", "--config-dir",
                 str(config), "--out", str(out), "--no-plots")
    assert result.code == 0, result.err
    with open(out / "signals.csv", newline="", encoding="utf-8") as handle:
        signals = list(csv.DictReader(handle))
    with open(out / "trades.csv", newline="", encoding="utf-8") as handle:
        trades = list(csv.DictReader(handle))
    return json.loads((out / "report.json").read_text()), signals, trades


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace(" UTC", ""))


def drawdown_refusals(signals: list[dict]) -> list[tuple[datetime, datetime | None, str]]:
    """(signal time, resume time or None, message) of every ``breaker:drawdown`` refusal."""
    out = []
    for row in signals:
        if row["reason"] == "breaker:drawdown":
            match = RESUME.search(row["message"])
            out.append((at(row["time"]), at(match.group(1)) if match else None,
                        row["message"]))
    return out


def test_cooldown_trades_again_after_each_drawdown_trip(cli, tmp_path):
    report, signals, trades = run(cli, tmp_path)
    drawdown = report["risk_gate"]["breakers"]["drawdown"]
    assert (drawdown["mode"], drawdown["cooldown_seconds"]) == ("cooldown", 86_400.0)
    assert drawdown["trips"] >= 2
    # Every trip kept entries off for exactly its day (the last one ended before the data).
    assert drawdown["halted_seconds"] == drawdown["trips"] * 86_400.0
    assert not drawdown["open"] and drawdown["resumes"] == ""
    refusals = drawdown_refusals(signals)
    assert refusals, "the bundled data trips the drawdown breaker"
    for when, resume, message in refusals:
        assert resume is not None and when < resume <= when + timedelta(days=1)
        assert "circuit breaker drawdown open (cooldown)" in message
        assert message.endswith("against a fresh peak")
    entries = [at(t["entry_time"]) for t in trades]
    passed = [at(r["time"]) for r in signals if r["stage"] == "gate" and r["outcome"] == "passed"]
    first_resume = refusals[0][1]
    assert any(e >= first_resume for e in entries)  # trading goes on after the first re-arm
    for resume in {r for _w, r, _m in refusals}:  # ... and after every one
        assert any(p >= resume for p in passed) and any(e >= resume for e in entries)
    # The report counts what the journal shows.
    total = report["risk_gate"]["signals"]["total"]
    assert total["rejection_reasons"]["breaker:drawdown"] == len(refusals)
    assert report["metrics"]["trades"] == total["executed"]


def test_daily_rearms_at_the_next_utc_midnight(cli, tmp_path):
    report, signals, trades = run(cli, tmp_path, {"mode": "daily"})
    drawdown = report["risk_gate"]["breakers"]["drawdown"]
    assert drawdown["mode"] == "daily" and drawdown["cooldown_seconds"] is None
    assert drawdown["trips"] >= 2
    assert 0 < drawdown["halted_seconds"] <= drawdown["trips"] * 86_400.0
    opened = at(drawdown["opened_at"])
    assert at(drawdown["closes_at"]) == datetime.combine(opened.date() + timedelta(days=1),
                                                         datetime.min.time())
    refusals = drawdown_refusals(signals)
    assert refusals
    for when, resume, message in refusals:
        midnight = datetime.combine(when.date() + timedelta(days=1), datetime.min.time())
        assert resume == midnight
        assert "open (daily): entries resume" in message and "(the next UTC day)" in message
    entries = [at(t["entry_time"]) for t in trades]
    assert any(e >= refusals[0][1] for e in entries)


def test_halt_stays_open_to_the_end_without_an_operator(cli, tmp_path):
    report, signals, trades = run(cli, tmp_path, {"mode": "halt"})
    drawdown = report["risk_gate"]["breakers"]["drawdown"]
    assert (drawdown["mode"], drawdown["trips"], drawdown["open"]) == ("halt", 1, True)
    assert drawdown["closes_at"] is None
    assert drawdown["resumes"].startswith("entries resume when an operator runs /start_trading")
    opened = at(drawdown["opened_at"])
    last_bar = datetime(2019, 10, 17, 9)
    assert drawdown["halted_seconds"] == (last_bar - opened).total_seconds()
    refusals = drawdown_refusals(signals)
    assert refusals and all(resume is None and "(halt)" in message
                            for _w, resume, message in refusals)
    # After the trip no signal passes and no position opens.
    passed = [at(r["time"]) for r in signals if r["stage"] == "gate" and r["outcome"] == "passed"]
    assert max(passed) <= opened
    assert max(at(t["entry_time"]) for t in trades) <= opened + timedelta(hours=1)
