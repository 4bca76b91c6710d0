"""Fewer collections while a backtest runs, the interpreter's thresholds back afterwards."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

import backtrader as bt

from backtrader_engine.data import default_dataset, load_ohlcv
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.gc_tuning import BACKTEST_THRESHOLD0, fewer_collections


def test_the_threshold_is_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (max(BACKTEST_THRESHOLD0, before[0]), *before[1:])
    assert gc.get_threshold() == before


def test_overlapping_blocks_restore_only_when_the_last_one_ends() -> None:
    before = gc.get_threshold()
    inside = threading.Event()
    release = threading.Event()

    def other_backtest() -> None:
        with fewer_collections():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_backtest)
    with fewer_collections():
        thread.start()
        assert inside.wait(10)
    assert gc.get_threshold()[0] == max(BACKTEST_THRESHOLD0, before[0])  # the other still runs
    release.set()
    thread.join(10)
    assert gc.get_threshold() == before


def test_a_backtest_runs_with_the_raised_threshold_and_leaves_it_as_it_was() -> None:
    seen: list[int] = []

    class Probe(bt.Strategy):
        def next(self) -> None:
            seen.append(gc.get_threshold()[0])

    before = gc.get_threshold()
    frame = load_ohlcv(default_dataset()).iloc[:50]
    run_backtest(BacktestRequest(strategy=Probe, frame=frame, timeframe="1h"))
    assert seen and set(seen) == {max(BACKTEST_THRESHOLD0, before[0])}
    assert gc.get_threshold() == before


def test_the_process_entry_freezes_what_is_left_once_the_command_is_done() -> None:
    code = ("import gc, sys; sys.argv = ['bte', '--help']; "
            "from backtrader_engine.cli import entry; code = entry(); "
            "print(code, gc.get_freeze_count() > 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.splitlines()[-1] == "0 True"
