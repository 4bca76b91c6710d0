"""Backtest throughput: raw backtrader (default, tuned) against this package's backtest path.

Run: ``python bench/backtest_speed.py [--sizes 100000,500000] [--repeat 1]``

One SMA(10/30)-cross strategy, long and short, on real BTCUSDT perpetual 1m candles tiled to the
requested length (each tile is rescaled so it opens where the previous one closed). Three ways
in the same run, on the same frame:

- ``raw default``: ``bt.feeds.PandasData``, ``Cerebro()`` defaults (stdstats on)
- ``raw tuned``: ``PandasData``, ``Cerebro(stdstats=False)``
- ``engine``: :func:`backtrader_engine.engine.backtest.run_backtest` (numpy feed, perp broker,
  trade ledger, per-bar equity record, metrics) with costs matching the raw runs (one fee for
  maker and taker, no slippage, no funding, 1x)

- ``portfolio N``: :func:`backtrader_engine.engine.portfolio.run_portfolio`, N symbols in one
  backtest (one shared account), each symbol the same bars rescaled, so each has as many bars
  as the one-symbol runs. Its bars/s counts every symbol's bars (N x bars / seconds), and
  the ratio is that against the one-symbol engine run of the same run: 1.00x means a symbol's
  bar costs as much in a portfolio as alone.

It prints bars/s and the ratios, checks the three final values are identical, and measures the
peak RSS of a 525,600-bar engine run in a child process (``--memory-bars 0`` skips it).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import backtrader as bt
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backtrader_engine.data import load_ohlcv  # noqa: E402
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest  # noqa: E402
from backtrader_engine.engine.costs import CostModel  # noqa: E402
from backtrader_engine.engine.portfolio import (  # noqa: E402
    PortfolioLeg,
    PortfolioRequest,
    run_portfolio,
)

FEE = 0.0006
CASH = 1_000_000.0
SOURCE = ROOT / "tests" / "testdata"
SOURCE_FILES = ("BTCUSDT-1m-2022-09-05.zip", "BTCUSDT-1m-2022-09-06.zip")


class SmaCross(bt.Strategy):
    """Always in the market: long above the slow SMA cross, short below."""

    params = (("fast", 10), ("slow", 30), ("size", 5.0))

    def __init__(self) -> None:
        self.cross = bt.ind.CrossOver(bt.ind.SMA(period=self.p.fast),
                                      bt.ind.SMA(period=self.p.slow))

    def next(self) -> None:
        if self.cross > 0:
            self.order_target_size(target=self.p.size)
        elif self.cross < 0:
            self.order_target_size(target=-self.p.size)


def real_shaped_bars(n: int) -> pd.DataFrame:
    """Tile the real 1m candles to *n* bars, each tile rescaled to continue the previous one."""
    base = pd.concat([load_ohlcv(SOURCE / name) for name in SOURCE_FILES]).sort_index()
    cols = ["open", "high", "low", "close"]
    tiles, level, have = [], 1.0, 0
    while have < n:
        tile = base.copy()
        tile[cols] = tile[cols].to_numpy() * level
        tiles.append(tile)
        level = float(tile["close"].iloc[-1]) / float(base["open"].iloc[0])
        have += len(tile)
    frame = pd.concat(tiles).iloc[:n].copy()
    frame.index = pd.date_range(base.index[0], periods=n, freq="1min", name="datetime")
    return frame


def run_raw(frame: pd.DataFrame, *, stdstats: bool) -> float:
    cerebro = bt.Cerebro(stdstats=stdstats)
    cerebro.adddata(bt.feeds.PandasData(dataname=frame))
    cerebro.addstrategy(SmaCross)
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=FEE)
    cerebro.run()
    return cerebro.broker.getvalue()


def run_engine(frame: pd.DataFrame) -> float:
    costs = CostModel(taker_fee=FEE, maker_fee=FEE, slippage_bps=0.0, leverage=1.0, funding=0.0)
    request = BacktestRequest(strategy=SmaCross, frame=frame, timeframe="1m", cash=CASH,
                              costs=costs)
    return run_backtest(request).final_value


def run_portfolio_of(frame: pd.DataFrame, symbols: int) -> float:
    """*symbols* copies of *frame*, each rescaled, as one shared-account portfolio."""
    costs = CostModel(taker_fee=FEE, maker_fee=FEE, slippage_bps=0.0, leverage=1.0, funding=0.0)
    legs = []
    for i in range(symbols):
        scaled = frame.copy()
        cols = ["open", "high", "low", "close"]
        scaled[cols] = scaled[cols].to_numpy() * (1.0 + 0.25 * i)
        legs.append(PortfolioLeg(f"SYM{i}USDT", scaled))
    request = PortfolioRequest(strategy=SmaCross, legs=legs, timeframe="1m",
                               cash=CASH * symbols, costs=costs)
    return run_portfolio(request).final_value


def timed(fn, *args, repeat: int = 1, **kwargs) -> tuple[float, float]:
    best, value = float("inf"), float("nan")
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, value


def peak_rss_mb(bars: int) -> float:
    """Peak RSS of a child process that builds the frame and runs the engine path once.

    Through ``child_rss.py``: a direct child of this process, which has just run 500k-bar
    backtests, would start with this process's memory counted in its peak.
    """
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
            f"import backtest_speed as b; b.run_engine(b.real_shaped_bars({bars}))")
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "rss.json"
        subprocess.run([sys.executable, str(ROOT / "bench" / "child_rss.py"), str(result), "--",
                        sys.executable, "-c", code], check=True)
        return json.loads(result.read_text())["peak_rss_kb"] / 1024.0


def portfolio_row(frame: pd.DataFrame, n: int, symbols: int, engine_seconds: float,
                  repeat: int) -> bool:
    """Print the portfolio's per-symbol bars/s against the one-symbol engine run; its final
    value must be the sum of the symbols' own (their copies only differ in scale)."""
    if symbols <= 0:
        return True
    seconds, value = timed(run_portfolio_of, frame, symbols, repeat=repeat)
    per_symbol = n * symbols / seconds  # symbol-bars per second
    ratio = per_symbol / (n / engine_seconds)
    print(f"{n:>8} {f'portfolio {symbols}':<12} {seconds:>8.2f} {per_symbol:>9.0f} "
          f"{'':>10} {'':>9}  {value:.6f}")
    print(f"{'':>8} portfolio of {symbols}: {per_symbol:.0f} symbol-bars/s vs "
          f"{n / engine_seconds:.0f} bars/s for one symbol alone = {ratio:.2f}x")
    return math.isfinite(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,500000")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--memory-bars", type=int, default=525_600)
    parser.add_argument("--portfolio-symbols", type=int, default=5)
    args = parser.parse_args()
    print(f"command: python bench/backtest_speed.py --sizes {args.sizes} --repeat {args.repeat} "
          f"--portfolio-symbols {args.portfolio_symbols} --memory-bars {args.memory_bars}")
    header = (f"{'bars':>8} {'way':<12} {'seconds':>8} {'bars/s':>9} {'vs default':>10} "
              f"{'vs tuned':>9}  final value")
    print(header)
    print("-" * len(header))
    ok = True
    for n in (int(s) for s in args.sizes.split(",")):
        frame = real_shaped_bars(n)
        results = {
            "raw default": timed(run_raw, frame, stdstats=True, repeat=args.repeat),
            "raw tuned": timed(run_raw, frame, stdstats=False, repeat=args.repeat),
            "engine": timed(run_engine, frame, repeat=args.repeat),
        }
        base_t, tuned_t = results["raw default"][0], results["raw tuned"][0]
        for way, (seconds, value) in results.items():
            print(f"{n:>8} {way:<12} {seconds:>8.2f} {n / seconds:>9.0f} "
                  f"{base_t / seconds:>9.2f}x {tuned_t / seconds:>8.2f}x  {value:.6f}")
        values = [v for _, v in results.values()]
        same = max(values) - min(values) <= 1e-6 * max(1.0, abs(values[0]))
        ok &= same
        print(f"{'':>8} identical final values: {'yes' if same else 'NO'} "
              f"(spread {max(values) - min(values):.3g})")
        ok &= portfolio_row(frame, n, args.portfolio_symbols, results["engine"][0],
                            args.repeat)
    if args.memory_bars <= 0:
        return 0 if ok else 1
    rss = peak_rss_mb(args.memory_bars)
    print(f"peak RSS of one engine run on {args.memory_bars} bars: {rss:.0f} MB "
          f"(target < 1024 MB: {'met' if rss < 1024 else 'MISSED'})")
    return 0 if ok else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
