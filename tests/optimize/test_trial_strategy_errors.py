"""A trial whose strategy raises, or whose params need more bars than the in-sample part,
fails with a short reason and the study goes on; a study none of whose trials can run, or
whose fixed params do not fit the data, or whose --out is a file, says so."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd

SHORT = ("--from", "2018-01-01", "--to", "2018-01-21", "--no-plots", "--seed", "1",
         "--min-trades", "0", "--metric", "return")

# 504 hourly bars: the in-sample part (70%) has 353. Periods above 200 raise in next(); above
# 353 they need more bars than the in-sample part has.
STRATEGY = """
    import backtrader as bt


    class Picky(bt.Strategy):
        params = (("period", 10), ("limit", 200))
        search_space = {"period": {"type": "int", "low": 5, "high": 500}}

        def __init__(self):
            self.sma = bt.ind.SMA(period=self.p.period)

        def next(self):
            if self.p.period > self.p.limit:
                raise ValueError(f"period {self.p.period} is over the limit")
            if not self.position and self.data.close[0] > self.sma[0]:
                self.buy(size=0.01)
            elif self.position and self.data.close[0] < self.sma[0]:
                self.close()
"""


def _strategy(tmp_path: Path) -> str:
    path = tmp_path / "picky.py"
    path.write_text(textwrap.dedent(STRATEGY))
    return f"{path}:Picky"


def test_failing_trials_carry_a_short_reason_and_the_study_goes_on(cli, tmp_path: Path) -> None:
    out = tmp_path / "study"
    result = cli("optimize", "--strategy", _strategy(tmp_path), "--trials", "30", *SHORT,
                 "--out", str(out))
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    trials = pd.read_csv(out / "trials.csv")
    failed = trials[trials["state"] == "FAIL"]
    raised = failed[(failed["params_period"] > 200) & (failed["params_period"] <= 353)]
    too_long = failed[failed["params_period"] > 353]
    assert len(raised) and len(too_long), trials[["params_period", "state"]]
    for _, row in raised.iterrows():
        assert row["user_attrs_error"].startswith(
            f"Picky raised ValueError: period {row['params_period']} is over the limit at bar "
            "2018-01-")
        assert row["user_attrs_error"].endswith("picky.py:14)")
    for _, row in too_long.iterrows():
        assert row["user_attrs_error"] == (
            f"Picky needs at least {row['params_period']} bars of 1h data (its longest "
            "indicator period) but the data has 353")
    assert (trials[trials["params_period"] <= 200]["state"] == "COMPLETE").all()


def test_a_study_whose_every_trial_fails_says_so_and_exits_1(cli, tmp_path: Path) -> None:
    out = tmp_path / "study"
    result = cli("optimize", "--strategy", _strategy(tmp_path), "--param", "limit=0",
                 "--trials", "4", *SHORT, "--out", str(out))
    assert result.code == 1, result.err
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("error: every trial of study '")
    assert "failed (4 of 4); the last: " in last
    assert "Picky raised ValueError: period " in last or "Picky needs at least" in last
    assert "--min-trades" not in result.err  # not the advice for a study that merely found none


def test_fixed_params_longer_than_a_part_are_refused_up_front(one_clear_line, cli,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "study"
    line = one_clear_line(cli("optimize", "--strategy", "RSIEMAMomentum", "--param",
                              "rsi_period=200", "--trials", "4", *SHORT, "--out", str(out)))
    assert line == ("error: RSIEMAMomentum needs at least 202 bars of 1h data (its longest "
                    "indicator period) but the out-of-sample part (--oos-fraction 0.3) has 151")
    assert not out.exists()
    line = one_clear_line(cli("optimize", "--strategy", "RSIEMAMomentum", "--param",
                              "rsi_period=700", "--oos-fraction", "0", "--trials", "4", *SHORT,
                              "--out", str(out)))
    assert line.endswith("but --from/--to leaves 504")
    assert not out.exists()


def test_an_out_that_is_a_file_is_refused_before_the_study(one_clear_line, cli,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("")
    line = one_clear_line(cli("optimize", "--strategy", "RSIEMAMomentum", "--trials", "4",
                              *SHORT, "--out", str(out)))
    assert line == (f"error: --out {out}: is a file, not a folder; expected a folder (new or "
                    "existing) to write into")


def test_best_params_too_long_for_the_held_out_part_are_a_warning(cli, tmp_path: Path) -> None:
    space = tmp_path / "space.json"
    space.write_text('{"period": {"type": "int", "low": 160, "high": 170}}')
    out = tmp_path / "study"
    result = cli("optimize", "--strategy", _strategy(tmp_path), "--space", str(space),
                 "--trials", "3", *SHORT, "--out", str(out))
    assert result.code == 0, result.err
    assert ("warning: the best params were not backtested out of sample: Picky needs at least "
            "16") in result.err
    assert "bars of 1h data (its longest indicator period) but the out-of-sample part has 151" \
        in result.err
    summary = json.loads((out / "optimization_summary.json").read_text())
    assert "metrics" not in summary["out_of_sample"]
    assert summary["out_of_sample"]["problem"].endswith("but the out-of-sample part has 151")


def test_a_walk_forward_winner_too_long_for_its_test_span_is_not_traded(cli,
                                                                        tmp_path: Path) -> None:
    # Train windows of 126 bars and test spans of 94: a winner with period 100-110 fits the
    # first, not the second.
    space = tmp_path / "space.json"
    space.write_text('{"period": {"type": "int", "low": 100, "high": 110}}')
    out = tmp_path / "study"
    result = cli("optimize", "--strategy", _strategy(tmp_path), "--space", str(space),
                 "--trials", "2", "--walk-forward", "3", "--oos-fraction", "0", *SHORT,
                 "--out", str(out))
    assert result.code == 0, result.err
    notes = [line for line in result.out.splitlines() if "(test not run: " in line]
    assert len(notes) == 3, result.out
    assert all("but the test span has 94)" in line for line in notes)
