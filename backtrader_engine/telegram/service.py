"""Telegram for one paper session: the ledger watcher, the notifier and the command bot.

Life cycle, as the ``paper`` command drives it::

    telegram = telegram_for_session(config, state_dir)   # None when Telegram is off
    session.start(); telegram.start()
    ...
    session.stop(); telegram.stop()   # "Bot stopped" goes out, bounded wait

:func:`telegram_for_session` marks what the ledger already holds as told *before* the
session starts, so the session's own start and everything after it is reported. Nothing
here is called by the trading threads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from backtrader_engine.config.app import AppConfig
from backtrader_engine.operations.snapshot import live_status
from backtrader_engine.telegram.commands import CommandBot
from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.loop import LoopThread
from backtrader_engine.telegram.notifier import Notifier
from backtrader_engine.telegram.settings import TelegramSettings, telegram_settings
from backtrader_engine.telegram.watcher import LedgerWatcher

log = logging.getLogger(__name__)


class TelegramService:
    """Watcher, notifier and command bot of one session, on one Telegram thread.

    Parameters
    ----------
    settings : TelegramSettings
        From :func:`~.settings.telegram_settings`.
    state_dir : path
        The session's state folder.
    log_file : path, optional
        The session's log file, for ``/logs``.
    config : AppConfig, optional
        The session's configuration, for ``/show_config`` and ``/reload_config``.
    """

    def __init__(self, settings: TelegramSettings, state_dir: Path | str, *,
                 log_file: Path | None = None, config: AppConfig | None = None) -> None:
        self.settings = settings
        self.state_dir = Path(state_dir)
        self.loop = LoopThread("telegram")
        token = settings.token.get_secret_value()
        self.notifier: Notifier | None = None
        self.watcher: LedgerWatcher | None = None
        self.commands: CommandBot | None = None
        self.filtered = 0  # notifications below the configured levels
        if settings.chat_ids:
            self.notifier = Notifier(
                token, settings.chat_ids, api_base_url=settings.api_base_url,
                per_chat_per_second=settings.per_chat_per_second,
                per_chat_per_minute=settings.per_chat_per_minute,
                global_per_second=settings.global_per_second, queue_size=settings.queue_size,
                max_retries=settings.max_retries, request_timeout=settings.request_timeout,
                loop=self.loop)
            self.watcher = LedgerWatcher(
                self.state_dir, self._emit, drawdown_warning_pct=settings.drawdown_warning_pct,
                drawdown_critical_pct=settings.drawdown_critical_pct,
                poll_s=settings.poll_seconds,
                live_status=partial(live_status, self.state_dir, timeout=2.0),
                status_every_s=settings.status_poll_seconds)
        if settings.commands:
            self.commands = CommandBot(
                token, self.state_dir, chat_ids=settings.chat_ids,
                allowed_user_ids=settings.allowed_user_ids, api_base_url=settings.api_base_url,
                log_file=log_file, loop=self.loop,
                request_timeout=settings.request_timeout, config=config)
        self._started = False

    def _emit(self, notification: Notification) -> None:
        if notification.level not in self.settings.alert_levels:
            self.filtered += 1
            return
        assert self.notifier is not None
        self.notifier.notify(notification)

    def prepare(self) -> TelegramService:
        """Mark what the ledger already holds as told; call before the session starts."""
        if self.watcher is not None:
            self.watcher.baseline()
        return self

    def start(self) -> TelegramService:
        """Start sending and answering (after the session has started)."""
        self.loop.start()
        if self.notifier is not None:
            self.notifier.start()
        if self.watcher is not None:
            self.watcher.start()
        if self.commands is not None:
            self.commands.start()
        self._started = True
        what = [w for w, on in ((f"alerts to {len(self.settings.chat_ids)} chat(s)",
                                 self.notifier is not None),
                                ("commands", self.commands is not None)) if on]
        log.info("Telegram on: %s", " and ".join(what))
        return self

    def stop(self) -> dict[str, Any]:
        """Tell what is left (the session's stop first), then close; bounded in time.

        Waits at most ``shutdown_timeout`` seconds for the last alerts, plus a few seconds
        to close connections; a hanging Bot API cannot hold the shutdown longer. Returns
        :meth:`stats`.
        """
        began = time.monotonic()
        if self.watcher is not None:
            self.watcher.stop(timeout=2.0)
        if self._started:
            if self.notifier is not None:
                left = max(0.5, self.settings.shutdown_timeout - (time.monotonic() - began))
                self.notifier.stop(left)
            if self.commands is not None:
                self.commands.stop(timeout=2.0)
            self.loop.stop(1.0)
        stats = self.stats()
        log.info("Telegram off: %s", stats)
        return stats

    def stats(self) -> dict[str, Any]:
        """Counters of the notifier (``sent_messages``, ``dropped``...), the command bot
        (``commands``, ``unauthorised``...) and the watcher."""
        out: dict[str, Any] = {"filtered": self.filtered}
        if self.notifier is not None:
            out["notifier"] = self.notifier.stats()
        if self.commands is not None:
            out["commands"] = self.commands.stats()
        if self.watcher is not None:
            out["watcher"] = {"polls": self.watcher.polls, "emitted": self.watcher.emitted,
                              "read_errors": self.watcher.read_errors}
        return out


def telegram_for_session(config: AppConfig, state_dir: Path | str,
                         environ: Mapping[str, str] | None = None, *,
                         log_file: Path | None = None) -> TelegramService | None:
    """A prepared :class:`TelegramService` for the session on *state_dir* (whose log file
    ``/logs`` reads), or ``None`` when Telegram is off (one info line says why).

    Raises
    ------
    UserError
        When the chat id variable holds something that is not a chat id.
    """
    settings = telegram_settings(config.alerts, environ)
    if settings is None:
        return None
    return TelegramService(settings, state_dir, log_file=log_file, config=config).prepare()
