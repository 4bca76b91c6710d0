"""freqtrade side by side with ``bte backtest`` and ``optimize.py``, on the same candles.

Run: ``python bench/vs_freqtrade.py [--sizes 100000,500000] [--runs 3] [--epochs 40]
[--study-bars 100000] [--skip-hyperopt]``

What runs, each as a whole separate process, timed from start to exit with its peak RSS
(``os.wait4``'s per-child rusage):

- ``bte backtest --strategy bench/strategies/sma_cross_bt.py:SmaCrossLong`` (run as
  ``python -m backtrader_engine backtest``, the same entry point), and
- ``freqtrade backtesting --strategy SmaCrossLongFt`` (``bench/strategies/freqtrade/``),
  through ``bench/freqtrade_offline.py``: freqtrade's own CLI with a fixed markets structure
  and the network blocked; its imports are part of the time, as for a user.

The strategy is one long-only SMA(10/30) cross in both tools: enter long when the fast SMA
crosses above the slow one, exit when it crosses below; the cross is backtrader's ``CrossOver``
in both (a cross needs the last non-zero difference on the other side). Same candles: the real
BTCUSDT 1m candles tiled to each size by ``backtest_speed.real_shaped_bars`` (the candles of
``backtest_speed.py``), on an 8-decimal price grid (``freqtrade_env.on_price_grid`` says why),
written once as freqtrade's spot feather file, which ``bte`` reads too.

Choices that make both trade the same way:

- costs: one fee (0.06%) on entry and exit, maker = taker on the bte side, no slippage, no
  funding, 1x;
- freqtrade in spot mode: a long-only 1x position without funding costs and earns the same in
  spot and as a perpetual, and spot needs no mark-price, funding-rate or leverage-tier data,
  which freqtrade would otherwise fetch;
- size: a fixed 1,000 USDT per trade out of 1,000,000, so no entry is ever refused for cash;
  bte sizes at the signal bar's close, freqtrade at the fill price, so PnL differs a little
  (printed), times and prices do not;
- ROI, stoploss and trailing stop off in freqtrade, one trade at a time.

Systematic differences, by design of the two tools (the matching allows for them):

- a trade open when the data ends: bte keeps it open (marked at the last close), freqtrade
  force-exits it at the last candle's open; such a pair is matched on its entry only;
- fills: both fill the signal of candle t at candle t+1's open (backtrader's market orders,
  freqtrade's shifted signals), so entry and exit times and prices are compared as they are;
- start: freqtrade drops ``startup_candle_count`` (30) candles and acts from the next one's
  signal on, the first bar where backtrader's CrossOver(SMA 10, SMA 30) has a value;
- prices: bte's trades.csv has 10 significant digits, so prices agree within 1e-9 (relative).

Studies (``--skip-hyperopt`` leaves them out): ``python optimize.py --n-jobs 2`` against
``freqtrade hyperopt -j 2`` on the same ``--study-bars`` candles, the same space (fast 5..20,
slow 25..60, integers), the same number of epochs/trials, the same sampler (Optuna TPE, seed
1), total return as the objective. ``optimize.py`` runs with ``--oos-fraction 0`` so it studies
every bar, as hyperopt does. Epochs/s = epochs / whole-process wall time (start-up, data
loading and each tool's final summary included). ``optimize.py --n-jobs 1`` runs too, for the
--n-jobs 2 over --n-jobs 1 scaling.

freqtrade lives in its own virtualenv (``freqtrade[hyperopt]==2026.9``, built once under
``~/.cache/bte-bench/`` or ``--venv``); the candles, configs and reports go to
``bench/.vs_freqtrade/`` (``--work``). Exit code 1 if a trade list disagrees; speed and memory
targets print MET / NOT MET and never fail the run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import freqtrade_env as ft  # noqa: E402
from freqtrade_offline import NETWORK_MARK  # noqa: E402
from trade_match import Agreement, Trade, match_trades  # noqa: E402

BT_STRATEGY = "bench/strategies/sma_cross_bt.py:SmaCrossLong"
FEE = 0.0006
STAKE = 1000.0
CASH = 1_000_000.0
SEED = 1
SPEED_TARGET = 2.5
STUDY_TARGET = 1.3
SCALING_TARGET = 1.9


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int


def measure(cmd: list[str], log: Path) -> Measured:
    """Run *cmd* from the repository root; wall time to its exit and its own peak RSS.

    Through ``child_rss.py``: a child of this process (which holds the candle frames) would
    carry this process's memory in its peak RSS.
    """
    result = log.with_suffix(".rss.json")
    with log.open("w") as out:
        proc = subprocess.run([sys.executable, str(BENCH / "child_rss.py"), str(result), "--",
                               *cmd], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, check=False)
    figures = json.loads(result.read_text())
    return Measured(figures["seconds"], figures["peak_rss_kb"] / 1024.0, proc.returncode)


def check_run(name: str, result: Measured, log: Path) -> None:
    text = log.read_text(errors="replace")
    if NETWORK_MARK in text:
        raise SystemExit(f"error: {name} tried to reach the network (see {log})")
    if result.returncode != 0:
        tail = "\n".join(text.splitlines()[-15:])
        raise SystemExit(f"error: {name} exited {result.returncode} (log {log}):\n{tail}")


def cost_args() -> list[str]:
    return ["--cash", repr(CASH), "--taker-fee", repr(FEE), "--maker-fee", repr(FEE),
            "--slippage-bps", "0", "--funding", "0", "--leverage", "1"]


def bte_backtest_cmd(data: Path, out: Path, *, plots: bool = False) -> list[str]:
    return [sys.executable, "-m", "backtrader_engine", "backtest", "--strategy", BT_STRATEGY,
            "--data", str(data), "--symbol", "BTCUSDT", *cost_args(), "--out", str(out),
            *([] if plots else ["--no-plots"])]


def optimize_cmd(data: Path, out: Path, *, trials: int, jobs: int) -> list[str]:
    return [sys.executable, "optimize.py", "--strategy", BT_STRATEGY, "--n-jobs", str(jobs),
            "--trials", str(trials), "--seed", str(SEED), "--metric", "return",
            "--oos-fraction", "0", "--data", str(data), "--symbol", "BTCUSDT", *cost_args(),
            "--out", str(out), "--study-name", f"vs-freqtrade-{jobs}", "--no-plots"]


def shown(cmd: list[str]) -> str:
    words = [w.replace(str(ROOT) + os.sep, "") for w in cmd]
    if words[0] == sys.executable:
        words[0] = "python"
    return " ".join(words)


def read_bte_trades(report: Path) -> list[Trade]:
    with (report / "trades.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))

    def when(value: str) -> datetime:
        return datetime.fromisoformat(value).replace(tzinfo=None)

    return [Trade(entry_time=when(r["entry_time"]), entry_price=float(r["entry_price"]),
                  exit_time=None if r["status"] == "open" else when(r["exit_time"]),
                  exit_price=None if r["status"] == "open" else float(r["exit_price"]),
                  net_pnl=float(r["net_pnl"]))
            for r in rows]


def prepare(n: int, work: Path) -> ft.Workspace:
    from backtest_speed import real_shaped_bars

    ws = ft.Workspace(work / f"{n}")
    if ws.root.exists():
        shutil.rmtree(ws.root)
    ft.write_candles(real_shaped_bars(n), ws.candles)
    ft.write_config(ws, fee=FEE, stake=STAKE, wallet=CASH)
    return ws


def median(values: list[float]) -> float:
    return statistics.median(values)


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


def bench_size(n: int, runs: int, python: Path, work: Path) -> tuple[bool, list[str]]:
    """Time both backtests *runs* times (alternating); check the trade lists of the last run."""
    ws = prepare(n, work)
    bte_out = ws.root / "bte_report"
    bte_cmd = bte_backtest_cmd(ws.candles, bte_out)
    # The default outputs too: freqtrade draws no plots, but a user of bte gets both PNGs.
    plots_cmd = bte_backtest_cmd(ws.candles, ws.root / "bte_report_plots", plots=True)
    ft_cmd = ft.backtesting_cmd(python, ws, FEE)
    print(f"\n{n} bars: {shown([str(ws.candles)])}")
    print(f"  bte:       {shown(bte_cmd)}")
    print("  bte+plots: the same without --no-plots")
    print(f"  freqtrade: {shown(ft_cmd)}")
    timings: dict[str, list[Measured]] = {"bte": [], "bte+plots": [], "freqtrade": []}
    for run in range(runs):
        for name, cmd in (("bte", bte_cmd), ("bte+plots", plots_cmd), ("freqtrade", ft_cmd)):
            if name == "freqtrade":
                # An existing folder, or freqtrade takes the path as a file name prefix.
                shutil.rmtree(ws.ft_results, ignore_errors=True)
                ws.ft_results.mkdir()
            log = ws.root / f"{name}-run{run + 1}.log"
            result = measure(cmd, log)
            check_run(f"{name} ({n} bars, run {run + 1})", result, log)
            timings[name].append(result)
            print(f"  run {run + 1} {name:<9} {result.seconds:7.2f} s  "
                  f"{result.peak_rss_mb:6.0f} MB")
    agreement = match_trades(read_bte_trades(bte_out), ft.read_ft_trades(ws.ft_results))
    return agreement.agrees, summary_lines(n, timings, agreement)


def summary_lines(n: int, timings: dict[str, list[Measured]],
                  agreement: Agreement) -> list[str]:
    wall = {k: median([m.seconds for m in v]) for k, v in timings.items()}
    rss = {k: median([m.peak_rss_mb for m in v]) for k, v in timings.items()}
    lines = []
    for name in timings:
        runs = ", ".join(f"{m.seconds:.2f}" for m in timings[name])
        lines.append(f"{n:>8} {name:<10} {wall[name]:>8.2f} {n / wall[name]:>10.0f} "
                     f"{rss[name]:>8.0f}   ({runs})")
    speed = wall["freqtrade"] / wall["bte"]
    memory = rss["bte"] / rss["freqtrade"]
    lines.append(f"{'':>8} bte/freqtrade bars/s: {speed:.2f}x (target >= {SPEED_TARGET}x: "
                 f"{verdict(speed >= SPEED_TARGET)}); peak RSS: {rss['bte']:.0f} vs "
                 f"{rss['freqtrade']:.0f} MB = {memory:.2f}x (target < 1x: "
                 f"{verdict(memory < 1.0)})")
    lines.append(f"{'':>8} with both PNGs written too: "
                 f"{wall['freqtrade'] / wall['bte+plots']:.2f}x freqtrade's bars/s")
    lines.append(f"{'':>8} {agreement.statement('bte', 'freqtrade')}")
    lines.append(f"{'':>8} trade lists agree: {'yes' if agreement.agrees else 'NO'}; net PnL of "
                 f"the trades closed on a signal: {agreement.left_pnl:.2f} vs "
                 f"{agreement.right_pnl:.2f} USDT (bte sizes at the signal close, "
                 f"freqtrade at the fill)")
    lines.extend(f"{'':>8}{line}" for line in agreement.mismatch_lines('bte', 'freqtrade'))
    return lines


def count_trials(out: Path) -> int:
    path = out / "trials.csv"
    if not path.exists():
        return 0
    with path.open(newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def bench_studies(bars: int, epochs: int, python: Path, work: Path) -> list[str]:
    ws = prepare(bars, work / "study")
    runs = [  # (name, log and report folder, command, optimize.py's report or None)
        ("optimize.py --n-jobs 2", "opt2", 2, False),
        ("freqtrade hyperopt -j 2", "hyperopt", 2, True),
        ("optimize.py --n-jobs 1", "opt1", 1, False),
    ]
    print(f"\nstudies: {bars} bars, {epochs} epochs")
    seconds: dict[str, float] = {}
    done: dict[str, int] = {}
    for name, slug, jobs, is_ft in runs:
        out = ws.root / slug
        cmd = (ft.hyperopt_cmd(python, ws, FEE, epochs=epochs, jobs=jobs, seed=SEED) if is_ft
               else optimize_cmd(ws.candles, out, trials=epochs, jobs=jobs))
        print(f"  {name}: {shown(cmd)}")
        log = ws.root / f"{slug}.log"
        result = measure(cmd, log)
        check_run(name, result, log)
        seconds[name] = result.seconds
        done[name] = ft.count_hyperopt_epochs(ws.user_data) if is_ft else count_trials(out)
        print(f"    {result.seconds:.2f} s, {done[name]} epochs recorded")
    lines = [f"{'study':<26} {'epochs':>6} {'wall s':>8} {'epochs/s':>9}"]
    for name, secs in seconds.items():
        lines.append(f"{name:<26} {done[name]:>6} {secs:>8.2f} {done[name] / secs:>9.3f}")
    ours, theirs = "optimize.py --n-jobs 2", "freqtrade hyperopt -j 2"
    ratio = (done[ours] / seconds[ours]) / (done[theirs] / seconds[theirs])
    scaling = seconds["optimize.py --n-jobs 1"] / seconds[ours]
    lines.append(f"optimize/hyperopt epochs/s: {ratio:.2f}x (target >= {STUDY_TARGET}x: "
                 f"{verdict(ratio >= STUDY_TARGET)})")
    lines.append(f"optimize --n-jobs 2 over --n-jobs 1: {scaling:.2f}x (target >= "
                 f"{SCALING_TARGET}x: {verdict(scaling >= SCALING_TARGET)})")
    if len(set(done.values())) != 1 or done[ours] != epochs:
        lines.append(f"NOTE: epochs recorded differ from {epochs}: {done}")
    return lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,500000",
                        help="bar counts for the backtests, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per tool and size")
    parser.add_argument("--epochs", type=int, default=40,
                        help="epochs of hyperopt = trials of optimize.py")
    parser.add_argument("--study-bars", type=int, default=100_000,
                        help="bars for the study comparison")
    parser.add_argument("--skip-hyperopt", action="store_true",
                        help="leave out the optimize.py / hyperopt comparison")
    parser.add_argument("--venv", type=Path, default=ft.default_venv(),
                        help="freqtrade's virtualenv, built if missing (default: %(default)s)")
    parser.add_argument("--work", type=Path, default=BENCH / ".vs_freqtrade",
                        help="candles, configs, reports and logs (default: %(default)s)")
    args = parser.parse_args()
    if args.runs < 1 or args.epochs < 1:
        parser.error("--runs and --epochs must be at least 1")
    return args


def main() -> int:
    args = parse_args()
    # Progress lines show as they happen when the output goes to a log file.
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"command: python bench/vs_freqtrade.py --sizes {args.sizes} --runs {args.runs} "
          f"--epochs {args.epochs} --study-bars {args.study_bars}"
          f"{' --skip-hyperopt' if args.skip_hyperopt else ''}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}")
    python = ft.ensure_venv(args.venv)
    args.work.mkdir(parents=True, exist_ok=True)
    ok, table = True, []
    for n in sizes:
        agrees, lines = bench_size(n, args.runs, python, args.work)
        ok &= agrees
        table.extend(lines)
    header = (f"{'bars':>8} {'tool':<10} {'wall s':>8} {'bars/s':>10} {'RSS MB':>8}   "
              f"(each run's wall s; medians of {args.runs})")
    print("\n" + header)
    print("-" * len(header))
    print("\n".join(table))
    if not args.skip_hyperopt:
        print()
        print("\n".join(bench_studies(args.study_bars, args.epochs, python, args.work)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
