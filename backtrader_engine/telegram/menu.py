"""What the command bot offers: its commands with their one-line descriptions (``/help``
and Telegram's command menu) and the reply keyboard of the common ones."""

from __future__ import annotations

from telegram import ReplyKeyboardMarkup

#: (command, description), in the order /help and Telegram's command menu show them.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("status", "running or not, market data, breakers, portfolio and each sub-account"),
    ("balance", "cash and value per sub-account and in total"),
    ("positions", "open positions with entry price and unrealised PnL"),
    ("trades", "the last n fills (default 10): /trades 20"),
    ("profit", "PnL, fees, funding, win rate and drawdown"),
    ("daily", "realised PnL and trades per UTC day (default 7): /daily 14"),
    ("weekly", "realised PnL and trades per UTC week (default 8): /weekly 4"),
    ("monthly", "realised PnL and trades per UTC month (default 6): /monthly 12"),
    ("performance", "PnL and win rate per strategy"),
    ("count", "open trades per strategy against max_open_positions"),
    ("locks", "the pause, open circuit breakers and throttles, and when they lift"),
    ("strategies", "strategies, symbols, timeframes and params"),
    ("health", "last bar per stream, market data, last ledger write, uptime"),
    ("version", "package, Python, backtrader and optuna versions"),
    ("show_config", "the effective config, secrets masked"),
    ("reload_config", "re-read the risk limits of the risk config file into the session"),
    ("start", "resume trading after /stop or /stopentry (and clear halted breakers)"),
    ("stop", "pause trading: no strategy orders, positions stay; the process keeps running"),
    ("stopentry", "refuse new entries; open positions are still managed"),
    ("start_trading", "as /start: accept entries again (after /stopentry or a halted "
                      "breaker)"),
    ("forcelong", "open a long at market through the risk gate: /forcelong BTCUSDT"),
    ("forceshort", "open a short at market through the risk gate: /forceshort BTCUSDT"),
    ("forceexit", "close positions at market: /forceexit BTCUSDT or /forceexit all"),
    ("fx", "short for /forceexit: /fx all"),
    ("logs", "the last n lines of the bot's log (default 20): /logs 50"),
    ("help", "this list"),
)
#: The reply keyboard sent with /start and /help: the commands used most, one tap each.
KEYBOARD = ReplyKeyboardMarkup(
    [["/status", "/profit", "/balance"], ["/daily", "/positions", "/trades"],
     ["/count", "/locks", "/health"], ["/stop", "/start", "/help"]],
    resize_keyboard=True, is_persistent=True)
