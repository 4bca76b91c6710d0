"""Report speed: writing a backtest's report against the run it reports on (target: <= 10%).

Run: ``python bench/report_speed.py [--bars 500000] [--repeat 3] [--baseline-src DIR]``

One SMA(10/30)-cross strategy (``bench/backtest_speed.py``) on real BTCUSDT 1m candles tiled
to ``--bars`` (``real_shaped_bars``), saved as Parquet. Two parts, in one run:

1. **The command.** ``python -m backtrader_engine backtest --strategy ... --data ...
   --slippage-bps 0 --funding 0 --cash 1000000 --out DIR`` as a child process, ``--repeat``
   times. Its wall time is taken from outside; inside, ``run`` is the backtest
   (``run_backtest``) and ``report`` is ``write_report`` (report.json with the data file's
   sha256, trades.csv, equity.csv, equity.parquet, both PNGs). The report is printed as a
   share of the run and of the whole command. With ``--baseline-src`` (e.g. a checkout from
   before this change) the same command also runs on that source tree, alternating.
2. **Before against now, one result, this process.** The backtest runs once here; then,
   alternating, ``--repeat`` times each: the report as it was written before (pandas
   ``to_csv`` of the equity, plots of every n-th point, all in turn) and ``write_report``
   (fast CSV writer, Parquet, plots thinned to their pixels drawn in a forked child while the
   files are written), plus each part on its own. matplotlib is loaded beforehand, so neither
   way pays for that here; its import is timed apart, in a fresh interpreter.

Times are the best of the repeats (median in brackets); the machine may be shared, so compare
the ratios, which are measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STRATEGY = f"{ROOT / 'bench' / 'backtest_speed.py'}:SmaCross"
CASH = "1000000"
TARGET_PCT = 10.0
MARK = "REPORT_SPEED "


def child(argv: list[str]) -> int:
    """Run the CLI in this process with the backtest and the report timed; print the times."""
    started = time.perf_counter()
    import backtrader_engine.engine.job as job
    from backtrader_engine.cli import main

    times: dict[str, float] = {}

    def timed(name: str, fn: Callable) -> Callable:
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - start
        return run

    job.run_backtest = timed("run", job.run_backtest)
    job.write_report = timed("report", job.write_report)
    times["imports"] = time.perf_counter() - started
    code = main(argv)
    times["main"] = time.perf_counter() - started
    print(MARK + json.dumps(times), file=sys.stderr, flush=True)
    return code


def command_times(src: Path, data: Path, out: Path) -> dict[str, float]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", "backtest",
            "--strategy", STRATEGY, "--data", str(data), "--slippage-bps", "0", "--funding", "0",
            "--cash", CASH, "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    lines = [line for line in done.stderr.splitlines() if line.startswith(MARK)]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the backtest command failed ({done.returncode}):\n{done.stderr}")
    return {**json.loads(lines[-1][len(MARK):]), "wall": wall}


def best(values: list[float]) -> str:
    return f"{min(values):6.2f}s ({statistics.median(values):.2f})"


def part_command(data: Path, repeat: int, baseline: Path | None, tmp: Path) -> None:
    trees = [("now", ROOT)] + ([("baseline", baseline)] if baseline else [])
    runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
    for i in range(repeat):
        for name, src in trees:
            runs[name].append(command_times(src, data, tmp / f"cmd-{name}-{i}"))
    print(f"{'tree':<9} {'command':>14} {'backtest run':>14} {'report':>14} "
          f"{'report/run':>10} {'report/command':>14}")
    for name, times in runs.items():
        report = [t["report"] for t in times]
        run = [t["run"] for t in times]
        wall = [t["wall"] for t in times]
        of_run = min(r / b for r, b in zip(report, run, strict=True)) * 100
        of_wall = min(r / w for r, w in zip(report, wall, strict=True)) * 100
        print(f"{name:<9} {best(wall):>14} {best(run):>14} {best(report):>14} "
              f"{of_run:>9.1f}% {of_wall:>13.1f}%")
    now = runs["now"]
    share = min(t["report"] / t["run"] for t in now) * 100
    print(f"report as a share of the backtest run: {share:.1f}% (target <= {TARGET_PCT:.0f}%: "
          f"{'met' if share <= TARGET_PCT else 'MISSED'})")


def matplotlib_import_seconds() -> float:
    code = ("import time, numpy, pandas; s = time.perf_counter(); import matplotlib; "
            "matplotlib.use('Agg'); import matplotlib.pyplot; print(time.perf_counter() - s)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                check=True).stdout)


def part_in_process(bars: int, data: Path, repeat: int, tmp: Path) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import backtest_speed
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401  (loaded before any timing, for both ways)
    import pandas as pd

    from backtrader_engine.engine import forked
    from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
    from backtrader_engine.engine.costs import CostModel
    from backtrader_engine.engine.equity_files import write_equity_csv, write_equity_parquet
    from backtrader_engine.engine.report import ReportPaths, draw_plots, write_report

    frame = pd.read_parquet(data)
    costs = CostModel(taker_fee=backtest_speed.FEE, maker_fee=backtest_speed.FEE,
                      slippage_bps=0.0, leverage=1.0, funding=0.0)
    request = BacktestRequest(strategy=backtest_speed.SmaCross, frame=frame, timeframe="1m",
                              cash=float(CASH), costs=costs, symbol="BTCUSDT")
    start = time.perf_counter()
    result = run_backtest(request)
    run_seconds = time.perf_counter() - start
    title = "SmaCross on BTCUSDT 1m"
    out = tmp / "inproc"
    out.mkdir()
    paths = ReportPaths(out, out / "report.json", out / "trades.csv", out / "equity.csv",
                        out / "equity.parquet", out / "equity.png", out / "trades.png")

    def serial_report() -> None:
        with _no_fork(forked):
            write_report(result, out, data, command=["bench"])

    ways: dict[str, Callable[[], object]] = {
        "report before": lambda: before_report(result, out, data, title),
        "report now": lambda: write_report(result, out, data, command=["bench"]),
        "report now, plots not forked": serial_report,
        "equity.csv pandas to_csv": lambda: result.equity.to_csv(
            out / "equity.csv", index_label="datetime", float_format="%.10f"),
        "equity.csv now": lambda: write_equity_csv(result.equity, out / "equity.csv"),
        "equity.parquet now": lambda: write_equity_parquet(result.equity,
                                                           out / "equity.parquet"),
        "plots before (every n-th point)": lambda: before_plots(result, out, title),
        "plots now (pixel extremes)": lambda: draw_plots(result, paths, title),
    }
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    cpu_here: list[float] = []
    cpu_child: list[float] = []
    for _ in range(repeat):
        for name, way in ways.items():
            gc.collect()  # the run's garbage, not the report, should pay for collections
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu, start = time.process_time(), time.perf_counter()
            way()
            seconds[name].append(time.perf_counter() - start)
            if name == "report now":
                cpu_here.append(time.process_time() - cpu)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu_child.append(after.ru_utime + after.ru_stime - children.ru_utime
                                 - children.ru_stime)
    print(f"one backtest run here: {run_seconds:.2f}s on {bars} bars, "
          f"{len(result.trades)} trades; matplotlib import (fresh interpreter): "
          f"{matplotlib_import_seconds():.2f}s")
    print(f"{'way':<34} {'seconds':>16} {'% of run':>9}  vs before")
    pairs = {"report now": "report before", "report now, plots not forked": "report before",
             "equity.csv now": "equity.csv pandas to_csv",
             "plots now (pixel extremes)": "plots before (every n-th point)"}
    for name, values in seconds.items():
        ratio = ""
        if name in pairs:
            ratio = f"{min(seconds[pairs[name]]) / min(values):.2f}x faster"
        print(f"{name:<34} {best(values):>16} {min(values) / run_seconds * 100:>8.1f}%  {ratio}")
    print(f"report now, CPU: this process {min(cpu_here):.2f}s, the drawing child "
          f"{min(cpu_child):.2f}s (with a second core free, the report takes about the larger)")


class _no_fork:
    """Draw the plots in this process after the files, as where forking is not possible."""

    def __init__(self, module) -> None:
        self.module = module

    def __enter__(self) -> None:
        self.saved = self.module.can_fork
        self.module.can_fork = lambda: False

    def __exit__(self, *exc: object) -> None:
        self.module.can_fork = self.saved


def before_report(result, out: Path, data: Path, title: str) -> None:
    """The report as it was written before: pandas' to_csv, then the plots, in turn."""
    from backtrader_engine.engine.report import _clean, build_manifest

    document = {"metrics": result.metrics, "rejected_orders": result.rejected_orders(),
                "manifest": build_manifest(result, data, ["bench"])}
    (out / "report.json").write_text(json.dumps(_clean(document), indent=2, default=str) + "\n")
    result.trades.to_csv(out / "trades.csv", index=False, float_format="%.10g")
    result.equity.to_csv(out / "equity.csv", index_label="datetime", float_format="%.10f")
    before_plots(result, out, title)


