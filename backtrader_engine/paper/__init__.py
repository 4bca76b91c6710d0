"""Paper trading: the strategies run live on market data, against simulated fills.

:mod:`.session` assembles a session (sub-accounts, market hub, stream, ledger);
:mod:`.broker` and :mod:`.fills` simulate orders, fees and funding; :mod:`.control` is the
operator's channel into a running session.
"""
