"""The range a funding rate must lie in to describe a real perpetual contract.

Exchanges clamp every settlement's rate: Bybit's caps are between 0.375% and 4% per settlement
depending on the contract. A rate beyond ``MAX_FUNDING_RATE`` (5% per settlement) is almost
certainly a typo (``--funding 5`` meant as 5 bps, or a percentage column read as a fraction),
and would drain any position within a few settlements.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backtrader_engine.errors import UserError

#: Largest |rate| accepted for one funding settlement (a fraction: 0.05 is 5%).
MAX_FUNDING_RATE = 0.05


def check_funding(funding: float | pd.Series, source: str) -> None:
    """Refuse a constant rate or a rate series with a settlement outside the bound.

    *source* names where the rates came from (the ``--funding`` argument), for the message.
    """
    expected = (f"expected a fraction per settlement in [-{MAX_FUNDING_RATE:g}, "
                f"{MAX_FUNDING_RATE:g}], e.g. 0.0001 for 0.01%")
    if isinstance(funding, pd.Series):
        values = funding.to_numpy(dtype=np.float64)
        bad = ~(np.abs(values) <= MAX_FUNDING_RATE)  # NaN counts as out of range
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise UserError(f"--funding {source}: rate {values[i]:g} at {funding.index[i]} is "
                            f"out of range ({int(bad.sum())} such settlements); {expected}")
        return
    rate = float(funding)
    if not (math.isfinite(rate) and abs(rate) <= MAX_FUNDING_RATE):
        raise UserError(f"--funding {source}: {expected}")
