"""Search-space declarations: parsing, validation, suggestion and the built-ins' spaces."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import backtrader as bt
import pandas as pd
import pytest

from backtrader_engine.errors import StrategyError
from backtrader_engine.strategies import (
    BUILTIN_STRATEGIES,
    CategoricalParam,
    FloatParam,
    IntParam,
    load_space_file,
    parse_space,
    space_of,
    space_to_dict,
    strategy_params,
)

EXPECTED_SIZES = {
    "VolatilityBreakoutStrategy": 5,
    "RSIEMAMomentumStrategy": 9,
    "BollingerReversionStrategy": 8,
    "EMABreakoutConservativeStrategy": 8,
    "ContrarianVolumeSpikeStrategy": 8,
    "TrendFollowingADXEMAStrategy": 7,
}

# The example from docs/strategies.md, written the way a user file writes it.
EXAMPLE_SPACE = {
    "lookback": {"type": "int", "low": 10, "high": 40, "step": 1},
    "multiplier": {"type": "float", "low": 1.0, "high": 4.0, "step": 0.1},
    "mode": {"type": "categorical", "choices": ["a", "b"]},
    "risk": {"type": "float", "low": 0.001, "high": 0.05, "log": True},
}


class UserStrategy(bt.Strategy):
    params = (("lookback", 20), ("multiplier", 2.0), ("mode", "a"), ("risk", 0.01))
    search_space = EXAMPLE_SPACE


class FakeTrial:
    """Records ``suggest_*`` calls like an Optuna trial and answers from a picker."""

    def __init__(self, pick: str = "low") -> None:
        self.pick = pick
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def _range(self, kind: str, name: str, low: float, high: float, **kw: Any) -> float:
        self.calls.append((kind, name, {"low": low, "high": high, **kw}))
        return low if self.pick == "low" else high

    def suggest_int(self, name: str, low: int, high: int, **kw: Any) -> int:
        return int(self._range("int", name, low, high, **kw))

    def suggest_float(self, name: str, low: float, high: float, **kw: Any) -> float:
        return float(self._range("float", name, low, high, **kw))

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        self.calls.append(("categorical", name, {"choices": choices}))
        return choices[0] if self.pick == "low" else choices[-1]


def test_example_space_parses() -> None:
    space = space_of(UserStrategy)
    assert space == {
        "lookback": IntParam(10, 40, 1),
        "multiplier": FloatParam(1.0, 4.0, 0.1),
        "mode": CategoricalParam(("a", "b")),
        "risk": FloatParam(0.001, 0.05, log=True),
    }


def test_suggest_calls_the_trial_api() -> None:
    trial = FakeTrial()
    values = {name: spec.suggest(trial, name) for name, spec in space_of(UserStrategy).items()}
    assert values == {"lookback": 10, "multiplier": 1.0, "mode": "a", "risk": 0.001}
    assert trial.calls == [
        ("int", "lookback", {"low": 10, "high": 40, "step": 1, "log": False}),
        ("float", "multiplier", {"low": 1.0, "high": 4.0, "step": 0.1, "log": False}),
        ("categorical", "mode", {"choices": ["a", "b"]}),
        ("float", "risk", {"low": 0.001, "high": 0.05, "step": None, "log": True}),
    ]


def test_round_trip_through_plain_dicts() -> None:
    space = space_of(UserStrategy)
    plain = space_to_dict(space)
    assert json.loads(json.dumps(plain)) == plain
    assert parse_space(plain, strategy_params(UserStrategy), "round trip") == space


def test_dataclass_specs_are_accepted() -> None:
    space = parse_space({"lookback": IntParam(5, 9)}, ["lookback"], "inline")
    assert space == {"lookback": IntParam(5, 9)}


def test_no_space_means_empty() -> None:
    class Plain(bt.Strategy):
        params = (("x", 1),)

    assert space_of(Plain) == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"lookbak": {"type": "int", "low": 1, "high": 2}}, "did you mean 'lookback'"),
        ({"lookback": {"type": "integer", "low": 1, "high": 2}}, "did you mean 'int'"),
        ({"lookback": {"type": "int", "low": 1, "hihg": 2}}, "unknown key 'hihg'"),
        ({"lookback": {"type": "int", "low": 1}}, "needs high"),
        ({"lookback": {"type": "int", "low": 5, "high": 2}}, "greater than high"),
        ({"lookback": {"type": "int", "low": 1, "high": 2, "step": 0}}, "step must be positive"),
        ({"lookback": {"type": "int", "low": 1, "high": 10, "step": 2}}, "not a multiple"),
        ({"lookback": {"type": "int", "low": 1.5, "high": 10}}, "must be an integer"),
        ({"lookback": {"type": "int", "low": 1, "high": 9, "step": 2, "log": True}}, "step 1"),
        ({"lookback": {"type": "int", "low": 0, "high": 9, "log": True}}, "low > 0"),
        ({"lookback": {"type": "float", "low": 1.0, "high": 2.0}}, "does not fit"),
        ({"multiplier": {"type": "float", "low": 1.0, "high": 2.0, "step": 0.3}}, "multiple"),
        ({"multiplier": {"type": "float", "low": 1.0, "high": math.inf}}, "finite"),
        ({"risk": {"type": "float", "low": 0.1, "high": 1.0, "step": 0.1, "log": True}}, "both"),
        ({"risk": {"type": "float", "low": 0.0, "high": 1.0, "log": True}}, "low > 0"),
        ({"risk": {"type": "float", "low": 0.1, "high": 1.0, "log": "yes"}}, "true or false"),
        ({"mode": {"type": "categorical", "choices": []}}, "non-empty"),
        ({"mode": {"type": "categorical", "choices": "ab"}}, "must be a list"),
        ({"mode": {"type": "categorical", "choices": ["a", "a"]}}, "duplicates"),
        ({"mode": {"type": "categorical", "choices": ["a", ["b"]]}}, "not a bool"),
        ({"mode": {"type": "categorical", "choices": [1, 2]}}, "does not fit"),
        ({"mode": ["a", "b"]}, "expected a dict"),
        (["lookback"], "must be a mapping"),
    ],
)
def test_invalid_spaces_are_rejected(raw: Any, message: str) -> None:
    with pytest.raises(StrategyError, match="my origin") as err:
        parse_space(raw, strategy_params(UserStrategy), "my origin")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_names_only_skip_the_type_check() -> None:
    # With just names (no defaults) any well-formed spec is accepted.
    space = parse_space({"lookback": {"type": "float", "low": 1, "high": 2}}, ["lookback"], "o")
    assert space == {"lookback": FloatParam(1, 2)}


def test_load_space_file(tmp_path: Path) -> None:
    path = tmp_path / "space.json"
    path.write_text(json.dumps(EXAMPLE_SPACE))
    assert load_space_file(path, UserStrategy) == space_of(UserStrategy)


def test_load_space_file_errors(tmp_path: Path) -> None:
    with pytest.raises(StrategyError, match="does not exist"):
        load_space_file(tmp_path / "missing.json", UserStrategy)
    bad = tmp_path / "bad.json"
    bad.write_text('{"lookback": {"type": "int",}}')
    with pytest.raises(StrategyError, match=r"invalid JSON at line 1, column \d+"):
        load_space_file(bad, UserStrategy)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"lookbac": {"type": "int", "low": 1, "high": 3}}')
    with pytest.raises(StrategyError, match=r"wrong\.json: 'lookbac' .*did you mean 'lookback'"):
        load_space_file(wrong, UserStrategy)


@pytest.mark.parametrize("name", list(EXPECTED_SIZES))
def test_builtin_space_sizes_and_defaults(name: str) -> None:
    cls = BUILTIN_STRATEGIES[name]
    space = space_of(cls)
    assert len(space) == EXPECTED_SIZES[name]
    defaults = strategy_params(cls)
    for param, spec in space.items():
        default = defaults[param]
        # Every default is a point of its own space, so a study can start from the defaults.
        if isinstance(spec, CategoricalParam):
            assert default in spec.choices, param
        else:
            assert spec.low <= default <= spec.high, param
            if spec.step:
                offset = (default - spec.low) / spec.step
                assert offset == pytest.approx(round(offset)), param


@pytest.mark.parametrize(
    ("name", "short", "long"),
    [
        ("EMABreakoutConservativeStrategy", "short_ema", "long_ema"),
        ("TrendFollowingADXEMAStrategy", "ema_fast", "ema_period"),
        ("RSIEMAMomentumStrategy", "rsi_short", "rsi_long"),
    ],
)
def test_ordered_pairs_cannot_cross(name: str, short: str, long: str) -> None:
    space = space_of(BUILTIN_STRATEGIES[name])
    assert space[short].high < space[long].low


@pytest.mark.parametrize("pick", ["low", "high"])
@pytest.mark.parametrize("name", list(EXPECTED_SIZES))
def test_space_corners_run(
    name: str,
    pick: str,
    ohlcv_factory: Callable[..., pd.DataFrame],
    backtest: Callable[..., Any],
) -> None:
    """Every bound of every space is a valid parameter set for the strategy."""
    cls = BUILTIN_STRATEGIES[name]
    trial = FakeTrial(pick)
    params = {p: spec.suggest(trial, p) for p, spec in space_of(cls).items()}
    strat, _ = backtest(cls, ohlcv_factory(n=600, seed=3), **params)
    assert all(getattr(strat.p, p) == v for p, v in params.items())
