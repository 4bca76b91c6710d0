"""Backtrader-centred research, optimisation and paper-trading framework for crypto perpetuals.

A strategy is a plain ``backtrader.Strategy``; backtests, studies and paper trading differ only
in which data feed and broker the Cerebro builder plugs in.
"""

__version__ = "0.1.0"
