"""Start-up of the command line: ``bte --help``, ``bte backtest --help`` and ``bte optimize
--help``, whole processes.

Run: ``python bench/startup.py [--runs 15]``

Each command is started as a user starts it (``python -m backtrader_engine ...``, a new
process each time) and timed from spawn to exit; the figure is the median of ``--runs``.
The baseline, measured in the same run, is a bare ``python -c pass`` (the interpreter's own
start-up), so the ratio says what the package adds on this machine. Target: each help command
finishes in 0.3 s or less.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.3
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "bte --help": [sys.executable, "-m", "backtrader_engine", "--help"],
    "bte backtest --help": [sys.executable, "-m", "backtrader_engine", "backtest", "--help"],
    "bte optimize --help": [sys.executable, "-m", "backtrader_engine", "optimize", "--help"],
}


def wall_seconds(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"command: python bench/startup.py --runs {args.runs}")
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):  # interleaved, so load changes hit every command alike
        for name, argv in COMMANDS.items():
            times[name].append(wall_seconds(argv))
    base = statistics.median(times["python -c pass"])
    print(f"{'command':<22} {'median s':>9} {'min s':>7} {'vs python':>10}  target")
    for name, values in times.items():
        median = statistics.median(values)
        verdict = "" if name == "python -c pass" else (
            f"<= {TARGET_S} s: {'met' if median <= TARGET_S else 'MISSED'}")
        print(f"{name:<22} {median:>9.3f} {min(values):>7.3f} {median / base:>9.1f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
