"""Perpetual-futures commission and margin model shared by the backtest and paper brokers.

Accounting (see :mod:`.accounting`) keeps backtrader's stock-like view of an account, so a plain
strategy sees the numbers stock backtrader would give it, with one perpetual-futures change:
every position, long or short, locks ``notional / leverage`` of cash as isolated initial margin.

* ``getcash()`` is the free balance: cash not locked as margin. Opening a position of notional
  ``N`` takes ``N / leverage`` (plus the fee) from it; closing returns that margin plus the
  realised profit. At 1x a long therefore moves cash exactly as stock backtrader does; a short
  posts margin instead of receiving the sale's proceeds.
* ``getvalue()`` is cash plus, for each position, its margin and its unrealised profit.
* ``getvalue(datas=[d])`` is the position's signed notional ``size * close``, the value
  backtrader's ``order_target_value`` and ``order_target_percent`` compare against their target.

Fees are a fraction of the traded notional: the taker rate for market and stop fills, the maker
rate for limit orders that rest and fill at their own price.

Margin is isolated per position: a position is liquidated when its margin plus unrealised profit
falls to the maintenance margin (``maintenance_margin_rate`` of its notional at that price).
"""

from __future__ import annotations

import backtrader as bt


def liquidation_price(size: float, entry_price: float, leverage: float, mmr: float,
                      margin: float | None = None) -> float:
    """Price at which an isolated position's equity equals its maintenance margin.

    With ``m`` the margin per unit (``entry / leverage`` unless *margin*, the position's whole
    margin, says otherwise), solves ``m + sign * (P - entry) = mmr * P`` for ``P`` (fees
    ignored): long ``P = (entry - m) / (1 - mmr)``, short ``P = (entry + m) / (1 + mmr)``.
    A long whose margin covers its whole entry price (1x) can never be liquidated: its
    liquidation price is 0 or below.
    """
    units = abs(size)
    per_unit = entry_price / leverage if margin is None or not units else margin / units
    if size > 0:
        return (entry_price - per_unit) / (1.0 - mmr)
    return (entry_price + per_unit) / (1.0 + mmr)


class PerpCommInfo(bt.CommInfoBase):
    """Linear USDT-margined perpetual: fees on notional, initial margin = notional / leverage.

    Parameters
    ----------
    commission : float
        Taker fee as a fraction of notional (Bybit linear default 0.00055).
    maker_commission : float
        Maker fee as a fraction of notional (Bybit default 0.0002; negative means a rebate).
    leverage : float
        Leverage of new positions; the initial margin per unit is ``price / leverage``.
    maintenance_margin_rate : float
        Fraction of notional below which an isolated position is liquidated.
    """

    params = (
        ("commission", 0.00055),
        ("maker_commission", 0.0002),
        ("leverage", 1.0),
        ("maintenance_margin_rate", 0.005),
        ("stocklike", False),
        ("commtype", bt.CommInfoBase.COMM_PERC),
        ("percabs", True),
    )

    def __init__(self) -> None:
        super().__init__()
        if self.p.leverage <= 0:
            raise ValueError(f"leverage must be positive, got {self.p.leverage}")
        # Set by the broker around each real fill; margin checks at order submission leave it
        # off, so they are priced conservatively as taker fills.
        self.maker_fill = False
        #: Set by the broker around a liquidation: the most its fee may take, which is what
        #: the position has left, so the fee cannot leave the account below zero.
        self.fee_cap: float | None = None
        #: ``order_target_value``/``order_target_percent`` calls from a flat position that
        #: asked for less than one whole unit: they place no order at all, which backtrader
        #: does silently; the report says how often. (A remainder below one unit while a
        #: position is held is the usual rounding of a re-targeted position, not counted.)
        self.sized_to_zero = 0
        # Set by the broker when a strategy reads the value of a flat position, which is what
        # ``order_target_value`` does right before it asks ``getsize`` for a size.
        self.valued_flat = False

    def get_margin(self, price: float) -> float:
        """Initial margin of one unit at *price*."""
        return price * self.p.mult / self.p.leverage

    def get_leverage(self) -> float:
        return self.p.leverage

    def getsize(self, price: float, cash: float) -> int:
        """Whole units whose notional fits in *cash* at *price*.

        This is what ``order_target_value`` and ``order_target_percent`` turn a value
        difference into. Stock backtrader rounds down to whole units, and so does this, so
        those calls give stock backtrader's sizes. Stock backtrader also multiplies by the
        leverage, which makes a target value overshoot and then trade back on the next call;
        here a target is a notional at any leverage (the margin it needs is notional/leverage).
        """
        units = int(cash // (price * self.p.mult))
        if units == 0 and cash > 0.0 and self.valued_flat:
            self.sized_to_zero += 1
        self.valued_flat = False
        return units

    def getoperationcost(self, size: float, price: float) -> float:
        """Cash an opening trade of *size* units locks: its initial margin."""
        return abs(size) * self.get_margin(price)

    def getvaluesize(self, size: float, price: float) -> float:
        """Signed notional of *size* units (negative for a short), as stock-like backtrader."""
        return size * price * self.p.mult

    def getvalue(self, position: bt.Position, price: float) -> float:
        """Signed notional of *position* at *price*."""
        return position.size * price * self.p.mult

    def position_figures(self, size: float, entry: float, close: float,
                         ) -> tuple[float, float, float]:
        """(signed notional, equity, unrealised PnL) of *size* units entered at *entry* and
        marked at *close*: ``getvaluesize``, ``getoperationcost + profitandloss`` and
        ``profitandloss`` in one call, with the same arithmetic (the broker needs all three
        for every open position on every bar)."""
        mult = self.p.mult
        unrealized = size * (close - entry) * mult
        return (size * close * mult, abs(size) * (entry * mult / self.p.leverage) + unrealized,
                unrealized)

    def cashadjust(self, size: float, price: float, newprice: float) -> float:
        # Cash is never marked to market: unrealised profit is part of the position's value
        # until it is realised, as in stock backtrader.
        return 0.0

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        # backtrader passes pseudoexec=True for real fills too, so the broker's flag decides.
        rate = self.p.maker_commission if self.maker_fill else self.p.commission
        fee = abs(size) * price * self.p.mult * rate
        return fee if self.fee_cap is None else min(fee, self.fee_cap)

    def liquidation_price(self, size: float, entry_price: float,
                          margin: float | None = None) -> float:
        """Liquidation price of a position of *size* units opened at *entry_price*.

        *margin* is the position's whole isolated margin when it is not the initial
        ``notional / leverage`` (a funding shortfall drawn from it).
        """
        return liquidation_price(size, entry_price, self.p.leverage,
                                 self.p.maintenance_margin_rate, margin)
