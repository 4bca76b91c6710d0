"""Signal filtering, position sizing and circuit breakers: ``configs/risk_config.json``."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from backtrader_engine.config.base import ConfigModel, Rule, RuleViolation

#: How a tripped circuit breaker re-arms; see docs/risk.md#circuit-breakers.
BreakerMode = Literal["cooldown", "daily", "halt"]


def _rule_strategy_cap_within_overall_cap(cfg: RiskConfig) -> RuleViolation | None:
    """A per-strategy cap above the overall cap could never be reached and hints at a typo."""
    if cfg.max_signals_per_hour_per_strategy <= cfg.max_signals_per_hour:
        return None
    return RuleViolation(
        "max_signals_per_hour_per_strategy", cfg.max_signals_per_hour_per_strategy,
        f"must not exceed 'max_signals_per_hour' ({cfg.max_signals_per_hour})",
        "lower it or raise the overall cap",
    )


def _rule_daily_loss_within_drawdown(cfg: RiskConfig) -> RuleViolation | None:
    """The daily breaker is the finer guard; above the drawdown breaker it would never fire."""
    if cfg.daily_loss_limit_pct <= cfg.max_drawdown_pct:
        return None
    return RuleViolation(
        "daily_loss_limit_pct", cfg.daily_loss_limit_pct,
        f"must not exceed 'max_drawdown_pct' ({cfg.max_drawdown_pct:g})",
        "lower the daily loss limit or raise the drawdown limit",
    )


def _rule_trade_risk_within_daily_loss(cfg: RiskConfig) -> RuleViolation | None:
    """One stopped-out trade should not by itself trip the daily circuit breaker."""
    if cfg.risk_per_trade_pct <= cfg.daily_loss_limit_pct:
        return None
    return RuleViolation(
        "risk_per_trade_pct", cfg.risk_per_trade_pct,
        f"must not exceed 'daily_loss_limit_pct' ({cfg.daily_loss_limit_pct:g})",
        "risk less per trade or raise the daily loss limit",
    )


def _rule_spacing_allows_strategy_cap(cfg: RiskConfig) -> RuleViolation | None:
    """Spacing so wide that the per-strategy hourly cap can never be reached hints at a typo."""
    needed = cfg.min_seconds_between_signals * (cfg.max_signals_per_hour_per_strategy - 1)
    if needed < 3600:
        return None
    return RuleViolation(
        "min_seconds_between_signals", cfg.min_seconds_between_signals,
        f"leaves room for fewer than 'max_signals_per_hour_per_strategy' "
        f"({cfg.max_signals_per_hour_per_strategy}) signals in an hour",
        "lower the spacing or the per-strategy cap",
    )


def _rule_breaker_volatility_above_filter(cfg: RiskConfig) -> RuleViolation | None:
    """The breaker is the coarse guard; below the filter it would trip before the filter acts."""
    if cfg.breaker_volatility_pct >= cfg.volatility_filter_pct:
        return None
    return RuleViolation(
        "breaker_volatility_pct", cfg.breaker_volatility_pct,
        f"must be at least 'volatility_filter_pct' ({cfg.volatility_filter_pct:g})",
        "raise the breaker level or lower the filter level",
    )


def _rule_cooldown_only_in_cooldown_mode(cfg: RiskConfig) -> RuleViolation | None:
    """A cool-down on a 'daily' or 'halt' breaker would be ignored, which hints at a slip."""
    for name in BREAKER_FIELDS:
        breaker: BreakerConfig = getattr(cfg.breakers, name)
        if breaker.mode != "cooldown" and breaker.cooldown_seconds is not None:
            return RuleViolation(
                f"breakers.{name}.cooldown_seconds", breaker.cooldown_seconds,
                f"applies only to mode 'cooldown', and this breaker's mode is "
                f"'{breaker.mode}'",
                "remove it or set the mode to 'cooldown'",
            )
    return None


RISK_RULES: tuple[Rule, ...] = (
    _rule_strategy_cap_within_overall_cap,
    _rule_daily_loss_within_drawdown,
    _rule_trade_risk_within_daily_loss,
    _rule_spacing_allows_strategy_cap,
    _rule_breaker_volatility_above_filter,
    _rule_cooldown_only_in_cooldown_mode,
)


class BreakerConfig(ConfigModel):
    """How one circuit breaker re-arms after it tripped."""

    mode: BreakerMode = Field(
        description="'cooldown': entries resume after 'cooldown_seconds' of market time; "
                    "'daily': at the next 00:00 UTC of market time; 'halt': only when an "
                    "operator resumes trading (/start_trading, bte bot resume-entries, the "
                    "panel). The breaker then re-arms against a fresh baseline (the drawdown "
                    "breaker's peak becomes the equity at re-arm).",
    )
    cooldown_seconds: float | None = Field(
        None, ge=0,
        description="Mode 'cooldown' only: market-time seconds the breaker stays open after "
                    "a trip (0 records trips without blocking); null or absent: "
                    "'breaker_cooldown_seconds'.",
    )


class BreakersConfig(ConfigModel):
    """Re-arm semantics of each circuit breaker; a breaker left out keeps its default."""

    drawdown: BreakerConfig = Field(
        default_factory=lambda: BreakerConfig(mode="cooldown", cooldown_seconds=86400.0),
        description="Drawdown breaker ('max_drawdown_pct'). Default: cooldown of one day, "
                    "then a fresh peak.",
    )
    volatility: BreakerConfig = Field(
        default_factory=lambda: BreakerConfig(mode="cooldown"),
        description="Volatility breaker ('breaker_volatility_pct'). Default: cooldown of "
                    "'breaker_cooldown_seconds'.",
    )
    latency: BreakerConfig = Field(
        default_factory=lambda: BreakerConfig(mode="cooldown"),
        description="Latency breaker ('max_latency_ms'). Default: cooldown of "
                    "'breaker_cooldown_seconds'.",
    )
    spread: BreakerConfig = Field(
        default_factory=lambda: BreakerConfig(mode="cooldown"),
        description="Spread breaker ('max_spread_pct'). Default: cooldown of "
                    "'breaker_cooldown_seconds'.",
    )
    error_rate: BreakerConfig = Field(
        default_factory=lambda: BreakerConfig(mode="halt"),
        description="Error-rate breaker ('max_errors_per_minute'). Default: halt until an "
                    "operator resumes.",
    )


#: The breakers of :class:`BreakersConfig`, in the gate's order.
BREAKER_FIELDS: tuple[str, ...] = ("drawdown", "volatility", "latency", "spread", "error_rate")


class RiskConfig(ConfigModel):
    """Which signals are acted on, how large positions are, and when trading stops."""

    rules: ClassVar[tuple[Rule, ...]] = RISK_RULES
    default_filename: ClassVar[str] = "risk_config.json"

    min_confidence: float = Field(
        0.60, ge=0, le=1,
        description="Entry signals whose strategy confidence (0-1, order.info['confidence'], "
                    "1.0 when absent) is below this are refused.",
    )
    min_seconds_between_signals: float = Field(
        30, ge=0,
        description="Minimum market-time seconds between two signals of the same strategy "
                    "that pass the gate; a signal sooner than that is refused.",
    )
    max_signals_per_hour: int = Field(
        15, ge=1,
        description="Most signals passing the gate per rolling hour of market time, across "
                    "all strategies.",
    )
    max_signals_per_hour_per_strategy: int = Field(
        3, ge=1,
        description="Most signals acted on per rolling hour for any one strategy; at most "
                    "'max_signals_per_hour'.",
    )
    volatility_filter_pct: float = Field(
        5.0, gt=0, le=100,
        description="Signals are refused while the volatility of their symbol exceeds this: "
                    "(highest high - lowest low) / last close, in percent, over the bars of the "
                    "last 'volatility_window_seconds' of market time.",
    )
    volatility_window_seconds: float = Field(
        3600.0, gt=0, le=86400,
        description="Market-time window (seconds) over which the volatility filter and the "
                    "volatility circuit breaker measure the price range.",
    )
    risk_per_trade_pct: float = Field(
        1.0, gt=0, le=10,
        description="Percent of equity lost if a trade hits its stop; sets position size. "
                    "At most 'daily_loss_limit_pct'.",
    )
    max_leverage: float = Field(
        5.0, ge=1, le=100,
        description="Highest leverage any position may use; caps the Bybit "
                    "'default_leverage'.",
    )
    max_open_positions: int = Field(
        3, ge=1,
        description="Most positions open at once across all symbols and strategies.",
    )
    max_position_notional_usdt: float = Field(
        20000.0, gt=0,
        description="Largest notional (quantity x price, USDT) of a single position, judged "
                    "on the position an entry would leave at the current price.",
    )
    daily_loss_limit_pct: float = Field(
        3.0, gt=0, le=100,
        description="Circuit breaker: stop opening positions for the rest of the UTC day once "
                    "the day's loss reaches this percent of start-of-day equity.",
    )
    max_drawdown_pct: float = Field(
        10.0, gt=0, le=100,
        description="Circuit breaker: stop opening positions once equity falls this percent "
                    "below its peak (the peak since the start or since the breaker last "
                    "re-armed; see 'breakers.drawdown'). At least 'daily_loss_limit_pct'.",
    )
    breaker_cooldown_seconds: float = Field(
        900.0, ge=0,
        description="Market-time seconds a tripped circuit breaker in mode 'cooldown' stays "
                    "open (no new entries) before it re-arms, unless it sets its own "
                    "'cooldown_seconds'.",
    )
    breakers: BreakersConfig = Field(
        default_factory=BreakersConfig,
        description="Per circuit breaker: its mode ('cooldown', 'daily' or 'halt') and "
                    "cool-down.",
    )
    max_latency_ms: float = Field(
        2000.0, gt=0,
        description="Circuit breaker: trips when an observed exchange round trip or message "
                    "delay exceeds this many milliseconds (never in backtests).",
    )
    max_spread_pct: float = Field(
        0.5, gt=0, le=100,
        description="Circuit breaker: trips when an observed bid-ask spread exceeds this "
                    "percent of the mid price (never in backtests).",
    )
    breaker_volatility_pct: float = Field(
        10.0, gt=0, le=100,
        description="Circuit breaker: trips when a symbol's volatility (as for "
                    "'volatility_filter_pct') exceeds this percent. At least "
                    "'volatility_filter_pct'.",
    )
    max_errors_per_minute: int = Field(
        10, ge=1,
        description="Circuit breaker: trips when more than this many exchange or API errors "
                    "are observed within one minute of market time.",
    )
    initial_cash: float = Field(
        10000.0, gt=0,
        description="Starting equity in USDT for backtests and paper trading.",
    )

    def breaker_mode(self, name: str) -> str:
        """Mode of breaker *name*: ``cooldown``, ``daily`` or ``halt``."""
        breaker: BreakerConfig = getattr(self.breakers, name)
        return breaker.mode

    def breaker_cooldown(self, name: str) -> float:
        """Cool-down of breaker *name* in seconds (its own, else 'breaker_cooldown_seconds')."""
        breaker: BreakerConfig = getattr(self.breakers, name)
        own = breaker.cooldown_seconds
        return float(own) if own is not None else float(self.breaker_cooldown_seconds)
