"""The ledger's input log: bars in order, exactly once, across reopening."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.paper.ledger import Ledger, LedgerDivergence


def test_bars_are_logged_once_and_in_order(tmp_path: Path, btc_1m: pd.DataFrame,
                                           to_contexts: Callable[..., list]) -> None:
    bars = to_contexts(btc_1m.iloc[:5], spread=1.0)
    ledger = Ledger(tmp_path)
    assert [ledger.append_bar(b) for b in bars[:3]] == [0, 1, 2]
    assert ledger.append_bar(bars[1]) == 1  # a repeat keeps its row
    ledger.close()
    reopened = Ledger(tmp_path)
    assert reopened.append_bar(bars[2]) == 2
    assert reopened.append_bar(bars[4]) == 3  # a gap is allowed; going back is not
    with pytest.raises(LedgerDivergence, match="must be logged in order"):
        reopened.append_bar(bars[3])
    assert [c.start for c in reopened.bars("BTCUSDT", "1")] == [
        b.start for b in (bars[0], bars[1], bars[2], bars[4])]
    assert reopened.bars("BTCUSDT", "1")[0].asks == bars[0].asks
    reopened.close()
