"""The venue's lot rules, applied to orders as a broker accepts them (backtest and paper alike).

Bybit refuses an order whose quantity is not a multiple of the contract's ``qtyStep``, is
below ``minOrderQty``, or is worth less than ``minNotionalValue``. A strategy sized in
fractions (2% of equity, a volatility target) produces such quantities all the time, so the
broker does what an order router must: it rounds the quantity toward zero to the step
(never trading more than asked) and refuses the order, with the venue's reason, when what is
left is too small. An order that only reduces the position is exempt from the two minimums,
so a position can always be closed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

#: ``info['reject_reason']`` of an order below the venue's minimum quantity or value.
BELOW_MIN_QTY = "venue_min_qty"
BELOW_MIN_NOTIONAL = "venue_min_notional"


@dataclass(frozen=True)
class LotRules:
    """``lotSizeFilter`` of one contract: quantity step, minimum quantity and value."""

    qty_step: float
    min_qty: float
    min_notional: float = 0.0

    def __post_init__(self) -> None:
        if not self.qty_step > 0 or self.min_qty < 0 or self.min_notional < 0:
            raise ValueError(f"lot rules {self}: qty_step must be > 0, minimums >= 0")

    @classmethod
    def of(cls, instrument: Any) -> LotRules:
        """The rules of an :class:`~backtrader_engine.exchanges.bybit.venue.Instrument`."""
        return cls(instrument.qty_step, instrument.min_qty, instrument.min_notional)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LotRules:
        """Inverse of :meth:`as_dict` (e.g. read back from a paper ledger)."""
        return cls(float(data["qty_step"]), float(data["min_qty"]),
                   float(data.get("min_notional", 0.0)))

    def as_dict(self) -> dict[str, float]:
        """JSON-ready fields."""
        return asdict(self)

    def round(self, size: float) -> float:
        """*size* rounded toward zero to a multiple of the step (sign kept)."""
        step = Decimal(str(self.qty_step))
        steps = (Decimal(str(abs(size))) / step).to_integral_value(rounding=ROUND_FLOOR)
        rounded = float(steps * step)
        return rounded if size >= 0 else -rounded

    def fit(self, size: float, price: float, position: float) -> tuple[float, str | None, str]:
        """``(rounded size, reject reason or None, message)`` for an order of *size* (signed)
        at reference *price* while holding *position*."""
        rounded = self.round(size)
        reduces = position * size < 0 and abs(size) <= abs(position) + 1e-12
        if reduces and rounded == 0 and abs(size) == abs(position):
            rounded = size  # closing a whole position smaller than a step stays possible
        quantity = abs(rounded)
        if reduces and quantity > 0:
            return rounded, None, ""
        if quantity == 0 or quantity < self.min_qty:
            return rounded, BELOW_MIN_QTY, (
                f"quantity {abs(size):.10g} is {quantity:.10g} on the venue's step of "
                f"{self.qty_step:g}, below its minimum order quantity {self.min_qty:g}")
        if price > 0 and quantity * price < self.min_notional:
            return rounded, BELOW_MIN_NOTIONAL, (
                f"order value {quantity * price:.6g} is below the venue's minimum "
                f"{self.min_notional:g}")
        return rounded, None, ""
