"""freqtrade's side of ``bench/vs_freqtrade.py``: its virtualenv, user_data folder and results.

freqtrade is never a dependency of the package: it lives in a virtualenv of its own, built on
first use and reused afterwards (:func:`ensure_venv`). Its commands run through
``bench/freqtrade_offline.py`` (fixed markets, no network).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from trade_match import Trade

VERSION = "2026.9"
BENCH = Path(__file__).resolve().parent
RUNNER = BENCH / "freqtrade_offline.py"
STRATEGY_DIR = BENCH / "strategies" / "freqtrade"
STRATEGY = "SmaCrossLongFt"
EXCHANGE = "binance"
PAIR = "BTC/USDT"
DATA_NAME = "BTC_USDT-1m.feather"  # freqtrade's spot file name for PAIR and 1m
PRICE_DECIMALS = 8


def default_venv() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "bte-bench" / f"freqtrade-{VERSION}"


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def installed_version(venv: Path) -> str | None:
    """freqtrade's version in *venv* if it and the hyperopt extra (optuna) import, else None."""
    python = venv_python(venv)
    if not python.exists():
        return None
    code = ("import importlib.metadata as m, optuna, talib; "
            "print(m.version('freqtrade'))")
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def ensure_venv(venv: Path) -> Path:
    """Build the virtualenv with ``freqtrade[hyperopt]==VERSION`` unless it is already there.

    The interpreter is the one running this bench (same Python version as the package's
    runs), so neither side gains from a newer Python.
    """
    have = installed_version(venv)
    if have == VERSION:
        print(f"freqtrade venv: {venv} (freqtrade {have}, reused)")
        return venv_python(venv)
    base = getattr(sys, "_base_executable", sys.executable)
    print(f"freqtrade venv: {venv} has {have or 'no freqtrade'}; building it with {base}")
    if not venv_python(venv).exists():
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
    pip = [str(venv_python(venv)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    print(f"  pip install freqtrade[hyperopt]=={VERSION} (a few minutes the first time)")
    subprocess.run([*pip, f"freqtrade[hyperopt]=={VERSION}"], check=True)
    have = installed_version(venv)
    if have != VERSION:
        raise SystemExit(f"error: {venv} still has freqtrade {have}, expected {VERSION}")
    print(f"  done: freqtrade {have}")
    return venv_python(venv)


@dataclass(frozen=True)
class Workspace:
    """One size's folder: the candles, freqtrade's user_data and config, the reports."""

    root: Path

    @property
    def user_data(self) -> Path:
        return self.root / "user_data"

    @property
    def datadir(self) -> Path:
        return self.user_data / "data" / EXCHANGE

    @property
    def candles(self) -> Path:
        return self.datadir / DATA_NAME

    @property
    def config(self) -> Path:
        return self.root / "freqtrade_config.json"

    @property
    def ft_results(self) -> Path:
        return self.root / "ft_results"


def on_price_grid(frame: pd.DataFrame, decimals: int = PRICE_DECIMALS) -> pd.DataFrame:
    """Round prices to *decimals* decimal places, one tick for the whole file.

    freqtrade rounds exit prices to the tick it reads off the candles (per month, the most
    decimals any price shows at 14 significant digits), and keeps the tick of the month a trade
    was entered in. On unrounded floats that tick is ~1e-10: rounding a sell at an open that is
    also the candle's high can lift it above the high, and freqtrade then waits a candle to
    fill it. On one fixed grid its rounding is a no-op in every month. The tiled candles fall
    from BTC's 20,000 to below 1, so the tick is fine (8 decimals: 7 to 13 significant digits):
    the two SMAs are then practically never exactly equal, where backtrader's exactly rounded
    sum and TA-Lib's running sum could fall on different sides of the tie. ``np.round`` returns
    the double nearest to each 8-decimal value, which freqtrade's decimal rounding gives back.
    """
    out = frame.copy()
    prices = ["open", "high", "low", "close"]
    out[prices] = np.round(frame[prices].to_numpy(), decimals)
    return out


def write_candles(frame: pd.DataFrame, path: Path) -> None:
    """Write *frame* (on :func:`on_price_grid`) as freqtrade stores spot candles: ``date`` and
    OHLCV in an lz4 feather file. ``bte`` reads the same file."""
    frame = on_price_grid(frame)
    index = pd.DatetimeIndex(frame.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    out = pd.DataFrame({"date": index.as_unit("ms"),
                        **{c: frame[c].to_numpy(dtype=float)
                           for c in ("open", "high", "low", "close", "volume")}})
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_feather(path, compression_level=9, compression="lz4")


def write_config(ws: Workspace, *, fee: float, stake: float, wallet: float) -> None:
    """freqtrade's config: spot, one pair, one trade at a time, a fixed stake per trade."""
    config = {
        "max_open_trades": 1,
        "stake_currency": "USDT",
        "stake_amount": stake,
        "tradable_balance_ratio": 1.0,
        "dry_run": True,
        "dry_run_wallet": wallet,
        "timeframe": "1m",
        "trading_mode": "spot",
        "fee": fee,
        "dataformat_ohlcv": "feather",
        "entry_pricing": {"price_side": "same", "use_order_book": False,
                          "price_last_balance": 0.0},
        "exit_pricing": {"price_side": "same", "use_order_book": False},
        "exchange": {"name": EXCHANGE, "key": "", "secret": "",
                     "pair_whitelist": [PAIR], "pair_blacklist": []},
        "pairlists": [{"method": "StaticPairList"}],
        "internals": {"process_throttle_secs": 5},
    }
    ws.root.mkdir(parents=True, exist_ok=True)
    ws.user_data.mkdir(parents=True, exist_ok=True)
    ws.config.write_text(json.dumps(config, indent=2))


def common_args(ws: Workspace, fee: float) -> list[str]:
    return ["--config", str(ws.config), "--userdir", str(ws.user_data),
            "--datadir", str(ws.datadir), "--strategy", STRATEGY,
            "--strategy-path", str(STRATEGY_DIR), "--fee", repr(fee), "--no-color"]


def backtesting_cmd(python: Path, ws: Workspace, fee: float) -> list[str]:
    # --cache none: freqtrade would otherwise reuse a same-day result and skip the backtest.
    return [str(python), str(RUNNER), "backtesting", *common_args(ws, fee),
            "--cache", "none", "--export", "trades",
            "--backtest-directory", str(ws.ft_results)]


def hyperopt_cmd(python: Path, ws: Workspace, fee: float, *, epochs: int, jobs: int,
                 seed: int) -> list[str]:
    # --disable-param-export: otherwise the best params land in a JSON beside the strategy
    # file, and every later backtest would load them instead of the defaults.
    return [str(python), str(RUNNER), "hyperopt", *common_args(ws, fee),
            "--hyperopt-loss", "OnlyProfitHyperOptLoss", "--spaces", "buy",
            "--epochs", str(epochs), "-j", str(jobs), "--random-state", str(seed),
            "--disable-param-export"]


def _parse_time(value: str | int) -> datetime:
    stamp = pd.Timestamp(value, unit="ms") if isinstance(value, int) else pd.Timestamp(value)
    return stamp.tz_localize(None) if stamp.tzinfo is None else \
        stamp.tz_convert("UTC").tz_localize(None)


def read_ft_trades(results: Path) -> list[Trade]:
    """The trades of the one backtest exported in *results* (its only result zip)."""
    zips = sorted(results.glob("backtest-result-*.zip"))
    if len(zips) != 1:
        raise SystemExit(f"error: expected one freqtrade result in {results}, found {len(zips)}")
    with zipfile.ZipFile(zips[0]) as archive:
        name = next(n for n in archive.namelist()
                    if n.startswith("backtest-result-") and n.endswith(".json"))
        payload = json.loads(archive.read(name))
    trades = payload["strategy"][STRATEGY]["trades"]
    return [Trade(entry_time=_parse_time(t["open_date"]), entry_price=float(t["open_rate"]),
                  exit_time=_parse_time(t["close_date"]), exit_price=float(t["close_rate"]),
                  closed_at_end=t.get("exit_reason") == "force_exit",
                  net_pnl=float(t["profit_abs"]))
            for t in trades]


def count_hyperopt_epochs(user_data: Path) -> int:
    """Epochs recorded in the newest hyperopt results file (one JSON line per epoch)."""
    files = sorted((user_data / "hyperopt_results").glob("*.fthypt"),
                   key=lambda p: p.stat().st_mtime)
    if not files:
        return 0
    with files[-1].open() as fh:
        return sum(1 for line in fh if line.strip())
