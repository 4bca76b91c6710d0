"""Which strategies run, where, and with which parameters: ``configs/strategies_config.json``."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, PlainValidator, model_validator

from backtrader_engine.config.base import ConfigModel, Rule, RuleViolation
from backtrader_engine.config.fieldtypes import SymbolList, check_unique
from backtrader_engine.config.messages import format_problem
from backtrader_engine.errors import ConfigError, UserError, did_you_mean

Timeframe = Literal["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d", "1w"]

#: Length of each known timeframe in seconds, shortest first.
TIMEFRAME_SECONDS: dict[str, int] = {
    "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800,
    "1h": 3600, "2h": 7200, "4h": 14400, "6h": 21600, "12h": 43200,
    "1d": 86400, "1w": 604800,
}

ParamScalar = bool | int | float | str


def _check_param_value(value: object) -> ParamScalar:
    """Accept one scalar parameter value as parsed from JSON.

    A plain validator keeps the error on the parameter itself; a ``bool | int | float | str``
    union would report one confusing error per member type instead.
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("is not a finite number; use an ordinary number")
    if isinstance(value, bool | int | float | str):
        return value
    raise ValueError("is not a strategy parameter value; use a number, true/false or a string "
                     "(lists, objects and null are not supported)")


ParamValue = Annotated[ParamScalar, PlainValidator(_check_param_value)]


class StrategyEntry(ConfigModel):
    """Settings of one strategy."""

    enabled: bool = Field(True, description="Run this strategy in paper trading and studies.")
    symbols: SymbolList = Field(
        description="Symbols the strategy trades; each must be listed in the Bybit config's "
                    "'symbols'.",
    )
    timeframe: Timeframe = Field(
        description="Bar size the strategy trades on: 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, "
                    "12h, 1d or 1w.",
    )
    confirm_timeframes: Annotated[list[Timeframe], AfterValidator(check_unique)] = Field(
        default_factory=list,
        description="Longer timeframes whose trend must agree before a signal is taken.",
    )
    params: dict[str, ParamValue] = Field(
        default_factory=dict,
        description="Strategy parameters by name (numbers, true/false or strings); names must "
                    "exist on the strategy class.",
    )


def _default_strategies() -> dict[str, StrategyEntry]:
    """The six built-in strategies with the seed system's parameters."""
    symbols = ["ETHUSDT", "BTCUSDT", "SOLUSDT"]
    specs: dict[str, tuple[str, list[str], dict[str, ParamScalar]]] = {
        "VolatilityBreakoutStrategy": ("15m", ["1h"], {"lookback": 18, "multiplier": 2.2}),
        "RSIEMAMomentumStrategy": ("15m", ["1h"], {"rsi_period": 14, "ema_period": 20}),
        "BollingerReversionStrategy": ("15m", [], {"bb_period": 20, "bb_dev": 2.0}),
        "EMABreakoutConservativeStrategy": ("1h", ["4h"], {"short_ema": 10, "long_ema": 30}),
        "ContrarianVolumeSpikeStrategy": ("5m", ["15m"], {"volume_multiplier": 1.5}),
        "TrendFollowingADXEMAStrategy": ("1h", ["4h"], {"adx_period": 14, "ema_period": 50}),
    }
    return {
        name: StrategyEntry.model_validate({
            "symbols": list(symbols), "timeframe": timeframe,
            "confirm_timeframes": confirm, "params": params,
        })
        for name, (timeframe, confirm, params) in specs.items()
    }


def _rule_confirm_timeframes_longer(cfg: StrategiesConfig) -> RuleViolation | None:
    """Confirmation only adds information from a longer timeframe than the trading one."""
    for name, entry in cfg.strategies.items():
        own = TIMEFRAME_SECONDS[entry.timeframe]
        for index, confirm in enumerate(entry.confirm_timeframes):
            if TIMEFRAME_SECONDS[confirm] <= own:
                return RuleViolation(
                    f"strategies.{name}.confirm_timeframes[{index}]", confirm,
                    f"is not longer than the strategy's 'timeframe' (\"{entry.timeframe}\")",
                    "use a longer timeframe or remove it",
                )
    return None


