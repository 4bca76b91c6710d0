"""Resolving strategy specs, loading user files, parameter coercion and the strategy table."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import backtrader as bt
import pandas as pd
import pytest

from backtrader_engine.errors import StrategyError, UserError
from backtrader_engine.strategies import (
    BUILTIN_STRATEGIES,
    RSIEMAMomentumStrategy,
    StrategyInfo,
    TrendFollowingADXEMAStrategy,
    VolatilityBreakoutStrategy,
    apply_params,
    describe_strategies,
    format_strategy_table,
    resolve_strategy,
    strategy_params,
)

USER_FILE = '''
import backtrader as bt


class Settings:
    """Not a strategy."""


class SmaCross(bt.Strategy):
    params = (("fast", 10), ("slow", 30))

    def __init__(self):
        fast, slow = bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)

    def next(self):
        if self.cross > 0:
            self.order_target_size(target=0.1)
        elif self.cross < 0:
            self.order_target_size(target=-0.1)
'''


def _write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


@pytest.mark.parametrize(
    "spec",
    [
        "RSIEMAMomentumStrategy",
        "RSIEMAMomentum",
        "rsiemamomentum",
        "rsiemamomentumstrategy",
        "RSIEMAMOMENTUM",
        "rsi_ema_momentum",
        "rsi-ema-momentum",
        "  RSIEMAMomentum  ",
    ],
)
def test_builtin_spellings(spec: str) -> None:
    assert resolve_strategy(spec) is RSIEMAMomentumStrategy


def test_every_builtin_resolves_by_name_and_short_name() -> None:
    assert len(BUILTIN_STRATEGIES) == 6
    for name, cls in BUILTIN_STRATEGIES.items():
        assert resolve_strategy(name) is cls
        assert resolve_strategy(name.removesuffix("Strategy").lower()) is cls


def test_unknown_name_suggests_and_lists_builtins() -> None:
    with pytest.raises(StrategyError) as err:
        resolve_strategy("TrendFollowingADX")
    message = str(err.value)
    assert message.startswith("unknown strategy 'TrendFollowingADX' (did you mean ")
    assert "'TrendFollowingADXEMAStrategy'" in message
    assert "built-ins: VolatilityBreakoutStrategy, RSIEMAMomentumStrategy, " in message
    assert message.endswith("or use path/to/file.py:ClassName")
    assert isinstance(err.value, UserError)


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [("RSIEMAMomentm", "RSIEMAMomentumStrategy"), ("bollinger_reversal", "BollingerReversion")],
)
def test_suggestions_use_class_names(spec: str, suggestion: str) -> None:
    with pytest.raises(StrategyError, match=f"did you mean '{suggestion}"):
        resolve_strategy(spec)


def test_nothing_close_gives_no_suggestion() -> None:
    with pytest.raises(StrategyError) as err:
        resolve_strategy("zzz")
    assert "did you mean" not in str(err.value)


def test_user_file_with_and_without_class_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "my_strategy.py", USER_FILE)
    cls = resolve_strategy(f"{path}:SmaCross")
    assert issubclass(cls, bt.Strategy) and cls.__name__ == "SmaCross"
    # Exactly one Strategy subclass is defined in the file, so the class name is optional.
    assert resolve_strategy(str(path)) is cls
    # Registered in sys.modules under a stable name: pickling (multiprocessing) works.
    assert sys.modules[cls.__module__].__file__ == str(path.resolve())
    assert pickle.loads(pickle.dumps(cls)) is cls
    assert strategy_params(cls) == {"fast": 10, "slow": 30}


def test_user_class_unpickles_in_a_fresh_process(tmp_path: Path) -> None:
    """A worker that resolves the same spec can load pickled user classes (spawn start)."""
    path = _write(tmp_path, "worker_strategy.py", USER_FILE)
    payload = tmp_path / "cls.pickle"
    payload.write_bytes(pickle.dumps(resolve_strategy(str(path))))
    code = (
        "import pickle, sys\n"
        "from backtrader_engine.strategies import resolve_strategy\n"
        "cls = resolve_strategy(sys.argv[1])\n"
        "assert pickle.loads(open(sys.argv[2], 'rb').read()) is cls\n"
        "print(cls.__module__)\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path), str(payload)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("bte_user_strategy_worker_strategy_")


def test_user_strategy_runs(
    tmp_path: Path, ohlcv: pd.DataFrame, backtest: Callable[..., Any]
) -> None:
    cls = resolve_strategy(str(_write(tmp_path, "cross.py", USER_FILE)))
    strat, log = backtest(cls, ohlcv.iloc[:500], **apply_params(cls, {"fast": "5"}))
    assert strat.p.fast == 5
    assert any(o["status"] == "Completed" for o in log.orders)


def test_user_file_subclassing_a_builtin(tmp_path: Path) -> None:
    source = """
    from backtrader_engine.strategies import RiskManagedStrategy, VolatilityBreakoutStrategy


    class Wider(VolatilityBreakoutStrategy):
        params = (("multiplier", 3.0),)
    """
    cls = resolve_strategy(str(_write(tmp_path, "wider.py", source)))
    # Only classes defined in the file count, not the imported ones.
    assert cls.__name__ == "Wider"
    assert issubclass(cls, VolatilityBreakoutStrategy)
    assert strategy_params(cls)["multiplier"] == 3.0


def test_several_strategies_need_a_class_name(tmp_path: Path) -> None:
    source = USER_FILE + "\n\nclass Other(bt.Strategy):\n    pass\n"
    path = _write(tmp_path, "two.py", source)
    with pytest.raises(StrategyError, match=r"several strategies \(SmaCross, Other\)"):
        resolve_strategy(str(path))
    assert resolve_strategy(f"{path}:Other").__name__ == "Other"


def test_missing_class_suggests_from_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "typo.py", USER_FILE)
    with pytest.raises(StrategyError) as err:
        resolve_strategy(f"{path}:SmaCros")
    assert "has no class 'SmaCros' (did you mean 'SmaCross'?)" in str(err.value)
    assert "strategies in the file: SmaCross" in str(err.value)


def test_not_a_strategy_subclass(tmp_path: Path) -> None:
    path = _write(tmp_path, "settings.py", USER_FILE)
    with pytest.raises(StrategyError, match="'Settings' .* is not a backtrader.Strategy subclass"):
        resolve_strategy(f"{path}:Settings")


def test_file_without_strategies(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.py", "import backtrader as bt\nX = 1\n")
    with pytest.raises(StrategyError, match="defines no backtrader.Strategy subclass"):
        resolve_strategy(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StrategyError, match=r"nope\.py' does not exist"):
        resolve_strategy(f"{tmp_path / 'nope.py'}:X")
    with pytest.raises(StrategyError, match="is not a file"):
        resolve_strategy(f"{tmp_path}/")


def test_not_a_python_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "strategy.txt", USER_FILE)
    with pytest.raises(StrategyError, match=r"must be a \.py file"):
        resolve_strategy(f"{path}:SmaCross")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x = 1\nraise RuntimeError('boom\\nsecond line')\n",
         "bad.py:2: the strategy file failed to import: RuntimeError: boom second line"),
        ("import not_a_real_module_xyz\n",
         "bad.py:1: the strategy file failed to import: ModuleNotFoundError: No module named"),
        ("\n\ndef broken(:\n", "bad.py:3: the strategy file failed to import: SyntaxError: "),
    ],
)
def test_import_failure_is_one_line(tmp_path: Path, source: str, expected: str) -> None:
    path = _write(tmp_path, "bad.py", source)
    with pytest.raises(StrategyError) as err:
        resolve_strategy(str(path))
    message = str(err.value)
    assert "failed to import" in message and expected in message
    assert "\n" not in message
    assert not any(name.startswith("bte_user_strategy_bad_") for name in sys.modules)


@pytest.mark.parametrize(("call", "shown"), [("sys.exit(0)", "sys.exit(0)"),
                                             ("sys.exit()", "sys.exit()"),
                                             ("raise SystemExit('bye')", "sys.exit('bye')")])
def test_a_file_calling_sys_exit_at_import_is_refused(tmp_path: Path, call: str,
                                                      shown: str) -> None:
    path = _write(tmp_path, "quits.py", f"import sys\n{call}\n")
    with pytest.raises(StrategyError) as err:
        resolve_strategy(f"{path}:Anything")
    assert str(err.value) == (f"{path} called {shown} while being imported; a strategy file "
                              "must only define classes")
    assert not any(name.startswith("bte_user_strategy_quits_") for name in sys.modules)


def test_a_file_calling_sys_exit_is_one_line_and_exit_2(one_clear_line, cli,
                                                        tmp_path: Path) -> None:
    path = _write(tmp_path, "quits.py", "import sys\nsys.exit(0)\n")
    line = one_clear_line(cli("backtest", "--strategy", f"{path}:X", "--no-plots"))
    assert line == (f"error: {path} called sys.exit(0) while being imported; a strategy "
                    "file must only define classes")


def test_apply_params_coerces_cli_strings() -> None:
    params = apply_params(
        RSIEMAMomentumStrategy,
        {
            "rsi_period": "21",
            "ema_period": "30.0",
            "rsi_long": "60",
            "allow_short": "no",
            "use_confirmation": "1",
            "verbose": "TRUE",
            "stop_atr_mult": 3,
        },
    )
    assert params["rsi_period"] == 21 and type(params["rsi_period"]) is int
    assert params["ema_period"] == 30 and type(params["ema_period"]) is int
    assert params["rsi_long"] == 60.0 and type(params["rsi_long"]) is float
    assert params["allow_short"] is False
    assert params["use_confirmation"] is True
    assert params["verbose"] is True
    assert params["stop_atr_mult"] == 3.0 and type(params["stop_atr_mult"]) is float
    # Untouched parameters keep their defaults.
    assert params["rsi_short"] == 45.0
    assert set(params) == set(strategy_params(RSIEMAMomentumStrategy))


def test_apply_params_strings_and_none_defaults() -> None:
    class WithOddParams(bt.Strategy):
        params = (("mode", "fast"), ("anything", None), ("levels", (1, 2)))

    params = apply_params(WithOddParams, {"mode": "slow", "anything": "2.5", "levels": "(3, 4)"})
    assert params == {"mode": "slow", "anything": 2.5, "levels": (3, 4)}
    assert apply_params(WithOddParams, {"anything": "none"})["anything"] is None
    assert apply_params(WithOddParams, {"anything": "abc"})["anything"] == "abc"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rsi_perod": "14"}, "has no parameter 'rsi_perod' (did you mean 'rsi_period'"),
        ({"rsi_period": "fourteen"}, "RSIEMAMomentumStrategy.rsi_period: expected an integer"),
        ({"rsi_period": "14.5"}, "expected an integer, got '14.5'"),
        ({"rsi_period": True}, "expected an integer"),
        ({"rsi_long": "high"}, "RSIEMAMomentumStrategy.rsi_long: expected a finite number"),
        ({"rsi_long": "nan"}, "expected a finite number"),
        ({"allow_short": "maybe"}, "expected a boolean (true/false/1/0/yes/no)"),
    ],
)
def test_apply_params_errors(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(StrategyError) as err:
        apply_params(RSIEMAMomentumStrategy, overrides)
    assert message in str(err.value)


def test_describe_and_format() -> None:
    infos = describe_strategies()
    assert [i.name for i in infos] == list(BUILTIN_STRATEGIES)
    by_name = {i.name: i for i in infos}
    assert by_name["TrendFollowingADXEMAStrategy"].space_size == 7
    assert by_name["VolatilityBreakoutStrategy"].params["lookback"] == 18
    assert by_name["VolatilityBreakoutStrategy"].params["multiplier"] == 2.2
    assert all(i.summary and "\n" not in i.summary for i in infos)

    table = format_strategy_table(infos)
    lines = table.splitlines()
    assert lines[0].split() == ["STRATEGY", "SPACE", "SUMMARY"]
    for info in infos:
        row = next(line for line in lines if line.startswith(info.name))
        assert row.split()[1] == str(info.space_size)
    assert "adx_threshold=25.0" in table
    assert max(len(line) for line in lines if line.startswith("    ")) <= 100


def test_describe_custom_mapping() -> None:
    infos = describe_strategies({"Trend": TrendFollowingADXEMAStrategy})
    assert infos == [
        StrategyInfo(
            name="Trend",
            summary=infos[0].summary,
            params=strategy_params(TrendFollowingADXEMAStrategy),
            space_size=7,
        )
    ]


def test_strategy_params_include_inherited_risk_params() -> None:
    params = strategy_params(VolatilityBreakoutStrategy)
    assert list(params)[:9] == [
        "atr_period",
        "stop_atr_mult",
        "take_profit_atr_mult",
        "risk_per_trade",
        "max_leverage_use",
        "allow_short",
        "use_confirmation",
        "confirm_ema_period",
        "verbose",
    ]
    assert params["lookback"] == 18
