"""Sends notifications to Telegram from its own thread, never from the trading path.

:meth:`Notifier.notify` only appends to a bounded per-chat queue and wakes the sender; it
never blocks and never raises for Telegram's sake. A sender task per chat (on the
:class:`~.loop.LoopThread`) waits for the rate limits, packs everything queued for its chat
into one message (:func:`~.messages.pack`), and sends it with retries:

* rate limits: a bucket of :attr:`per_chat_per_second` (1/s, Telegram's per-chat limit) and
  one of ``per_chat_per_minute`` (groups: 20/min) per chat, and a bucket of
  ``global_per_second`` (30/s) over all chats; every request, retries included, takes a
  token from each;
* retries: exponential backoff on network errors and 5xx answers; a 429 waits exactly the
  ``retry_after`` Telegram asks for. Errors that a retry cannot fix (400, 401, 403) give up
  at once;
* a queue that is full drops the new alert, and a message that failed for good drops its
  alerts: both count in ``stats()["dropped"]``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import warnings
from collections import deque
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from backtrader_engine.backoff import Backoff
from backtrader_engine.redaction import redact
from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.loop import LoopThread
from backtrader_engine.telegram.notification_text import pack
from backtrader_engine.telegram.ratelimit import TokenBucket, acquire
from backtrader_engine.telegram.redact import protect_token

log = logging.getLogger(__name__)
#: Most queued notifications looked at when packing one message (a block is never shorter
#: than ~20 characters, so no more than this fit in 4096 anyway).
_PACK_WINDOW = 250
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
ChatId = int | str


class _Chat:
    """One destination: its queue, its rate limits and its sender task."""

    def __init__(self, chat_id: ChatId, index: int, per_second: float, per_minute: int,
                 queue_size: int) -> None:
        self.chat_id = chat_id
        self.label = f"chat #{index}"  # chat ids are private: logs name chats by position
        self.pending: deque[Notification] = deque()
        self.queue_size = queue_size
        self.per_second = TokenBucket(per_second, 1.0)
        self.per_minute = TokenBucket(per_minute / 60.0, float(per_minute))
        self.wake: asyncio.Event | None = None
        self.task: asyncio.Task[None] | None = None


class Notifier:
    """Queue and sender of Telegram notifications (see the module docstring).

    Parameters
    ----------
    token : str
        Bot token; registered for redaction, never logged.
    chat_ids : sequence of int or str
        Where every notification goes.
    api_base_url : str
        Bot API server (``https://api.telegram.org`` or a local one).
    per_chat_per_second, per_chat_per_minute, global_per_second : float
        Rate limits.
    queue_size : int
        Most notifications waiting per chat; more are dropped and counted.
    max_retries : int
        Retries of one message before its notifications count as dropped.
    backoff_initial, backoff_max : float
        Exponential backoff between retries, in seconds.
    request_timeout : float
        Timeout of one request.
    loop : LoopThread, optional
        Share another component's Telegram thread; by default the notifier has its own.
    """

    def __init__(self, token: str, chat_ids: Sequence[ChatId], *,
                 api_base_url: str = "https://api.telegram.org",
                 per_chat_per_second: float = 1.0, per_chat_per_minute: int = 20,
                 global_per_second: float = 30.0, queue_size: int = 1000,
                 max_retries: int = 5, backoff_initial: float = 1.0,
                 backoff_max: float = 30.0, request_timeout: float = 10.0,
                 loop: LoopThread | None = None) -> None:
        if not chat_ids:
            raise ValueError("a Notifier needs at least one chat id")
        protect_token(token)
        self._own_loop = loop is None
        self.loop_thread = loop if loop is not None else LoopThread("telegram-notifier")
        request = HTTPXRequest(connection_pool_size=max(4, len(chat_ids) + 1),
                               read_timeout=request_timeout, write_timeout=request_timeout,
                               connect_timeout=request_timeout, pool_timeout=request_timeout)
        self.bot = Bot(token, base_url=f"{api_base_url}/bot", request=request)
        self.chats = [_Chat(chat_id, i + 1, per_chat_per_second, per_chat_per_minute,
                            queue_size) for i, chat_id in enumerate(chat_ids)]
        self.global_bucket = TokenBucket(global_per_second, max(1.0, global_per_second))
        self.max_retries = max_retries
        self.backoff = Backoff(backoff_initial, backoff_max)
        self._lock = threading.Lock()
        self._closing = False
        self._started = False
        self._counts = {"offered": 0, "sent_messages": 0, "sent_events": 0, "dropped": 0,
                        "dropped_queue_full": 0, "dropped_send_failed": 0,
                        "failed_messages": 0, "retries": 0, "rate_limited": 0}

    # --- producer side (any thread) -------------------------------------------------------
    def notify(self, notification: Notification) -> int:
        """Queue *notification* for every chat; how many chats took it (never blocks)."""
        taken = 0
        with self._lock:
            for chat in self.chats:
                self._counts["offered"] += 1
                if self._closing or len(chat.pending) >= chat.queue_size:
                    self._counts["dropped"] += 1
                    self._counts["dropped_queue_full"] += 1
                    continue
                chat.pending.append(notification)
                taken += 1
        if taken:
            for chat in self.chats:
                if chat.wake is not None:
                    self.loop_thread.call_soon(chat.wake.set)
        return taken

    def stats(self) -> dict[str, int]:
        """Counters: ``offered`` (alerts x chats), ``sent_messages``, ``sent_events``
        (alerts delivered inside sent messages), ``dropped`` (queue full or send failed for
        good), ``failed_messages``, ``retries``, ``rate_limited`` (429 answers) and
        ``queued`` (waiting now). ``offered == sent_events + dropped + queued + in flight``.
        """
        with self._lock:
            return {**self._counts, "queued": sum(len(c.pending) for c in self.chats)}

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> Notifier:
        """Start the sender tasks (and the thread, unless shared)."""
        if self._started:
            return self
        if self._own_loop:
            self.loop_thread.start()
        self.loop_thread.submit(self._start_tasks()).result(timeout=10)
        with self._lock:
            self._started = True
        for chat in self.chats:
            self.loop_thread.call_soon(chat.wake.set)  # type: ignore[union-attr]
        return self

    async def _start_tasks(self) -> None:
        for chat in self.chats:
            chat.wake = asyncio.Event()
            chat.task = asyncio.create_task(self._run_chat(chat), name=f"telegram {chat.label}")

    def stop(self, timeout: float = 5.0) -> bool:
        """Send what is queued for up to *timeout* s, then stop; ``True`` if all went out.

        Whatever is still queued or in flight at the deadline counts as dropped. Never
        waits longer than *timeout* (plus a second to close the connection pool).
        """
        with self._lock:
            if self._closing:
                return True
            self._closing = True
        flushed = True
        if self._started:
            future = self.loop_thread.submit(self._finish(timeout))
            try:
                flushed = future.result(timeout=timeout + 2.0)
            except Exception:  # the loop is wedged: leave the daemon thread behind
                log.warning("telegram notifier: shutdown did not complete within %.1f s",
                            timeout)
                flushed = False
            if self._own_loop:
                self.loop_thread.stop(1.0)
        with self._lock:
            left = sum(len(c.pending) for c in self.chats)
            for chat in self.chats:
                chat.pending.clear()
            self._counts["dropped"] += left
            self._counts["dropped_send_failed"] += left
        return flushed and left == 0

    async def _finish(self, timeout: float) -> bool:
        tasks = [chat.task for chat in self.chats if chat.task is not None]
        for chat in self.chats:
            if chat.wake is not None:
                chat.wake.set()
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)
        try:
            await asyncio.wait_for(self.bot.shutdown(), timeout=1.0)
        except Exception as exc:  # TimeoutError included
            log.debug("telegram notifier: closing the connection pool failed: %s", redact(exc))
        return not pending

    # --- sender side (the loop thread) ----------------------------------------------------
    async def _run_chat(self, chat: _Chat) -> None:
        assert chat.wake is not None
        while True:
            if not chat.pending:
                if self._closing:
                    return
                chat.wake.clear()
                if not chat.pending and not self._closing:
                    await chat.wake.wait()
                continue
            # Wait for the rate limits first: what arrives meanwhile joins this message.
            await acquire(chat.per_second, chat.per_minute, self.global_bucket)
            with self._lock:
                window = list(itertools.islice(chat.pending, _PACK_WINDOW))
            text, count = pack(window)
            with self._lock:
                for _ in range(count):
                    chat.pending.popleft()
            try:
                sent = await self._send(chat, text)
            except asyncio.CancelledError:
                self._account(count, sent=False)
                raise
            self._account(count, sent)

    def _account(self, count: int, sent: bool) -> None:
        with self._lock:
            if sent:
                self._counts["sent_messages"] += 1
                self._counts["sent_events"] += count
            else:
                self._counts["failed_messages"] += 1
                self._counts["dropped"] += count
                self._counts["dropped_send_failed"] += count

    async def _send(self, chat: _Chat, text: str) -> bool:
        """One message with retries; ``True`` once Telegram accepted it."""
        attempt = 0
        failures = 0  # the backoff grows with errors only; a 429 says its own wait
        while True:
            try:
                await self.bot.send_message(chat.chat_id, text, parse_mode=ParseMode.HTML,
                                            link_preview_options=_NO_PREVIEW)
                return True
            except RetryAfter as exc:
                wait = _retry_seconds(exc)
                with self._lock:
                    self._counts["rate_limited"] += 1
            except (BadRequest, Forbidden, InvalidToken) as exc:
                log.error("telegram: %s refused the message (%s: %s); not retried",
                          chat.label, type(exc).__name__, redact(exc))
                return False
            except TelegramError as exc:
                wait = self.backoff.delay(failures)
                failures += 1
                log.warning("telegram: sending to %s failed (%s: %s)", chat.label,
                            type(exc).__name__, redact(exc))
            attempt += 1
            if attempt > self.max_retries:
                log.warning("telegram: giving up on a message to %s after %d retries",
                            chat.label, self.max_retries)
                return False
            with self._lock:
                self._counts["retries"] += 1
            await asyncio.sleep(wait)
            await acquire(chat.per_second, chat.per_minute, self.global_bucket)


def _retry_seconds(exc: Any) -> float:
    """The wait a ``RetryAfter`` asks for, in seconds (int or timedelta by PTB setting)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns that the int form is deprecated
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
