"""``bte backtest --symbols``: several symbols from the store or a folder, one report.

The run prints the portfolio's summary and a per-symbol table with a TOTAL row; report.json
gains ``accounts`` and ``symbols``; trades.csv names each trade's symbol; equity.csv keeps the
portfolio's columns and adds each symbol's PnL (shared) or equity (per-symbol). Bad portfolio
input is refused in one line with exit 2, writing nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.data.store import DataStore
from tests.conftest import synthetic_ohlcv

SYMBOLS = ("AAAUSDT", "BBBUSDT", "CCCUSDT")


def _frames() -> dict[str, pd.DataFrame]:
    return {symbol: synthetic_ohlcv(900, freq="1h", seed=seed, price=price, vol=0.01)
            for seed, (symbol, price) in enumerate(zip(SYMBOLS, (30.0, 2.0, 150.0),
                                                       strict=True))}


@pytest.fixture
def folder(fresh_cwd: Path) -> Path:
    """A folder of one CSV per symbol, plus AAAUSDT's funding history."""
    path = fresh_cwd / "candles"
    path.mkdir()
    for symbol, frame in _frames().items():
        frame.to_csv(path / f"{symbol}-1h.csv")
    times = pd.date_range("2022-01-01", periods=120, freq="8h")
    pd.DataFrame({"fundingTime": times.astype("int64") // 10**6,
                  "fundingRate": 0.002}).to_csv(path / "AAAUSDT-funding-8h.csv", index=False)
    return path


@pytest.fixture
def store(fresh_cwd: Path) -> Path:
    root = fresh_cwd / "store"
    data_store = DataStore(root)
    for symbol, frame in _frames().items():
        data_store.write("bybit", symbol, "1h", frame)
    return root


def _run(cli, *args: str):
    result = cli("backtest", "--strategy", "RSIEMAMomentum", "--no-plots", *args)
    assert result.code == 0, result.err
    return result


def test_a_folder_portfolio_prints_a_row_per_symbol_and_a_total(cli, folder: Path,
                                                                fresh_cwd: Path) -> None:
    out = fresh_cwd / "report"
    result = _run(cli, "--data", str(folder), "--symbols", ",".join(SYMBOLS), "--out", str(out))
    table = result.out.split("Per symbol (one shared account)", 1)[1]
    rows = [line.split() for line in table.splitlines() if line.strip()]
    assert [row[0] for row in rows[1:5]] == [*SYMBOLS, "TOTAL"]
    report = json.loads((out / "report.json").read_text())
    assert report["accounts"] == "shared"
    by_symbol = {row["symbol"]: row for row in report["symbols"]}
    assert list(by_symbol) == [*SYMBOLS, "TOTAL"]
    assert sum(by_symbol[s]["trades"] for s in SYMBOLS) == by_symbol["TOTAL"]["trades"] > 0
    assert by_symbol["TOTAL"]["net_pnl"] == pytest.approx(
        report["metrics"]["final_value"] - 10_000.0, abs=1e-6)
    assert by_symbol["AAAUSDT"]["data_file"].endswith("AAAUSDT-1h.csv")
    trades = pd.read_csv(out / "trades.csv")
    assert set(trades["symbol"]) == set(SYMBOLS)
    equity = pd.read_csv(out / "equity.csv")
    assert list(equity.columns) == ["datetime", "equity", "cash", "position_size", "notional",
                                    "drawdown_pct", *(f"pnl_{s}" for s in SYMBOLS)]


def test_per_symbol_accounts_add_each_symbols_equity(cli, store: Path, fresh_cwd: Path) -> None:
    out = fresh_cwd / "report"
    result = _run(cli, "--store", str(store), "--symbols", ",".join(SYMBOLS),
                  "--accounts", "per-symbol", "--out", str(out))
    assert "Per symbol (one sub-account each, cash split equally)" in result.out
    equity = pd.read_csv(out / "equity.csv")
    own = sum(equity[f"equity_{s}"] for s in SYMBOLS)
    assert (own - equity["equity"]).abs().max() < 1e-6
    assert equity[f"equity_{SYMBOLS[0]}"].iloc[0] == pytest.approx(10_000.0 / 3)
    report = json.loads((out / "report.json").read_text())
    assert report["accounts"] == "per-symbol"
    assert [row["cash"] for row in report["symbols"][:3]] == [pytest.approx(10_000.0 / 3)] * 3


def test_rejected_orders_are_shown_per_symbol(cli, folder: Path, fresh_cwd: Path) -> None:
    # A 95% position per symbol in one account: the symbols compete for the same cash.
    strategy = fresh_cwd / "greedy.py"
    strategy.write_text(
        "import backtrader as bt\n\n\nclass Greedy(bt.Strategy):\n"
        "    def __init__(self):\n        self.sma = bt.ind.SMA(period=20)\n\n"
        "    def next(self):\n"
        "        if self.data.close[0] > self.sma[0]:\n"
        "            self.order_target_percent(target=0.95)\n"
        "        else:\n            self.order_target_percent(target=0.0)\n")
    result = cli("backtest", "--strategy", f"{strategy}:Greedy", "--data", str(folder),
                 "--symbols", ",".join(SYMBOLS), "--no-plots", "--out", str(fresh_cwd / "r"))
    assert result.code == 0, result.err
    refused = [line for line in result.out.splitlines()
               if line.strip().startswith(tuple(f"{s}:" for s in SYMBOLS))]
    assert refused and all("rejected: insufficient margin" in line for line in refused)
    assert "orders were not accepted" in result.err


