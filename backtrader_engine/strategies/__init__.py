"""Strategies: the shared risk-managed base, six example built-ins, search spaces, registry.

A strategy is a plain ``backtrader.Strategy``; see ``docs/strategies.md`` for writing your own.
"""

from backtrader_engine.strategies.base import (
    INTERFACE_VERSION,
    RiskManagedStrategy,
    check_param,
    clip01,
    safe_div,
)
from backtrader_engine.strategies.bollinger_reversion import BollingerReversionStrategy
from backtrader_engine.strategies.contrarian_volume_spike import ContrarianVolumeSpikeStrategy
from backtrader_engine.strategies.ema_breakout_conservative import (
    EMABreakoutConservativeStrategy,
)
from backtrader_engine.strategies.params import apply_params, coerce_value, strategy_params
from backtrader_engine.strategies.registry import (
    BUILTIN_STRATEGIES,
    StrategyInfo,
    describe_strategies,
    resolve_strategy,
)
from backtrader_engine.strategies.rsi_ema_momentum import RSIEMAMomentumStrategy
from backtrader_engine.strategies.space import (
    CategoricalParam,
    FloatParam,
    IntParam,
    ParamSpec,
    load_space_file,
    parse_space,
    space_of,
    space_to_dict,
)
from backtrader_engine.strategies.table_text import format_strategy_table
from backtrader_engine.strategies.trend_following_adx_ema import TrendFollowingADXEMAStrategy
from backtrader_engine.strategies.volatility_breakout import VolatilityBreakoutStrategy

__all__ = [
    "BUILTIN_STRATEGIES",
    "INTERFACE_VERSION",
    "BollingerReversionStrategy",
    "CategoricalParam",
    "ContrarianVolumeSpikeStrategy",
    "EMABreakoutConservativeStrategy",
    "FloatParam",
    "IntParam",
    "ParamSpec",
    "RSIEMAMomentumStrategy",
    "RiskManagedStrategy",
    "StrategyInfo",
    "TrendFollowingADXEMAStrategy",
    "VolatilityBreakoutStrategy",
    "apply_params",
    "check_param",
    "clip01",
    "coerce_value",
    "describe_strategies",
    "format_strategy_table",
    "load_space_file",
    "parse_space",
    "resolve_strategy",
    "safe_div",
    "space_of",
    "space_to_dict",
    "strategy_params",
]
