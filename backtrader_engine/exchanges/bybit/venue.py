"""Venue facts of Bybit linear contracts as data: tick size, lot step, limits, funding interval.

An :class:`Instrument` is parsed from one item of ``/v5/market/instruments-info``. Prices and
quantities are handled as :class:`decimal.Decimal` internally because tick sizes such as
``0.10`` are not exact in binary floating point, and an order rejected for a price one
ulp off the tick is a real failure mode.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from backtrader_engine.errors import DataError

CATEGORY = "linear"


class InstrumentsClient(Protocol):
    """The part of pybit's ``HTTP`` session used to refresh instruments."""

    def get_instruments_info(self, **kwargs: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Instrument:
    """Trading rules of one contract.

    Attributes
    ----------
    symbol, category : str
        ``"BTCUSDT"``, ``"linear"``.
    tick_size, qty_step, min_qty, min_notional, max_leverage : float
        ``priceFilter.tickSize``, ``lotSizeFilter.qtyStep/minOrderQty/minNotionalValue`` and
        ``leverageFilter.maxLeverage``.
    funding_interval_minutes : int
        ``fundingInterval`` (480 for the usual 8 h).
    launch_time : int or None
        ``launchTime`` in ms since the epoch, when known.
    """

    symbol: str
    category: str
    tick_size: float
    qty_step: float
    min_qty: float
    min_notional: float
    max_leverage: float
    funding_interval_minutes: int
    launch_time: int | None = None

    def round_price(self, price: float) -> float:
        """Round *price* to the nearest multiple of the tick size."""
        tick = Decimal(str(self.tick_size))
        steps = (Decimal(str(price)) / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return float(steps * tick)

    def round_qty(self, qty: float) -> float:
        """Round *qty* down to a multiple of the quantity step (never order more than asked)."""
        step = Decimal(str(self.qty_step))
        steps = (Decimal(str(qty)) / step).to_integral_value(rounding=ROUND_FLOOR)
        return float(steps * step)

    def validate_order(self, qty: float, price: float) -> str | None:
        """Return why Bybit would reject an order of *qty* at *price*, or ``None`` if valid."""
        if qty <= 0 or price <= 0:
            return f"{self.symbol}: quantity and price must be positive (got {qty} @ {price})"
        if Decimal(str(qty)) % Decimal(str(self.qty_step)) != 0:
            return f"{self.symbol}: quantity {qty} is not a multiple of the step {self.qty_step}"
        if Decimal(str(price)) % Decimal(str(self.tick_size)) != 0:
            return f"{self.symbol}: price {price} is not a multiple of the tick {self.tick_size}"
        if qty < self.min_qty:
            return f"{self.symbol}: quantity {qty} is below the minimum {self.min_qty}"
        if qty * price < self.min_notional:
            return (f"{self.symbol}: order value {qty * price:.8g} USDT is below the minimum "
                    f"{self.min_notional}")
        return None


# Offline defaults so a backtest or paper session works without network access. They follow
# Bybit's published contract specs and must be refreshed from instruments-info before trading.
DEFAULT_INSTRUMENTS: dict[str, Instrument] = {
    "BTCUSDT": Instrument("BTCUSDT", CATEGORY, 0.1, 0.001, 0.001, 5.0, 100.0, 480),
    "ETHUSDT": Instrument("ETHUSDT", CATEGORY, 0.01, 0.01, 0.01, 5.0, 100.0, 480),
    "SOLUSDT": Instrument("SOLUSDT", CATEGORY, 0.01, 0.1, 0.1, 5.0, 100.0, 480),
}


def _field(item: Mapping[str, Any], path: str, symbol: str) -> Any:
    value: Any = item
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            raise DataError(f"instruments-info item '{symbol}': missing field '{path}'")
        value = value[key]
    return value


def _number(item: Mapping[str, Any], path: str, symbol: str, *, positive: bool = True) -> float:
    raw = _field(item, path, symbol)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise DataError(
            f"instruments-info item '{symbol}': field '{path}' is {raw!r}; expected a number"
        ) from None
    if not value.is_finite() or (positive and value <= 0):
        raise DataError(
            f"instruments-info item '{symbol}': field '{path}' is {raw!r}; expected a number > 0"
        )
    return float(value)


def parse_instrument(item: Mapping[str, Any], category: str = CATEGORY) -> Instrument:
    """Build an :class:`Instrument` from one ``result.list`` item of instruments-info.

    Raises
    ------
    DataError
        If a field is missing or not a positive number; the message names the field.
    """
    if not isinstance(item, Mapping):
        raise DataError(f"instruments-info item is {type(item).__name__}; expected an object")
    symbol = item.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise DataError("instruments-info item: missing field 'symbol'")
    launch = item.get("launchTime")
    return Instrument(
        symbol=symbol,
        category=str(item.get("category") or category),
        tick_size=_number(item, "priceFilter.tickSize", symbol),
        qty_step=_number(item, "lotSizeFilter.qtyStep", symbol),
        min_qty=_number(item, "lotSizeFilter.minOrderQty", symbol),
        min_notional=_number(item, "lotSizeFilter.minNotionalValue", symbol, positive=False),
        max_leverage=_number(item, "leverageFilter.maxLeverage", symbol),
        funding_interval_minutes=int(_number(item, "fundingInterval", symbol)),
        launch_time=int(launch) if launch not in (None, "") else None,
    )


def to_item(inst: Instrument) -> dict[str, Any]:
    """The instruments-info item shape of *inst* (as Bybit sends it: numbers as strings)."""
    item: dict[str, Any] = {
        "symbol": inst.symbol,
        "contractType": "LinearPerpetual",
        "status": "Trading",
        "category": inst.category,
        "priceFilter": {"tickSize": f"{inst.tick_size:g}"},
        "lotSizeFilter": {"qtyStep": f"{inst.qty_step:g}", "minOrderQty": f"{inst.min_qty:g}",
                          "minNotionalValue": f"{inst.min_notional:g}"},
        "leverageFilter": {"maxLeverage": f"{inst.max_leverage:g}", "minLeverage": "1"},
        "fundingInterval": inst.funding_interval_minutes,
    }
    if inst.launch_time is not None:
        item["launchTime"] = str(inst.launch_time)
    return item


def save_instruments(instruments: Iterable[Instrument], cache: str | Path) -> Path:
    """Write *instruments* to the JSON cache atomically (temporary file, then rename)."""
    path = Path(cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {i.symbol: asdict(i) for i in instruments}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _read_cache(path: Path) -> dict[str, Instrument]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        return {sym: Instrument(**fields) for sym, fields in payload.items()}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise DataError(
            f"{path}: unreadable instruments cache ({exc}); delete it to refresh"
        ) from None


def fetch_instruments(client: InstrumentsClient, category: str = CATEGORY) -> list[Instrument]:
    """Every instrument of *category*, following ``nextPageCursor`` across pages."""
    found: list[Instrument] = []
    cursor = ""
    while True:
        kwargs: dict[str, Any] = {"category": category, "limit": 1000}
        if cursor:
            kwargs["cursor"] = cursor
        result = client.get_instruments_info(**kwargs).get("result") or {}
        found.extend(parse_instrument(item, category) for item in result.get("list") or [])
        cursor = result.get("nextPageCursor") or ""
        if not cursor:
            return found


def load_instruments(
    cache: str | Path, client: InstrumentsClient | None = None
) -> dict[str, Instrument]:
    """Instruments by symbol: refreshed through *client* if given, else cached, else defaults.

    With a *client* the full list is fetched and written to *cache*. Without one, the cache is
    read when it exists; otherwise :data:`DEFAULT_INSTRUMENTS` is returned (offline values
    that should be refreshed before trading real money).
    """
    path = Path(cache)
    if client is not None:
        fetched = fetch_instruments(client)
        save_instruments(fetched, path)
        return {i.symbol: i for i in fetched}
    if path.exists():
        return _read_cache(path)
    return dict(DEFAULT_INSTRUMENTS)