def _rule_names_not_blank(cfg: StrategiesConfig) -> RuleViolation | None:
    """A blank name cannot be resolved to a strategy class."""
    for name in cfg.strategies:
        if not name.strip():
            return RuleViolation(
                "strategies", name, "contains a strategy with a blank name",
                "use the strategy class name, e.g. \"RSIEMAMomentumStrategy\"",
            )
    return None


STRATEGIES_RULES: tuple[Rule, ...] = (_rule_names_not_blank, _rule_confirm_timeframes_longer)


def _kind(value: object) -> str | None:
    """Coarse JSON kind of a parameter value, or ``None`` when anything goes (default None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return None


class StrategiesConfig(ConfigModel):
    """Strategy name → :class:`StrategyEntry`."""

    rules: ClassVar[tuple[Rule, ...]] = STRATEGIES_RULES
    default_filename: ClassVar[str] = "strategies_config.json"

    strategies: dict[str, StrategyEntry] = Field(
        default_factory=_default_strategies,
        description="Strategies by class name, e.g. \"RSIEMAMomentumStrategy\".",
    )

    @model_validator(mode="before")
    @classmethod
    def _explain_flat_layout(cls, data: object) -> object:
        """Spot strategy entries written at the top level instead of under ``strategies``.

        Without this, the user would only see "unknown key" for a correctly written entry.
        """
        if isinstance(data, dict):
            for key, value in data.items():
                if key != "strategies" and isinstance(value, dict) and (
                        "symbols" in value or "timeframe" in value):
                    raise ValueError(
                        f"strategy '{key}' is at the top level; nest every strategy under "
                        "\"strategies\": {\"strategies\": {\"" + key + "\": {...}}}"
                    )
        return data

    def enabled(self) -> dict[str, StrategyEntry]:
        """Return the enabled strategies, in file order.

        Returns
        -------
        dict[str, StrategyEntry]
            Name → entry for every strategy whose ``enabled`` is true.
        """
        return {name: entry for name, entry in self.strategies.items() if entry.enabled}

    def validate_params(self, resolver: Callable[[str], Mapping[str, object]]) -> None:
        """Check every configured parameter against the strategy's known parameters.

        The strategy registry lives elsewhere; it passes *resolver* so this module need not
        import strategy code.

        Parameters
        ----------
        resolver
            ``resolver(name)`` returns the strategy's parameters as name → default value, or
            raises (a :class:`~backtrader_engine.errors.UserError` or ``LookupError``) when the
            strategy is unknown.

        Raises
        ------
        ConfigError
            For the first unknown strategy, unknown parameter (with a did-you-mean hint) or
            parameter whose kind (number, true/false, string) differs from its default.
        """
        for name, entry in self.strategies.items():
            known = self._resolve(name, resolver)
            for param, value in entry.params.items():
                field = f"strategies.{name}.params.{param}"
                if param not in known:
                    raise ConfigError(format_problem(
                        self.source, field, value,
                        f"is not a parameter of {name}{did_you_mean(param, known)}",
                        "known parameters: " + (", ".join(sorted(known)) or "none"),
                    ))
                expected = _kind(known[param])
                if expected is not None and _kind(value) != expected:
                    raise ConfigError(format_problem(
                        self.source, field, value, f"must be {expected}",
                        f"the default is {known[param]!r}",
                    ))

    def _resolve(self, name: str,
                 resolver: Callable[[str], Mapping[str, object]]) -> Mapping[str, object]:
        """Call *resolver*, turning 'unknown strategy' into a message about this file."""
        try:
            return resolver(name)
        except (UserError, LookupError) as exc:
            reason = str(exc.args[0]) if isinstance(exc, LookupError) and exc.args else str(exc)
            raise ConfigError(format_problem(
                self.source, f"strategies.{name}", name, f"cannot be resolved: {reason}",
                "fix the strategy name or remove the entry",
                show_value=False,
            )) from exc
