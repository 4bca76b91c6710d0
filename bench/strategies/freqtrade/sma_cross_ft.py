# The freqtrade side of bench/vs_freqtrade.py (`--strategy SmaCrossLongFt --strategy-path
# bench/strategies/freqtrade`); its backtrader twin is bench/strategies/sma_cross_bt.py. It runs
# in the bench's freqtrade virtualenv, never in the package's.
import numpy as np
import talib.abstract as ta
from freqtrade.strategy import IntParameter, IStrategy
from pandas import DataFrame, Series


def bt_crossover(fast: Series, slow: Series) -> Series:
    """+1 / -1 / 0 exactly as backtrader's CrossOver: a cross needs the last non-zero difference
    before this candle on the other side (qtpylib's crossed_above also fires after a tie that
    follows a candle already above, which backtrader does not)."""
    diff = fast - slow
    before = diff.where(diff != 0).ffill().shift(1)
    up = (before < 0) & (diff > 0)
    down = (before > 0) & (diff < 0)
    return Series(np.where(up, 1, np.where(down, -1, 0)), index=fast.index)


class SmaCrossLongFt(IStrategy):
    """Long-only SMA cross: enter when the fast SMA crosses above the slow one, exit when it
    crosses below. ROI, stoploss and trailing are switched off so only the signals trade."""

    INTERFACE_VERSION = 3
    timeframe = "1m"
    can_short = False
    minimal_roi = {"0": 100.0}
    stoploss = -0.99
    trailing_stop = False
    use_exit_signal = True
    exit_profit_only = False
    ignore_roi_if_entry_signal = False
    process_only_new_candles = True
    # backtrader's first CrossOver value is at bar `slow` (0-based) with the default slow=30;
    # freqtrade trims this many candles and then acts on the next candle's signal, which is
    # the same bar. Kept at 30 during hyperopt too: a longer slow SMA is NaN there, and NaN
    # compares false, so neither tool trades before its slow SMA exists.
    startup_candle_count = 30

    fast = IntParameter(5, 20, default=10, space="buy")
    slow = IntParameter(25, 60, default=30, space="buy")

    class HyperOpt:
        # The same sampler as `optimize.py` (Optuna TPE); freqtrade's default is NSGA-III.
        def generate_estimator(dimensions, **kwargs):  # called on the class, without self
            return "TPESampler"

    def populate_indicators(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        # In hyperopt `.range` is every value of the parameter, computed once for all epochs
        # (freqtrade's documented pattern); in a backtest it is the one value in use.
        for period in set(self.fast.range) | set(self.slow.range):
            dataframe[f"sma_{period}"] = ta.SMA(dataframe, timeperiod=period)
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        cross = bt_crossover(dataframe[f"sma_{self.fast.value}"],
                             dataframe[f"sma_{self.slow.value}"])
        dataframe.loc[cross > 0, "enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict) -> DataFrame:
        cross = bt_crossover(dataframe[f"sma_{self.fast.value}"],
                             dataframe[f"sma_{self.slow.value}"])
        dataframe.loc[cross < 0, "exit_long"] = 1
        return dataframe
