"""Parity: a paper session reconciled trade by trade with the backtester.

An analysis over a finished (or running) session's ledger, not part of the paper broker:
:mod:`.ledger_side` reads the paper side, :mod:`.backtest_side` re-runs each sub-account on
the bars it was fed, :mod:`.trips` builds round trips the same way for both,
:mod:`.attribution` names the cause of each difference, :mod:`.check` ties them together and
:mod:`.report_text` renders the result.
"""
