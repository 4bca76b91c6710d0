"""The strategies panel's rows: configured strategy × symbol joined with the session."""

from __future__ import annotations

import json
from pathlib import Path

from backtrader_engine.config import StrategiesConfig, load_section
from backtrader_engine.dashboard.model import strategy_rows
from backtrader_engine.dashboard.model.strategies import (
    COLUMNS,
    last_signal_text,
    strategies_frame,
)
from backtrader_engine.operations import read_snapshot

from .conftest import CONFIGS


def test_each_configured_pair_gets_a_row_and_the_traded_ones_come_first(ledger: Path) -> None:
    config = load_section(CONFIGS / "strategies_config.json", StrategiesConfig)
    snap = read_snapshot(ledger)
    rows = strategy_rows(config, snap, None)
    pairs = [(name, s) for name, e in config.strategies.items() for s in e.symbols]
    assert sorted((r.strategy, r.symbol) for r in rows) == sorted(pairs)
    traded = [r for r in rows if r.account is not None]
    assert [r.account is None for r in rows] == sorted(r.account is None for r in rows)
    assert {r.strategy for r in traded} == {a.strategy_class for a in snap.accounts
                                            if not a.manual}
    for row in traded:
        assert row.symbol == "BTCUSDT" and row.params == row.account.params
        assert row.state.startswith("stopped, ")  # no running session answered
        side = row.state.split(", ")[1]
        assert side == ("long" if row.account.position > 0 else
                        "short" if row.account.position < 0 else "flat")
    others = [r for r in rows if r.account is None]
    assert {r.state for r in others} == {"not in this session"}
    assert all(r.params == dict(config.strategies[r.strategy].params) for r in others)
    frame = strategies_frame(rows)
    assert list(frame.columns) == COLUMNS and len(frame) == len(rows)
    assert json.loads(frame.loc[0, "params"]) == rows[0].params


def test_running_state_errors_and_strategies_outside_the_config(ledger: Path) -> None:
    snap = read_snapshot(ledger)
    config = StrategiesConfig.model_validate({"strategies": {
        "RSIEMAMomentumStrategy": {"symbols": ["BTCUSDT"], "timeframe": "1h"},
        "BollingerReversionStrategy": {"symbols": ["ETHUSDT"], "timeframe": "15m",
                                       "enabled": False}}})
    live = {"accounts": {"RSIEMAMomentumStrategy:BTCUSDT": {"error": "ZeroDivisionError()"}}}
    rows = {(r.strategy, r.symbol): r for r in strategy_rows(config, snap, live)}
    assert rows[("RSIEMAMomentumStrategy", "BTCUSDT")].state == "error: ZeroDivisionError()"
    assert rows[("BollingerReversionStrategy", "ETHUSDT")].state == "disabled in config"
    outside = rows[("TrendFollowingADXEMAStrategy", "BTCUSDT")]
    assert outside.state.startswith("running, ") and outside.state.endswith("(not in config)")
    assert ("ManualSignalStrategy", "BTCUSDT") not in rows


def test_without_config_or_ledger_there_is_nothing_to_show() -> None:
    assert strategy_rows(None, None) == []


def test_last_signal_text() -> None:
    assert last_signal_text(None) == "none yet"
    assert last_signal_text({"ts_ms": 1_500_000_000_000, "side": "buy", "size": 0.123456789,
                             "outcome": "rejected", "reason": "volatility"}) == \
        "buy 0.123457 rejected (volatility) at 2017-07-14 02:40"
