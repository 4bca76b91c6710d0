"""Telegram alerts and commands for a running paper session.

Notifications come from :class:`~.watcher.LedgerWatcher`, which reads the session's ledger
read-only on its own thread; :class:`~.notifier.Notifier` sends them from another thread
with rate limits, coalescing and retries; :class:`~.commands.CommandBot` answers the
operator's commands. The trading threads never call any of this, so a slow or unreachable
Telegram cannot delay or break trading. :func:`~.service.telegram_for_session` wires it all for
the ``paper`` command.

This package imports python-telegram-bot only in the modules that talk to Telegram
(``notifier``, ``commands``, ``service``), so reading settings and formatting stay light.
"""

from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.settings import TelegramSettings, telegram_settings

__all__ = ["Notification", "TelegramSettings", "telegram_settings"]
