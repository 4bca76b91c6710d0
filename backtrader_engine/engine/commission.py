"""Perpetual-futures commission and margin model shared by the backtest and paper brokers.

Accounting is backtrader's futures-like mode (``stocklike=False``): opening a position locks
``notional / leverage`` of cash as initial margin, profit and loss flows into cash as the price
moves (backtrader's per-bar ``cashadjust``), and closing returns the margin. Fees are a fraction
of the traded notional: the taker rate for market and stop fills, the maker rate for limit orders
that rest and fill at their own price.

Margin is isolated per position: a position is liquidated when its margin plus unrealised profit
falls to the maintenance margin (``maintenance_margin_rate`` of its notional at that price).
"""

from __future__ import annotations

import backtrader as bt


def liquidation_price(size: float, entry_price: float, leverage: float, mmr: float) -> float:
    """Price at which an isolated position's equity equals its maintenance margin.

    Solves ``entry/L + sign*(P - entry) = mmr * P`` for ``P`` (per unit, fees ignored):
    long ``P = entry * (1 - 1/L) / (1 - mmr)``, short ``P = entry * (1 + 1/L) / (1 + mmr)``.
    A 1x long can never be liquidated (its liquidation price is 0).
    """
    if size > 0:
        return entry_price * (1.0 - 1.0 / leverage) / (1.0 - mmr)
    return entry_price * (1.0 + 1.0 / leverage) / (1.0 + mmr)


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

    def get_margin(self, price: float) -> float:
        return price * self.p.mult / self.p.leverage

    def get_leverage(self) -> float:
        # backtrader divides the operation cost by get_leverage() on top of get_margin(); the
        # margin above already carries the leverage, so the extra division must be neutral.
        return 1.0

    def getsize(self, price: float, cash: float) -> float:
        return cash / self.get_margin(price)

    def getvalue(self, position: bt.Position, price: float) -> float:
        # Cash is already marked to market every bar, so what the position adds to the account
        # value is the margin it locked at its entry price, not the margin at today's price.
        return abs(position.size) * self.get_margin(position.price)

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        # backtrader passes pseudoexec=True for real fills too, so the broker's flag decides.
        rate = self.p.maker_commission if self.maker_fill else self.p.commission
        return abs(size) * price * self.p.mult * rate

    def liquidation_price(self, size: float, entry_price: float) -> float:
        """Liquidation price of a position of *size* units opened at *entry_price*."""
        return liquidation_price(size, entry_price, self.p.leverage,
                                 self.p.maintenance_margin_rate)
