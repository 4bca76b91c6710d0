"""Numeric strategy params from --param, params files and search spaces are finite and sane."""

from __future__ import annotations

import json

import backtrader as bt
import pytest

from backtrader_engine.errors import StrategyError
from backtrader_engine.strategies.params import MAX_INT_PARAM, apply_params
from backtrader_engine.strategies.space import load_space_file, parse_space


class Demo(bt.Strategy):
    params = (("period", 20), ("mult", 2.0), ("anything", None))


@pytest.mark.parametrize(("name", "raw", "expected"), [
    ("period", "1e9", "'1e9' is out of range; expected an integer from -10,000,000"),
    ("period", 10**9, "is out of range"),
    ("period", "inf", "expected an integer, got 'inf'"),
    ("period", float("nan"), "expected an integer, got nan"),
    ("mult", "inf", "expected a finite number, got 'inf'"),
    ("mult", "1e400", "expected a finite number, got '1e400'"),
    ("mult", float("-inf"), "expected a finite number, got -inf"),
    ("anything", "1e400", "'1e400' is not a finite number"),
    ("anything", float("nan"), "expected a finite number, got nan"),
])
def test_non_finite_or_absurd_numbers_are_refused(name, raw, expected):
    with pytest.raises(StrategyError, match="^Demo." + name + ": .*") as info:
        apply_params(Demo, {name: raw})
    assert expected in str(info.value)


def test_ordinary_numbers_still_pass():
    params = apply_params(Demo, {"period": "20.0", "mult": "1e-3", "anything": "7"})
    assert params["period"] == 20 and params["mult"] == 0.001 and params["anything"] == 7
    assert apply_params(Demo, {"period": MAX_INT_PARAM})["period"] == MAX_INT_PARAM


@pytest.mark.parametrize(("text", "expected"), [
    ('{"mult": {"type": "float", "low": 1, "high": 1e400}}',
     "field 'mult.high' = 1e400: is beyond the range of a number"),
    ('{"mult": {"type": "float", "low": NaN, "high": 2}}',
     "field 'mult.low' contains NaN, which is not valid JSON"),
    ('{"period": {"type": "int", "low": 5, "high": 1000000000}}',
     "'high' 1000000000 is out of range"),
    ('{"mult": {"type": "categorical", "choices": [1.0, Infinity]}}',
     "field 'mult.choices[1]' contains Infinity"),
])
def test_space_files_refuse_non_finite_numbers(tmp_path, text, expected):
    path = tmp_path / "space.json"
    path.write_text(text)
    with pytest.raises(StrategyError) as info:
        load_space_file(path, Demo)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_a_space_attribute_with_an_infinite_choice_is_refused():
    with pytest.raises(StrategyError, match="is not a finite number"):
        parse_space({"mult": {"type": "categorical", "choices": [1.0, float("inf")]}},
                    {"mult": 2.0}, "Demo.search_space")


@pytest.mark.parametrize("value", ["1e400", "NaN", "1e9"])
def test_backtest_refuses_a_params_file_number(cli, one_clear_line, tmp_path, value):
    params = tmp_path / "best.json"
    params.write_text('{"strategy": "RSIEMAMomentumStrategy", "params": {"rsi_period": '
                      f'{value}}}}}')
    out = tmp_path / "run"
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--params-file",
                              str(params), "--out", str(out), "--no-plots"))
    assert "rsi_period" in line
    assert not out.exists()


@pytest.mark.parametrize("value", ["1e9", "inf", "nan"])
def test_backtest_refuses_a_param_number(cli, one_clear_line, tmp_path, value):
    out = tmp_path / "run"
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--param",
                              f"rsi_period={value}", "--out", str(out), "--no-plots"))
    assert line.startswith("error: RSIEMAMomentumStrategy.rsi_period: ")
    assert not out.exists()


def test_optimize_refuses_a_space_file_number_before_any_study(cli, one_clear_line, tmp_path):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"rsi_period": {"type": "int", "low": 5, "high": 10}})
                     .replace("10", "1e400"))
    out = tmp_path / "study"
    line = one_clear_line(cli("optimize", "--strategy", "RSIEMAMomentum", "--space", str(space),
                              "--trials", "1", "--out", str(out), "--no-plots"))
    assert "1e400" in line and "rsi_period.high" in line
    assert not out.exists()
