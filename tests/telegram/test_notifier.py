"""The notifier against the fake Bot API: rate limits, coalescing, retries, drops, secrecy."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

import pytest

from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.notification_text import MAX_MESSAGE
from backtrader_engine.telegram.notifier import Notifier

from .conftest import TOKEN, FakeBotApi


def event(i: int, level: str = "info") -> Notification:
    return Notification("executed", level, f"event {i}", (("price", "1 < 2 & 3"),))


def notifier(api: FakeBotApi, chats: tuple[int, ...] = (111,), **kwargs: object) -> Notifier:
    options: dict[str, object] = {"backoff_initial": 0.05, "backoff_max": 0.2,
                                  "request_timeout": 2.0}
    options.update(kwargs)
    return Notifier(TOKEN, chats, api_base_url=api.base_url, **options).start()  # type: ignore[arg-type]


def sent_ids(texts: list[str]) -> list[int]:
    return [int(m) for text in texts for m in re.findall(r"event (\d+)", text)]


def spacings(api: FakeBotApi, chat: int) -> list[float]:
    times = [c.at for c in api.sent(chat)]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_a_notification_is_sent_as_escaped_html(fake_telegram: Callable[..., FakeBotApi]
                                               ) -> None:
    api = fake_telegram()
    n = notifier(api)
    n.notify(Notification("rejected", "warning", "Signal rejected (<low>)",
                          (("message", "confidence 0.3 < 0.6 & more"),)))
    assert n.stop(10)
    [call] = api.sent(111)
    assert call.params["parse_mode"] == "HTML"
    assert call.params["text"] == ("<b>[WARNING] Signal rejected (&lt;low&gt;)</b>\n"
                                   "message: confidence 0.3 &lt; 0.6 &amp; more")
    assert n.stats()["sent_messages"] == 1 and n.stats()["dropped"] == 0


def test_a_burst_of_1000_is_coalesced_rate_limited_and_fully_accounted_for(
        fake_telegram: Callable[..., FakeBotApi]) -> None:
    api = fake_telegram()
    n = notifier(api, queue_size=150)
    for i in range(1000):
        n.notify(event(i))
    assert n.stop(60)
    stats = n.stats()
    ids = sent_ids(api.texts(111))
    assert len(ids) == len(set(ids)) == stats["sent_events"]  # each alert at most once
    assert stats["sent_events"] + stats["dropped"] == 1000
    assert stats["dropped"] == stats["dropped_queue_full"] > 0
    assert ids == sorted(ids)  # in order
    # Coalesced: far fewer messages than alerts, each within Telegram's limit.
    assert stats["sent_messages"] == len(api.sent(111)) < stats["sent_events"] / 10
    assert all(len(text) <= MAX_MESSAGE for text in api.texts(111))
    # One message per second per chat, as Telegram saw them arrive.
    assert spacings(api, 111) and min(spacings(api, 111)) >= 0.85  # arrival jitter


def test_each_chat_gets_every_alert_at_its_own_rate(fake_telegram: Callable[..., FakeBotApi]
                                                   ) -> None:
    api = fake_telegram()
    n = notifier(api, chats=(111, -222), per_chat_per_second=4.0, queue_size=30)
    for i in range(60):
        n.notify(event(i))
        if i % 20 == 19:  # three bursts, so there are several messages per chat
            api.wait_for(lambda: n.stats()["queued"] == 0, what="queue drained")
    assert n.stop(30)
    stats = n.stats()
    assert stats["offered"] == 120
    for chat in (111, -222):
        assert len(sent_ids(api.texts(chat))) == len(set(sent_ids(api.texts(chat))))
        assert len(api.sent(chat)) >= 3
        assert min(spacings(api, chat)) >= 0.85 / 4.0
    assert stats["sent_events"] + stats["dropped"] == 120


def test_telegram_down_counts_alerts_as_dropped_and_never_blocks_the_caller(
        fake_telegram: Callable[..., FakeBotApi]) -> None:
    api = fake_telegram()
    api.set_mode("fail", status=500)
    n = notifier(api, max_retries=2)
    for i in range(5):
        assert n.notify(event(i)) == 1  # queued at once, whatever Telegram does
    api.wait_for(lambda: n.stats()["failed_messages"] >= 1, what="a failed message")
    assert n.stop(10)
    stats = n.stats()
    assert stats["sent_events"] == 0 and stats["dropped"] == 5
    assert stats["dropped_send_failed"] == 5 and stats["retries"] >= 2
    assert len(api.sent(111)) == stats["failed_messages"] * 3  # first try + 2 retries each


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_429_is_honoured_with_its_retry_after(fake_telegram: Callable[..., FakeBotApi]
                                                ) -> None:
    api = fake_telegram()
    api.set_mode("429", methods=("sendMessage",), count=1, retry_after=2)
    n = notifier(api, per_chat_per_second=30.0)
    n.notify(event(1))
    api.wait_for(lambda: n.stats()["sent_messages"] == 1, what="the retried message")
    n.stop(5)
    first, second = api.sent(111)
    assert second.at - first.at >= 1.9  # waited what Telegram asked, not the short backoff
    assert n.stats()["rate_limited"] == 1 and n.stats()["dropped"] == 0


def test_a_bad_request_is_not_retried(fake_telegram: Callable[..., FakeBotApi]) -> None:
    api = fake_telegram()
    api.set_mode("fail", status=400)
    n = notifier(api, max_retries=5)
    n.notify(event(1))
    api.wait_for(lambda: n.stats()["failed_messages"] == 1, what="the refusal")
    n.stop(5)
    assert len(api.sent(111)) == 1 and n.stats()["retries"] == 0


def test_a_hanging_telegram_cannot_hang_the_shutdown(fake_telegram: Callable[..., FakeBotApi]
                                                     ) -> None:
    api = fake_telegram()
    api.set_mode("hang")
    n = notifier(api, request_timeout=60.0)
    n.notify(event(1))
    api.wait_for(lambda: len(api.sent(111)) == 1, what="the hanging request")
    result: list[bool] = []
    stopper = threading.Thread(target=lambda: result.append(n.stop(0.5)))
    stopper.start()
    stopper.join(15)  # a deadline for the test, not a speed target
    assert not stopper.is_alive(), "stop() hung on a hanging Bot API"
    assert result == [False]
    assert n.stats()["dropped"] == 1 and n.stats()["sent_events"] == 0


def test_a_full_queue_drops_and_counts(fake_telegram: Callable[..., FakeBotApi]) -> None:
    api = fake_telegram()
    api.set_mode("hang")
    n = notifier(api, queue_size=3, request_timeout=60.0)
    n.notify(event(0))
    api.wait_for(lambda: len(api.sent(111)) == 1, what="the first request")
    taken = [n.notify(event(i)) for i in range(1, 8)]
    assert taken == [1, 1, 1, 0, 0, 0, 0]
    assert n.stats()["dropped_queue_full"] == 4 and n.stats()["queued"] == 3
    n.stop(0.5)
    assert n.stats()["dropped"] == 8  # 4 refused + 1 in flight + 3 left queued


def test_the_token_never_reaches_the_logs(fake_telegram: Callable[..., FakeBotApi],
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api = fake_telegram(token="999:other-token")  # ours is refused: 401 Unauthorized
    n = notifier(api)
    # Even someone turning on the libraries' debug logs must not see the token.
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        n.notify(event(1))
        api.wait_for(lambda: n.stats()["failed_messages"] == 1, what="the refusal")
        n.stop(5)
    finally:
        for name in ("httpx", "httpcore", "telegram"):
            logging.getLogger(name).setLevel(logging.WARNING)
    assert "HTTP Request: POST" in caplog.text  # httpx did log the URL ...
    assert "/bot***/sendMessage" in caplog.text  # ... with the token masked
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
