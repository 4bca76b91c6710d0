"""One thread running one asyncio loop: where everything that talks to Telegram runs."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class LoopThread:
    """A daemon thread with its own event loop.

    Trading threads only ever hand work to it (:meth:`submit`, :meth:`call_soon`); they
    never wait on the network. Being a daemon, a loop stuck in a hanging request can never
    keep the process from exiting.
    """

    def __init__(self, name: str = "telegram") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            try:
                pending = asyncio.all_tasks(self.loop)
                for task in pending:
                    task.cancel()
                if pending:
                    self.loop.run_until_complete(asyncio.wait(pending, timeout=1.0))
            finally:
                self.loop.close()

    def start(self) -> LoopThread:
        """Start the thread (once)."""
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """True while the loop accepts work."""
        return self._started and self._thread.is_alive() and not self.loop.is_closed()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule *coro* on the loop from any thread; its future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call_soon(self, callback: Any, *args: Any) -> bool:
        """Run *callback(*args)* on the loop soon; ``False`` when the loop is gone."""
        try:
            self.loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop was closed meanwhile
            return False
        return True

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop the loop and wait up to *timeout* s for the thread; ``True`` if it ended."""
        if not self._started:
            return True
        self.call_soon(self.loop.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the telegram thread did not stop within %.1f s; left behind as a "
                        "daemon", timeout)
            return False
        return True
