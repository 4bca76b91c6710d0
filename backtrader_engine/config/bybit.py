"""Exchange settings: ``configs/bybit_config.json`` → :class:`BybitConfig`."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from backtrader_engine.config.base import ConfigModel, Rule, RuleViolation
from backtrader_engine.config.fieldtypes import HttpsUrl, SymbolList, WssUrl, check_unique

MAINNET_REST_URL = "https://api.bybit.com"
TESTNET_REST_URL = "https://api-testnet.bybit.com"
MAINNET_WS_PUBLIC_URL = "wss://stream.bybit.com/v5/public/linear"
TESTNET_WS_PUBLIC_URL = "wss://stream-testnet.bybit.com/v5/public/linear"

#: Kline interval names accepted by the Bybit V5 API (minutes, then day/week/month).
BYBIT_INTERVALS: tuple[str, ...] = (
    "1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M",
)
KlineInterval = Literal["1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"]
DEFAULT_KLINE_INTERVALS: tuple[KlineInterval, ...] = ("1", "5", "15", "60", "240")


class FeesConfig(ConfigModel):
    """Trading fees as fractions of traded notional (0.00055 = 0.055 %)."""

    taker: float = Field(
        0.00055, ge=0, lt=0.01,
        description="Fee charged on orders that take liquidity, as a fraction of notional "
                    "(0.00055 = 0.055 %, Bybit's base linear-perpetual rate).",
    )
    maker: float = Field(
        0.0002, ge=-0.001, lt=0.01,
        description="Fee charged on orders that add liquidity, as a fraction of notional "
                    "(0.0002 = 0.02 %). Negative means a rebate, at most 0.1 %.",
    )


def _rule_maker_not_above_taker(cfg: BybitConfig) -> RuleViolation | None:
    """Maker fees above taker fees would make the backtest favour market orders wrongly."""
    if cfg.fees.maker <= cfg.fees.taker:
        return None
    return RuleViolation(
        "fees.maker", cfg.fees.maker,
        f"must not exceed 'fees.taker' ({cfg.fees.taker:g})",
        "Bybit never charges makers more than takers; lower 'fees.maker' or raise 'fees.taker'",
    )


def _rule_symbols_match_category(cfg: BybitConfig) -> RuleViolation | None:
    """Linear perpetuals are USDT-margined, so every symbol must be quoted in USDT."""
    for index, symbol in enumerate(cfg.symbols):
        if cfg.category == "linear" and (not symbol.endswith("USDT") or symbol == "USDT"):
            return RuleViolation(
                f"symbols[{index}]", symbol,
                "is not a USDT-margined contract, but 'category' is \"linear\"",
                "use the USDT perpetual, e.g. 'ETHUSDT' (USDC and inverse contracts are not "
                "supported)",
            )
    return None


def _is_testnet_host(url: str) -> bool:
    """Bybit's testnet hosts all carry ``testnet`` in their name."""
    return "testnet" in (urlsplit(url).hostname or "")


def _rule_testnet_matches_urls(cfg: BybitConfig) -> RuleViolation | None:
    """A testnet flag pointing at mainnet URLs would paper-trade against live endpoints."""
    pairs = (
        ("rest_base_url", cfg.rest_base_url, TESTNET_REST_URL, MAINNET_REST_URL),
        ("ws_public_url", cfg.ws_public_url, TESTNET_WS_PUBLIC_URL, MAINNET_WS_PUBLIC_URL),
    )
    for name, url, testnet_url, mainnet_url in pairs:
        if cfg.testnet and not _is_testnet_host(url):
            return RuleViolation(
                "testnet", True,
                f"conflicts with '{name}' = \"{url}\", which is a mainnet host",
                f"set '{name}' to \"{testnet_url}\" or set 'testnet' to false",
            )
        if not cfg.testnet and _is_testnet_host(url):
            return RuleViolation(
                "testnet", False,
                f"conflicts with '{name}' = \"{url}\", which is a testnet host",
                f"set 'testnet' to true or set '{name}' to \"{mainnet_url}\"",
            )
    return None


