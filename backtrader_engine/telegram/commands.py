"""The Telegram command bot: operator commands answered from the library, for allowed chats.

Every command is a thin call into the functions the CLI and the panel use —
:func:`~backtrader_engine.operations.read_snapshot` and
:func:`~backtrader_engine.operations.live_status` for figures, the control operations of
:mod:`backtrader_engine.operations.control` for actions — and a formatter of
:mod:`.answers_text`. Library calls run in a worker thread, so a slow ledger read never stalls
the Telegram loop (which the notifier shares).

Only updates from an allowed chat (the chat id variable) or an allowed user
(``telegram.allowed_user_ids``; when set, the sender must be one of them) reach a command;
anyone else gets no answer, and the attempt is logged (ids and the command word only, never
the message text) and counted. Commands sent while the bot was down are dropped at start-up,
so a stale ``/forceexit`` can never fire hours later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, LinkPreviewOptions, ReplyKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from backtrader_engine.backoff import Backoff
from backtrader_engine.errors import UserError
from backtrader_engine.operations import control as control_ops
from backtrader_engine.operations.snapshot import live_status, read_snapshot
from backtrader_engine.redaction import redact
from backtrader_engine.telegram import actions, answers_text, operator_text
from backtrader_engine.telegram.logs import log_lines
from backtrader_engine.telegram.loop import LoopThread
from backtrader_engine.telegram.menu import COMMANDS, KEYBOARD
from backtrader_engine.telegram.notification_text import esc
from backtrader_engine.telegram.redact import protect_token

if TYPE_CHECKING:
    from backtrader_engine.config import AppConfig

log = logging.getLogger(__name__)

_MAX_TRADES, _MAX_LOGS = 100, 200
#: Waits between tries to start the command bot while Telegram cannot be reached.
_CONNECT_BACKOFF = Backoff(1.0, 60.0)
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def is_allowed(chat_id: int | None, user_id: int | None, chats: Collection[int | str],
               users: Collection[int]) -> bool:
    """Whether an update from *chat_id*/*user_id* may command.

    Without allowed users, any member of an allowed chat may. With them, the sender must be
    an allowed user, writing in an allowed chat or in a private chat with the bot.
    """
    if chat_id is None:
        return False
    if users:
        return user_id in users and (chat_id in chats or chat_id == user_id)
    return chat_id in chats


class CommandBot:
    """Long-polls the Bot API for commands and answers them (see the module docstring).

    Parameters
    ----------
    token : str
        Bot token (registered for redaction, never logged).
    state_dir : path
        The paper session's state folder (its ledger and control channel).
    chat_ids, allowed_user_ids
        Who may command (see :func:`is_allowed`).
    api_base_url : str
        Bot API server.
    log_file : path, optional
        The bot's log file, for ``/logs``.
    loop : LoopThread, optional
        The Telegram thread to run on (the notifier's); by default one of its own.
    poll_timeout, request_timeout : float
        Long-poll duration and the timeout of other requests, in seconds.
    config : AppConfig, optional
        The session's configuration, for ``/show_config`` and ``/reload_config`` (which
        re-reads the risk config file it was loaded from).
    """

    def __init__(self, token: str, state_dir: Path | str, *, chat_ids: Collection[int | str],
                 allowed_user_ids: Collection[int] = (),
                 api_base_url: str = "https://api.telegram.org", log_file: Path | None = None,
                 loop: LoopThread | None = None, poll_timeout: float = 10.0,
                 request_timeout: float = 10.0, config: AppConfig | None = None) -> None:
        protect_token(token)
        self.state_dir = Path(state_dir)
        self.config = config
        self.chats = frozenset(chat_ids)
        self.users = frozenset(allowed_user_ids)
        self.log_file = log_file
        self.poll_timeout = poll_timeout
        self._own_loop = loop is None
        self.loop_thread = loop if loop is not None else LoopThread("telegram-commands")
        self.app = self._build(token, api_base_url, request_timeout)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.counts = {"commands": 0, "unauthorised": 0, "poll_errors": 0, "reply_errors": 0}
        self.running = False

    def _build(self, token: str, base: str, timeout: float) -> Application[Any, Any, Any, Any,
                                                                           Any, Any]:
        def request(read: float) -> HTTPXRequest:
            return HTTPXRequest(connection_pool_size=4, read_timeout=read,
                                write_timeout=timeout, connect_timeout=timeout,
                                pool_timeout=timeout)

        app = (ApplicationBuilder().token(token).base_url(f"{base}/bot")
               .base_file_url(f"{base}/file/bot").request(request(timeout))
               .get_updates_request(request(self.poll_timeout + timeout)).build())
        app.add_handler(TypeHandler(Update, self._guard), group=-1)
        handlers: dict[str, Callable[..., Any]] = {
            "status": self._status, "balance": self._balance, "positions": self._positions,
            "trades": self._trades, "profit": self._profit, "performance": self._performance,
            "strategies": self._strategies, "start_trading": self._start_trading,
            "stopentry": self._stopentry, "forceexit": self._forceexit, "fx": self._forceexit,
            "stop": self._stop, "start": self._start, "logs": self._logs, "help": self._help,
            **self._operator_handlers()}
        for name, callback in handlers.items():
            app.add_handler(CommandHandler(name, callback))
        app.add_handler(MessageHandler(filters.COMMAND, self._unknown))
        app.add_error_handler(self._on_error)
        return app

    # --- lifecycle ----------------------------------------------------------------------
    def start(self) -> CommandBot:
        """Connect and poll in the background; Telegram being down only delays this."""
        if self._own_loop:
            self.loop_thread.start()
        self.loop_thread.submit(self._spawn()).result(timeout=10)
        return self

    async def _spawn(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="telegram commands start")

    async def _connect(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self.app.initialize()
                await self._publish_commands()
                await self.app.start()
                assert self.app.updater is not None
                await self.app.updater.start_polling(
                    timeout=timedelta(seconds=self.poll_timeout), drop_pending_updates=True,
                    allowed_updates=["message"], error_callback=self._poll_error)
                self.running = True
                log.info("telegram: answering commands")
                return
            except InvalidToken:
                log.error("telegram: the Bot API refused the token; commands stay off")
                return
            except TelegramError as exc:
                delay = _CONNECT_BACKOFF.delay(failures)
                failures += 1
                log.warning("telegram: cannot start the command bot yet (%s: %s); retrying "
                            "in %.0f s", type(exc).__name__, redact(exc), delay)
                if self.app.running:
                    await self.app.stop()
                await asyncio.sleep(delay)

    async def _publish_commands(self) -> None:
        try:
            await self.app.bot.set_my_commands([BotCommand(name, text[:256])
                                                for name, text in COMMANDS])
        except TelegramError as exc:  # a nicety: the commands work without the menu
            log.warning("telegram: could not publish the command menu (%s)", redact(exc))

    def stop(self, timeout: float = 3.0) -> bool:
        """Stop polling and close the connections, waiting at most *timeout* s."""
        self._stopping = True
        if not self.loop_thread.running:
            return True
        try:
            done = self.loop_thread.submit(self._shutdown(timeout)).result(timeout + 1.0)
        except Exception:
            log.warning("telegram: the command bot did not stop within %.1f s", timeout)
            done = False
        if self._own_loop:
            self.loop_thread.stop(1.0)
        return done

    async def _shutdown(self, timeout: float) -> bool:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        try:
            await asyncio.wait_for(self._close_app(), timeout)
        except (TimeoutError, TelegramError) as exc:
            log.debug("telegram: command bot shutdown cut short (%s)", redact(exc))
            return False
        return True

    async def _close_app(self) -> None:
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        self.running = False

    def stats(self) -> dict[str, int | bool]:
        """``commands`` answered, ``unauthorised`` updates ignored, ``poll_errors``,
        ``reply_errors`` and whether it is ``running``."""
        return {**self.counts, "running": self.running}

    # --- gate and errors ----------------------------------------------------------------
    async def _guard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        chat_id, user_id = (chat.id if chat else None), (user.id if user else None)
        if is_allowed(chat_id, user_id, self.chats, self.users):
            return
        self.counts["unauthorised"] += 1
        message = update.effective_message
        text = (message.text or "") if message else ""
        word = text.split()[0][:40] if text.startswith("/") else "a non-command message"
        log.warning("telegram: ignored %s from user %s in chat %s (not an allowed chat or "
                    "user)", word, user_id, chat_id)
        raise ApplicationHandlerStop

    def _poll_error(self, exc: TelegramError) -> None:
        self.counts["poll_errors"] += 1
        log.warning("telegram: polling for commands failed (%s: %s)", type(exc).__name__,
                    redact(exc))

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: handling an update failed (%s: %s)",
                  type(context.error).__name__, redact(context.error))

    # --- answering ----------------------------------------------------------------------
    async def _answer(self, update: Update, work: Callable[[], str | list[str]], *,
                      markup: ReplyKeyboardMarkup | None = None) -> None:
        """Run *work* (a library call and a formatter) off the loop and reply with what it
        returns, one message or several (with *markup*, a reply keyboard, when given)."""
        self.counts["commands"] += 1
        try:
            answer = await asyncio.to_thread(work)
            texts = [answer] if isinstance(answer, str) else answer
        except UserError as exc:
            texts = [esc(str(exc))]
        except Exception as exc:  # a failing read must not kill the bot
            log.exception("telegram: a command failed")
            texts = [f"failed: {esc(type(exc).__name__)}: {esc(redact(exc))}"]
        message = update.effective_message
        if message is None:
            return
        try:
            for text in texts:
                await message.reply_text(text, parse_mode=ParseMode.HTML,
                                         link_preview_options=_NO_PREVIEW, reply_markup=markup)
        except TelegramError as exc:
            self.counts["reply_errors"] += 1
            log.warning("telegram: could not answer a command (%s)", redact(exc))

    def _operator_handlers(self) -> dict[str, Callable[..., Any]]:
        """The commands whose work is one call of :mod:`.actions` with the arguments."""
        state = self.state_dir
        works: dict[str, Callable[[list[str]], str | list[str]]] = {
            "daily": lambda args: actions.periods(state, "day", args),
            "weekly": lambda args: actions.periods(state, "week", args),
            "monthly": lambda args: actions.periods(state, "month", args),
            "count": lambda args: actions.count(state),
            "locks": lambda args: actions.locks(state),
            "health": lambda args: actions.health(state),
            "version": lambda args: operator_text.format_version(actions.versions()),
            "show_config": lambda args: actions.show_config(state, self.config),
            "reload_config": lambda args: actions.reload_config(state, self.config),
            "forcelong": lambda args: actions.force_entry(state, "forcelong", args),
            "forceshort": lambda args: actions.force_entry(state, "forceshort", args),
        }
        return {name: self._with_args(work) for name, work in works.items()}

    def _with_args(self, work: Callable[[list[str]], str | list[str]]) -> Callable[..., Any]:
        async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            args = list(context.args or [])
            await self._answer(update, lambda: work(args))
        return handler

    def _live(self) -> dict[str, Any] | None:
        return live_status(self.state_dir, timeout=5.0)

    async def _status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: answers_text.format_status(
            read_snapshot(self.state_dir), self._live()))

    async def _balance(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: answers_text.format_balance(
            read_snapshot(self.state_dir), self._live()))

    async def _positions(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: answers_text.format_positions(
            read_snapshot(self.state_dir), self._live()))

    async def _trades(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        n = _count(context.args, 10, _MAX_TRADES)
        if n is None:
            await self._answer(update, lambda: f"usage: /trades [n], n from 1 to {_MAX_TRADES}")
            return
        await self._answer(update, lambda: answers_text.format_trades(
            read_snapshot(self.state_dir, recent=n), n))

    async def _profit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: answers_text.format_profit(
            read_snapshot(self.state_dir)))

    async def _performance(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: answers_text.format_performance(
            read_snapshot(self.state_dir)))

    async def _strategies(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: answers_text.format_strategies(
            read_snapshot(self.state_dir)))

    def _resume(self) -> str:
        reply = control_ops.resume_entries(self.state_dir)
        cleared = reply.get("breakers_resumed") or []
        title = "Trading resumed: new entries allowed again" + (
            f"; halted breakers cleared: {', '.join(cleared)}" if cleared else "")
        return answers_text.format_reply(title, reply)

    async def _start_trading(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, self._resume)

    async def _start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, self._resume, markup=KEYBOARD)

    async def _stopentry(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: answers_text.format_reply(
            "New entries paused; open positions are still managed",
            control_ops.pause_entries(self.state_dir)))

    async def _forceexit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        args = context.args or []
        if len(args) != 1:
            await self._answer(update, lambda: "usage: /forceexit SYMBOL or /forceexit all "
                                               "(/fx for short)")
            return
        symbol = None if args[0].lower() == "all" else args[0].upper()
        await self._answer(update, lambda: answers_text.format_reply(
            f"Force exit: {symbol or 'all symbols'}",
            control_ops.force_exit(self.state_dir, symbol)))

    async def _stop(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # A pause, not an exit: nothing could start the process again from here. The
        # process ends only from the CLI or the panel ('bte bot stop').
        await self._answer(update, lambda: answers_text.format_reply(
            "Trading paused: no strategy orders; open positions stay (/forceexit closes "
            "them, /start resumes; the process keeps running)",
            control_ops.pause_trading(self.state_dir)))

    async def _logs(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        n = _count(context.args, 20, _MAX_LOGS)
        if n is None:
            await self._answer(update, lambda: f"usage: /logs [n], n from 1 to {_MAX_LOGS}")
            return

        def work() -> str:
            lines = log_lines(self.log_file, n)
            assert self.log_file is not None
            return answers_text.format_logs(lines, f"{self.log_file.name}, last {len(lines)} "
                                                 "lines")
        await self._answer(update, work)

    async def _help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: answers_text.format_help(COMMANDS), markup=KEYBOARD)

    async def _unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._answer(update, lambda: "unknown command; /help lists them")


def _count(args: list[str] | None, default: int, most: int) -> int | None:
    """The optional count argument of /trades and /logs; ``None`` when it is not 1..*most*."""
    if not args:
        return default
    if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= most:
        return int(args[0])
    return None