def before_plots(result, out: Path, title: str) -> None:
    """The plots as drawn before: every n-th point (5,000 at most), pandas values as x."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import pandas as pd

    def thin(series: pd.Series) -> pd.Series:
        step = max(1, len(series) // 5_000)
        return series.iloc[::step] if step > 1 else series

    equity = result.equity
    fig, (ax_eq, ax_dd) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True,
                                       gridspec_kw={"height_ratios": [3, 1]})
    curve = thin(equity["equity"])
    ax_eq.plot(curve.index, curve.to_numpy(), color="#1f77b4", linewidth=1.1, label="equity")
    ax_eq.axhline(float(equity["equity"].iloc[0]), color="grey", linewidth=0.6, linestyle=":")
    ax_eq.set_ylabel("equity (USDT)")
    ax_eq.set_title(title)
    ax_eq.grid(alpha=0.3)
    drawdown = thin(equity["drawdown_pct"])
    ax_dd.fill_between(drawdown.index, -drawdown.to_numpy(), 0.0, color="#d62728", alpha=0.4)
    ax_dd.set_ylabel("drawdown %")
    ax_dd.grid(alpha=0.3)
    ax_dd.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax_dd.xaxis.get_major_locator()))
    fig.tight_layout()
    fig.savefig(out / "equity.png", dpi=110)
    plt.close(fig)

    trades = result.trades
    fig, ax = plt.subplots(figsize=(11, 5.5))
    close = thin(result.request.frame["close"])
    ax.plot(close.index, close.to_numpy(), color="#444444", linewidth=0.8, label="close")
    for side, colour, marker in (("long", "#2ca02c", "^"), ("short", "#d62728", "v")):
        rows = trades[trades["side"] == side]
        if rows.empty:
            continue
        ax.scatter(pd.to_datetime(rows["entry_time"]), rows["entry_price"], marker=marker,
                   color=colour, s=36, zorder=3, label=f"{side} entry")
        closed = rows[rows["status"] == "closed"]
        ax.scatter(pd.to_datetime(closed["exit_time"]), closed["exit_price"], marker="x",
                   color=colour, s=30, zorder=3, label=f"{side} exit")
    ax.set_title(title)
    ax.set_ylabel("price")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    fig.tight_layout()
    fig.savefig(out / "trades.png", dpi=110)
    plt.close(fig)


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        return child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, metavar="DIR",
                        help="also run the command on this source tree (e.g. an older checkout)")
    parser.add_argument("--skip-command", action="store_true", help="only part 2")
    args = parser.parse_args()
    baseline = f" --baseline-src {args.baseline_src}" if args.baseline_src else ""
    print(f"command: python bench/report_speed.py --bars {args.bars} --repeat {args.repeat}"
          f"{baseline}")
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import backtest_speed

    with tempfile.TemporaryDirectory(prefix="report-speed-") as name:
        tmp = Path(name)
        data = tmp / f"BTCUSDT-1m-{args.bars}.parquet"
        backtest_speed.real_shaped_bars(args.bars).to_parquet(data)
        if not args.skip_command:
            print(f"\n1. bte backtest on {args.bars} bars, {args.repeat} runs")
            part_command(data, args.repeat, args.baseline_src, tmp)
        print(f"\n2. before against now on one result, {args.repeat} rounds")
        part_in_process(args.bars, data, args.repeat, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
