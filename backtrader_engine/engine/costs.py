"""The cost model of a perpetual-futures run: fees, slippage, leverage, maintenance, funding."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from backtrader_engine.engine.commission import PerpCommInfo
from backtrader_engine.engine.funding import FundingSchedule

DEFAULT_TAKER_FEE = 0.00055
DEFAULT_MAKER_FEE = 0.0002
DEFAULT_FUNDING_RATE = 0.0001  # Bybit's baseline rate per 8 h settlement


@dataclass(frozen=True)
class CostModel:
    """Everything that turns a signal into a realistic fill and carry cost.

    ``funding`` is a constant rate per settlement (positive: longs pay) or a historical series of
    rates indexed by settlement time; ``funding_interval_hours`` spaces constant settlements.
    """

    taker_fee: float = DEFAULT_TAKER_FEE
    maker_fee: float = DEFAULT_MAKER_FEE
    slippage_bps: float = 0.0
    leverage: float = 1.0
    maintenance_margin_rate: float = 0.005
    funding: float | pd.Series = 0.0
    funding_interval_hours: float = 8.0
    funding_source: str = ""

    def commission_info(self) -> PerpCommInfo:
        # backtrader's metaclass takes the params keywords before __init__.
        return PerpCommInfo(  # type: ignore[call-arg]
            commission=self.taker_fee,
            maker_commission=self.maker_fee,
            leverage=self.leverage,
            maintenance_margin_rate=self.maintenance_margin_rate,
        )

    def funding_schedule(self, start: pd.Timestamp, end: pd.Timestamp) -> FundingSchedule | None:
        """Settlements inside [start, end], or None when funding is off."""
        if isinstance(self.funding, pd.Series):
            series = self.funding.loc[(self.funding.index >= start) & (self.funding.index <= end)]
            return FundingSchedule.from_series(series, self.funding_source or "series")
        if float(self.funding) == 0.0:
            return None
        return FundingSchedule.constant(float(self.funding), start, end,
                                        self.funding_interval_hours)

    def describe(self) -> dict[str, object]:
        """JSON-friendly description for the reproducibility manifest."""
        data = asdict(self)
        if isinstance(self.funding, pd.Series):
            data["funding"] = f"series of {len(self.funding)} settlements"
        return data
