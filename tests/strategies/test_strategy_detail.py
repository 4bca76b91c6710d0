"""``bte strategies NAME``: one strategy's params, defaults and search-space ranges."""

from __future__ import annotations

from pathlib import Path

import backtrader as bt

from backtrader_engine.strategies.detail_text import describe_range, format_strategy_detail
from backtrader_engine.strategies.registry import BUILTIN_STRATEGIES
from backtrader_engine.strategies.space import CategoricalParam, FloatParam, IntParam, space_of


class Tuned(bt.Strategy):
    """Buys dips.

    Longer text that the detail leaves out.
    """

    params = (("period", 20), ("band", 1.5), ("mode", "fast"), ("size", 1.0))
    search_space = {
        "period": {"type": "int", "low": 10, "high": 50, "step": 5},
        "band": {"type": "float", "low": 0.5, "high": 4.0, "log": True},
        "mode": {"type": "categorical", "choices": ["fast", "slow"]},
    }


def test_each_param_has_its_default_and_range_and_unsearched_ones_a_dash() -> None:
    text = format_strategy_detail("Tuned", Tuned)
    lines = text.splitlines()
    assert lines[:2] == ["Tuned", "Buys dips."]
    rows = {line.split()[0]: line for line in lines if line.split()
            and line.split()[0] in {"period", "band", "mode", "size"}}
    assert rows["period"].split()[1:] == ["20", "int", "10..50", "step", "5"]
    assert rows["band"].split()[1:] == ["1.5", "float", "0.5..4", "log"]
    assert rows["mode"].split()[1:] == ["'fast'", "one", "of", "'fast',", "'slow'"]
    assert rows["size"].split()[1:] == ["1.0", "-"]
    assert lines[-1].startswith("3 of 4 params are searched by optimize")


def test_ranges_read_as_the_optimiser_samples_them() -> None:
    assert describe_range(IntParam(low=7, high=28)) == "int 7..28"
    assert describe_range(FloatParam(low=1.0, high=4.0, step=0.25)) == "float 1..4 step 0.25"
    assert describe_range(CategoricalParam(choices=(True, False))) == "one of True, False"
    assert describe_range(None) == "-"


def test_every_built_in_lists_all_its_params_and_its_whole_space() -> None:
    for name, cls in BUILTIN_STRATEGIES.items():
        text = format_strategy_detail(name, cls)
        space = space_of(cls)
        assert f"{len(space)} of " in text.splitlines()[-1], name
        for param in space:
            row = next(line for line in text.splitlines() if line.startswith(param + " "))
            assert not row.rstrip().endswith(" -"), (name, param)


def test_the_command_prints_a_built_in_and_a_file_strategy(cli, tmp_path: Path) -> None:
    result = cli("strategies", "RSIEMAMomentum")
    assert result.code == 0, result.err
    assert result.out.startswith("RSIEMAMomentumStrategy\n")
    assert "rsi_period" in result.out and "int 7..28" in result.out
    source = tmp_path / "mine.py"
    source.write_text("import backtrader as bt\n\n\nclass Mine(bt.Strategy):\n"
                      "    params = (('fast', 10),)\n")
    result = cli("strategies", f"{source}:Mine")
    assert result.code == 0, result.err
    assert "fast" in result.out and "0 of 1 params are searched" in result.out


def test_an_unknown_name_is_one_line_with_a_suggestion(cli, one_clear_line) -> None:
    line = one_clear_line(cli("strategies", "RSIEMAMomentm"))
    assert "unknown strategy 'RSIEMAMomentm'" in line
    assert "did you mean 'RSIEMAMomentumStrategy'" in line
