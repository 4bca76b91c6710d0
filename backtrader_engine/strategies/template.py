"""The strategy file ``bte new-strategy NAME`` writes: a plain, commented ``bt.Strategy``."""

from __future__ import annotations

import keyword
import re

from backtrader_engine.errors import UserError

_TEMPLATE = '''"""{name}: describe the idea in one line (it is what `bte strategies` shows).

A plain backtrader strategy: the same class runs in `bte backtest`, in `python optimize.py`
and in `bte paper`; it never needs to know which. Try it:

    bte strategies {spec}
    bte backtest --strategy {spec}
    python optimize.py --strategy {spec} --n-jobs 2 --trials 50
"""

import backtrader as bt


class {name}(bt.Strategy):
    """Long when the fast EMA is above the slow one, short below; a stop on each position."""

    # Every param can be changed from the command line (--param fast=12) or from a
    # params file; the optimiser searches the ones listed in search_space.
    params = (
        ("fast", 12),            # fast EMA period, in bars
        ("slow", 48),            # slow EMA period, in bars
        ("stop_pct", 0.02),      # stop distance from the entry price (0.02 = 2%)
        ("allow_short", True),   # False: long only
        ("stake_pct", 0.95),     # share of the account's value a position takes
    )

    # What `python optimize.py` samples: int/float ranges (both ends inclusive, optional
    # "step" and "log") or a list of choices. Params not listed keep their value.
    search_space = {{
        "fast": {{"type": "int", "low": 5, "high": 30}},
        "slow": {{"type": "int", "low": 35, "high": 120, "step": 5}},
        "stop_pct": {{"type": "float", "low": 0.005, "high": 0.05, "log": True}},
        "allow_short": {{"type": "categorical", "choices": [True, False]}},
    }}

    def __init__(self):
        # Indicators are declared once here and computed by backtrader; read them in next()
        # with [0] (this bar) or [-1] (the bar before). Never read [1]: that is the future.
        self.cross = bt.ind.CrossOver(bt.ind.EMA(period=self.p.fast),
                                      bt.ind.EMA(period=self.p.slow))
        self.stop_order = None

    def next(self):
        if self.cross[0] > 0:
            self._enter(long=True)
        elif self.cross[0] < 0:
            if self.p.allow_short:
                self._enter(long=False)
            elif self.position:
                self._exit()

    def _enter(self, long):
        self._exit()  # a stop from the previous position must not close the new one
        # A size in coins (fractions allowed): stake_pct of the account's value at this close.
        # (order_target_percent would round to whole units, like stock backtrader.)
        price = self.data.close[0]
        size = self.broker.getvalue() * self.p.stake_pct / price
        self.order_target_size(target=size if long else -size)
        stop_price = price * (1 - self.p.stop_pct) if long else price * (1 + self.p.stop_pct)
        order = self.sell if long else self.buy
        self.stop_order = order(exectype=bt.Order.Stop, price=stop_price, size=size)

    def _exit(self):
        if self.stop_order is not None and self.stop_order.alive():
            self.cancel(self.stop_order)
        self.stop_order = None

    def notify_order(self, order):
        # Every order that is refused (margin, lot rules, the risk gate) or expires lands here
        # and is counted in the report; print it while you develop the strategy.
        if order.status in (order.Margin, order.Rejected):
            print(f"{{self.data.datetime.datetime(0)}} order {{order.getstatusname()}}")
'''


def check_class_name(name: str) -> str:
    """*name* when it can be a Python class name; a one-line :class:`UserError` otherwise."""
    if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) or keyword.iskeyword(name):
        raise UserError(f"new-strategy {name!r}: expected a class name in CamelCase, letters "
                        f"and digits only, e.g. EmaCross")
    return name


def file_name(name: str) -> str:
    """``EmaCrossStrategy`` -> ``ema_cross_strategy.py``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() + ".py"


def render_template(name: str, spec: str) -> str:
    """The template for class *name*, its examples naming the strategy as *spec*."""
    return _TEMPLATE.format(name=check_class_name(name), spec=spec)