def _rule_ws_url_matches_category(cfg: BybitConfig) -> RuleViolation | None:
    """Bybit serves each category's public stream on its own path."""
    expected = f"/v5/public/{cfg.category}"
    if urlsplit(cfg.ws_public_url).path.rstrip("/") == expected:
        return None
    return RuleViolation(
        "ws_public_url", cfg.ws_public_url,
        f"does not serve the '{cfg.category}' category",
        f"use a URL ending in '{expected}', e.g. \"{MAINNET_WS_PUBLIC_URL}\"",
    )


def _rule_leverage_above_maintenance(cfg: BybitConfig) -> RuleViolation | None:
    """Initial margin (1 / leverage) at or below maintenance margin means instant liquidation."""
    initial_margin = 1.0 / cfg.default_leverage
    if initial_margin > cfg.maintenance_margin_rate:
        return None
    return RuleViolation(
        "default_leverage", cfg.default_leverage,
        f"gives an initial margin of {initial_margin:.2%}, not above "
        f"'maintenance_margin_rate' ({cfg.maintenance_margin_rate:.2%}), so every position "
        "would open already liquidatable",
        f"lower 'default_leverage' below {1.0 / cfg.maintenance_margin_rate:g} or lower "
        "'maintenance_margin_rate'",
    )


BYBIT_RULES: tuple[Rule, ...] = (
    _rule_maker_not_above_taker,
    _rule_symbols_match_category,
    _rule_testnet_matches_urls,
    _rule_ws_url_matches_category,
    _rule_leverage_above_maintenance,
)


class BybitConfig(ConfigModel):
    """Exchange connection, instruments and contract economics for Bybit V5."""

    rules: ClassVar[tuple[Rule, ...]] = BYBIT_RULES
    default_filename: ClassVar[str] = "bybit_config.json"

    symbols: SymbolList = Field(
        default_factory=lambda: ["ETHUSDT", "BTCUSDT", "SOLUSDT"],
        description="Instruments to trade and collect data for, in Bybit spelling "
                    "(upper-case, e.g. 'ETHUSDT'). Linear contracts must end in USDT.",
    )
    category: Literal["linear"] = Field(
        "linear",
        description="Bybit product category. Only 'linear' (USDT-margined perpetuals) is "
                    "supported: fees, margin and PnL are modelled in USDT; inverse contracts "
                    "settle in coin and spot has no leverage or funding.",
    )
    testnet: bool = Field(
        False,
        description="Use Bybit's testnet. Must agree with 'rest_base_url' and 'ws_public_url'.",
    )
    fees: FeesConfig = Field(
        default_factory=FeesConfig,
        description="Trading fees as fractions of notional.",
    )
    default_leverage: float = Field(
        1.0, ge=1, le=100,
        description="Leverage applied to new positions (1-100). Capped by the risk "
                    "config's 'max_leverage'.",
    )
    maintenance_margin_rate: float = Field(
        0.005, gt=0, lt=0.5,
        description="Maintenance margin as a fraction of position notional (0.005 = 0.5 %, "
                    "Bybit's first risk tier); used to estimate liquidation prices.",
    )
    funding_interval_hours: Literal[1, 2, 4, 8] = Field(
        8,
        description="Hours between funding payments (Bybit uses 8 for most perpetuals, "
                    "1, 2 or 4 for some).",
    )
    rest_base_url: HttpsUrl = Field(
        MAINNET_REST_URL,
        description=f"Bybit REST endpoint. Mainnet {MAINNET_REST_URL}, "
                    f"testnet {TESTNET_REST_URL}.",
    )
    ws_public_url: WssUrl = Field(
        MAINNET_WS_PUBLIC_URL,
        description=f"Bybit public WebSocket stream for the category. Mainnet "
                    f"{MAINNET_WS_PUBLIC_URL}, testnet {TESTNET_WS_PUBLIC_URL}.",
    )
    kline_intervals: Annotated[
        list[KlineInterval], Field(min_length=1), AfterValidator(check_unique)
    ] = Field(
        default_factory=lambda: list(DEFAULT_KLINE_INTERVALS),
        description="Kline intervals to collect, in Bybit V5 names: minutes "
                    "(1, 3, 5, 15, 30, 60, 120, 240, 360, 720) or D, W, M.",
    )