@pytest.mark.parametrize(("args", "expected"), [
    (("--symbols", "AAAUSDT,DDDUSDT"),
     "error: --symbols DDDUSDT: no file for it in {folder}"),
    (("--symbols", "AAAUSDT,AAAUSDT"),
     "error: --symbols: AAAUSDT is listed twice; expected each symbol once"),
    (("--symbols", "AAAUSDT,BBBUSDT", "--accounts", "joint"),
     "error: --accounts joint: expected one of shared, per-symbol"),
    (("--accounts", "per-symbol"),
     "error: --accounts per-symbol: only used with --symbols; pass --symbols A,B to split "
     "the cash among symbols"),
    (("--symbols", "AAAUSDT,BBBUSDT", "--symbol", "AAAUSDT"),
     "error: --symbol and --symbols: give one; --symbols names every symbol of a portfolio"),
    (("--symbols", "AAAUSDT,BBBUSDT", "--risk-gate"),
     "error: --risk-gate: not available with --symbols; run the symbols one at a time to "
     "screen them through the gate"),
    (("--symbols", " , "),
     "error: --symbols: no symbol given; expected a list such as BTCUSDT,ETHUSDT"),
])
def test_bad_portfolio_input_is_refused_in_one_line(one_clear_line, cli, folder: Path,
                                                    fresh_cwd: Path, args, expected) -> None:
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data", str(folder),
                              "--no-plots", *args))
    assert line.startswith(expected.format(folder=folder))
    assert not (fresh_cwd / "runs").exists()


def test_a_single_file_with_symbols_is_refused(one_clear_line, cli, folder: Path) -> None:
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data",
                              str(folder / "AAAUSDT-1h.csv"), "--symbols", "AAAUSDT,BBBUSDT"))
    assert line == (f"error: --symbols with --data {folder / 'AAAUSDT-1h.csv'}: that is one "
                    "file, one symbol; pass a folder holding one file per symbol, or "
                    "--store DIR")


def test_a_symbol_missing_from_the_store_is_refused(one_clear_line, cli, store: Path) -> None:
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--store", str(store),
                              "--symbols", "AAAUSDT,AAAUSD"))
    assert line == (f"error: --symbols AAAUSD: not in the store {store} (did you mean "
                    "'AAAUSDT'?); stored: AAAUSDT, BBBUSDT, CCCUSDT")


def test_no_store_folder_is_refused(one_clear_line, cli, fresh_cwd: Path) -> None:
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum",
                              "--symbols", "AAAUSDT,BBBUSDT"))
    assert line == ("error: --store data: no such folder; expected a store that 'bte download' "
                    "filled (e.g. --store data), or pass --data FOLDER")


def test_store_without_symbols_is_refused(one_clear_line, cli, store: Path) -> None:
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--store", str(store)))
    assert line == ("error: --store: only read with --symbols; pass --symbols A,B or --data "
                    "FILE for one symbol")


def test_symbols_of_different_bar_sizes_need_a_timeframe(one_clear_line, cli, folder: Path,
                                                         fresh_cwd: Path) -> None:
    synthetic_ohlcv(900, freq="15min", seed=9).to_csv(folder / "DDDUSDT-15m.csv")
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--data", str(folder),
                              "--symbols", "AAAUSDT,DDDUSDT"))
    assert line == ("error: --symbols: the symbols' bars differ in size (AAAUSDT 1h, DDDUSDT "
                    "15m); pass --timeframe 1h to resample them to one")
    resampled = cli("backtest", "--strategy", "RSIEMAMomentum", "--data", str(folder),
                    "--symbols", "AAAUSDT,DDDUSDT", "--timeframe", "1h", "--no-plots",
                    "--out", str(fresh_cwd / "r"))
    assert resampled.code == 0, resampled.err


def test_a_symbols_own_funding_file_is_used_unless_funding_is_given(cli, folder: Path,
                                                                    fresh_cwd: Path) -> None:
    # Sub-accounts, so one symbol's funding cannot move another's sizing.
    rows = {}
    for name, extra in (("own", ()), ("explicit", ("--funding", "0.0001"))):
        out = fresh_cwd / name
        _run(cli, "--data", str(folder), "--symbols", ",".join(SYMBOLS), "--accounts",
             "per-symbol", "--out", str(out), *extra)
        rows[name] = {row["symbol"]: row["funding"]
                      for row in json.loads((out / "report.json").read_text())["symbols"]}
    # AAAUSDT-funding-8h.csv (0.002 a settlement) against the default 0.0001.
    assert rows["own"]["AAAUSDT"] != pytest.approx(rows["explicit"]["AAAUSDT"], rel=0.5)
    assert rows["own"]["CCCUSDT"] == rows["explicit"]["CCCUSDT"] != 0.0
