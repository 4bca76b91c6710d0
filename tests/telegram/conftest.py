"""A local fake Telegram Bot API server, and factories for alert tests.

:class:`FakeBotApi` answers ``/bot<token>/<method>`` on 127.0.0.1 like the Bot API does
(``getMe``, ``sendMessage``, ``getUpdates`` with long polling, ``deleteWebhook``,
``setMyCommands``...), records every request with its arrival time, and can be told to
fail (HTTP 500), to answer 429 with ``retry_after``, or to hang.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

TOKEN = "123456789:AAH-fake-token-for-tests_0123456789"
BOT_ID = 4242
_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")


@dataclass
class Call:
    """One request the fake server received."""

    at: float  # time.monotonic() on arrival
    method: str  # lower-case Bot API method, e.g. "sendmessage"
    params: dict[str, Any]
    token: str


@dataclass
class _Mode:
    kind: str = "ok"  # ok | fail | 429 | hang
    methods: frozenset[str] | None = None  # None: every method
    count: int | None = None  # None: until changed
    retry_after: int = 1
    status: int = 500


@dataclass
class FakeBotApi:
    """The fake server (see the module docstring); ``base_url`` goes to the code under test."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._mode = _Mode()
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._release = threading.Event()
        self.commands: list[dict[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                api._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    # --- control ------------------------------------------------------------------------------
    def set_mode(self, kind: str, *, methods: tuple[str, ...] | None = None,
                 count: int | None = None, retry_after: int = 1, status: int = 500) -> None:
        """``ok``, ``fail`` (HTTP *status*), ``429`` (with *retry_after*) or ``hang``, for
        *methods* (default all) and the next *count* matching requests (default: until
        changed)."""
        with self._lock:
            self._mode = _Mode(kind, frozenset(m.lower() for m in methods) if methods else None,
                               count, retry_after, status)
            if kind != "hang":
                self._release.set()
                self._release = threading.Event()

    def push_message(self, chat_id: int, user_id: int, text: str) -> int:
        """Queue an incoming message (a command when it starts with '/'); its update id."""
        with self._lock:
            update_id = self._next_update
            self._next_update += 1
            message: dict[str, Any] = {
                "message_id": 10_000 + update_id, "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group",
                         **({"first_name": "Op"} if chat_id > 0 else {"title": "Desk"})},
                "from": {"id": user_id, "is_bot": False, "first_name": "Op"},
                "text": text}
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0,
                                        "length": len(text.split()[0])}]
            self._updates.append({"update_id": update_id, "message": message})
            self._lock.notify_all()
        return update_id

    def stop(self) -> None:
        self._release.set()
        with self._lock:
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # --- what happened ------------------------------------------------------------------------
    def requests(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if method is None or c.method == method.lower()]

    def sent(self, chat_id: int | str | None = None) -> list[Call]:
        """``sendMessage`` requests (to *chat_id*), oldest first."""
        return [c for c in self.requests("sendMessage")
                if chat_id is None or str(c.params.get("chat_id")) == str(chat_id)]

    def texts(self, chat_id: int | str | None = None) -> list[str]:
        return [c.params["text"] for c in self.sent(chat_id)]

    def wait_for(self, predicate: Callable[[], bool], limit_s: float = 30.0,
                 what: str = "condition") -> None:
        """Poll *predicate* until true, failing after *limit_s* seconds."""
        deadline = time.monotonic() + limit_s
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.02)

    # --- the Bot API ----------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        match = _PATH.match(handler.path.split("?")[0])
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        if "json" in (handler.headers.get("Content-Type") or ""):  # Alertmanager posts JSON
            params = {k: v if isinstance(v, str) else json.dumps(v)
                      for k, v in json.loads(body or "{}").items()}
        else:
            params = {k: v[-1] for k, v in parse_qs(body).items()}
        if not match:
            self._reply(handler, 404, {"ok": False, "error_code": 404,
                                       "description": "Not Found"})
            return
        token, method = match["token"], match["method"].lower()
        with self._lock:
            self.calls.append(Call(time.monotonic(), method, params, token))
            mode, release = self._mode, self._release
            applies = mode.kind != "ok" and (mode.methods is None or method in mode.methods)
            if applies and mode.count is not None:
                mode.count -= 1
                if mode.count <= 0:
                    self._mode = _Mode()
        if token != self.token:
            self._reply(handler, 401, {"ok": False, "error_code": 401,
                                       "description": "Unauthorized"})
            return
        if applies:
            if mode.kind == "hang":
                release.wait(120)
                handler.close_connection = True
                return
            if mode.kind == "429":
                self._reply(handler, 429, {
                    "ok": False, "error_code": 429,
                    "description": f"Too Many Requests: retry after {mode.retry_after}",
                    "parameters": {"retry_after": mode.retry_after}})
                return
            self._reply(handler, mode.status, {"ok": False, "error_code": mode.status,
                                               "description": "Internal Server Error"})
            return
        self._reply(handler, 200, {"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getme":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Test", "username": "test_bot",
                    "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False}
        if method == "sendmessage":
            with self._lock:
                message_id = self._next_message
                self._next_message += 1
            chat = params.get("chat_id", "0")
            chat_id = int(chat) if chat.lstrip("-").isdigit() else 0
            return {"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                    "text": params.get("text", "")}
        if method == "getupdates":
            return self._get_updates(params)
        if method == "setmycommands":
            self.commands = json.loads(params.get("commands", "[]"))
            return True
        if method == "getmycommands":
            return self.commands
        return True  # deleteWebhook, close, logOut, setMyDescription...

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 5.0)
        deadline = time.monotonic() + wait
        with self._lock:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._lock.wait(max(0.0, deadline - time.monotonic()))
            return list(self._updates)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:  # the client gave up (its timeout); nothing to answer
            pass


@pytest.fixture(autouse=True)
def clean_secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials of the developer's shell reach these tests."""
    from backtrader_engine.config import SECRET_ENV_VARS

    for name in (*SECRET_ENV_VARS, "MY_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_telegram() -> Iterator[Callable[..., FakeBotApi]]:
    """Factory: ``fake_telegram(token=TOKEN)`` → a started :class:`FakeBotApi`."""
    servers: list[FakeBotApi] = []

    def start(token: str = TOKEN) -> FakeBotApi:
        server = FakeBotApi(token)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


class LedgerScript:
    """Writes ledger rows the way a paper session does, for watcher tests."""

    def __init__(self, state: Path, accounts: tuple[str, ...] = ("RSI:BTCUSDT",),
                 cash: float = 1000.0) -> None:
        from backtrader_engine.ledger import LedgerWriter

        self.ledger = LedgerWriter(state)
        for account in accounts:
            strategy, symbol = account.split(":")
            self.ledger.register_account(account, strategy, symbol, {}, cash)
        self.position: dict[str, float] = dict.fromkeys(accounts, 0.0)

    def event(self, kind: str, detail: str = "", account: str | None = None) -> None:
        self.ledger.record_event(kind, detail, account)

    def signal(self, account: str, seq: int, outcome: str, *, ts: int = 1_000,
               side: str = "buy", size: float = 0.5, price: float = 100.0,
               reason: str | None = None, message: str = "") -> None:
        strategy, symbol = account.split(":")
        self.ledger.write_outputs([("signals", {
            "account": account, "order_seq": seq, "ts_ms": ts, "strategy": strategy,
            "symbol": symbol, "side": side, "size": size, "price": price,
            "confidence": 0.9, "outcome": outcome, "reason": reason, "message": message,
            "stage": "gate" if reason and not reason.startswith("broker") else "broker"})])

    def order(self, account: str, seq: int, status: str, *, reason: str | None = None,
              ts: int = 1_000, size: float = 0.5) -> None:
        """An order row as the recorder writes it: its last status and, when the broker
        attached one, the ``reject_reason`` (*reason*) in its info."""
        info = {"reject_reason": reason} if reason else {}
        column = reason or {"Margin": "broker:margin", "Rejected": "broker:rejected"}.get(status)
        self.ledger.write_outputs([("orders", {
            "account": account, "seq": seq, "bar_seq": 1, "created_ms": ts, "side": "buy",
            "type": "Market", "size": size, "price": None, "price_limit": None,
            "parent_seq": None, "status": status, "reason": column, "confidence": None,
            "info": json.dumps(info, sort_keys=True), "updated_ms": ts})])

    def fill(self, account: str, seq: int, size: float, price: float, *, ts: int = 1_000,
             pnl: float = 0.0, fee: float = 0.05, fill_seq: int = 0) -> None:
        self.position[account] += size
        self.ledger.write_outputs([("fills", {
            "account": account, "order_seq": seq, "fill_seq": fill_seq, "bar_seq": 1,
            "ts_ms": ts, "symbol": account.split(":")[1], "side": "buy" if size > 0 else "sell",
            "size": size, "price": price, "fee": fee, "liquidity": "taker", "pnl": pnl,
            "position_after": self.position[account], "liquidation": 0,
            "recorded_at": time.time()})])

    def state(self, account: str, value: float, ts: int) -> None:
        self.ledger.write_outputs([("account_state", {
            "account": account, "bar_seq": 1, "ts_ms": ts, "cash": value, "value": value,
            "position": self.position[account], "position_price": 0.0, "fees": 0.0,
            "funding": 0.0})])

    def funding(self, account: str, payment: float, ts: int) -> None:
        self.ledger.write_outputs([("funding", {
            "account": account, "funding_time": ts, "symbol": account.split(":")[1],
            "rate": 0.0001, "mark_price": 100.0, "position": self.position[account],
            "payment": payment})])

    def bar(self, symbol: str, end_ms: int) -> None:
        """A logged live 1m bar of *symbol* ending at *end_ms* (the ledger's market time)."""
        from backtrader_engine.paper.context import STREAM, BarContext

        self.ledger.append_bar(BarContext(symbol, "1m", end_ms - 59_999, end_ms, 100.0, 100.0,
                                          100.0, 100.0, 1.0, STREAM))

    def close(self) -> None:
        self.ledger.close()


@pytest.fixture
def ledger_script(tmp_path: Path) -> Iterator[Callable[..., LedgerScript]]:
    """Factory: ``ledger_script(state, accounts=(...), cash=1000.0)``."""
    made: list[LedgerScript] = []

    def make(state: Path, **kwargs: Any) -> LedgerScript:
        script = LedgerScript(state, **kwargs)
        made.append(script)
        return script

    yield make
    for script in made:
        script.close()


CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture
def alert_configs(tmp_path: Path) -> Callable[..., Path]:
    """``alert_configs(**telegram_fields)`` → a copy of configs/ with those telegram fields."""
    import shutil

    def make(**fields: Any) -> Path:
        target = tmp_path / "configs"
        if not target.exists():
            shutil.copytree(CONFIGS, target)
        path = target / "alert_config.json"
        data = json.loads(path.read_text())
        data["telegram"].update(fields)
        path.write_text(json.dumps(data, indent=2))
        return target
    return make


def ask(api: FakeBotApi, text: str, chat: int = 111, user: int | None = None,
        limit_s: float = 30.0) -> str:
    """Send *text* to the bot from *chat* and return the bot's next message there."""
    before = len(api.sent(chat))
    api.push_message(chat, user if user is not None else chat, text)
    api.wait_for(lambda: len(api.sent(chat)) > before, limit_s, f"an answer to {text!r}")
    return api.texts(chat)[before]


@pytest.fixture
def command_bot(fake_telegram: Callable[..., FakeBotApi]
                ) -> Iterator[Callable[..., tuple[Any, FakeBotApi]]]:
    """Factory: ``command_bot(state, chats=(111,), users=(), log_file=None, config=None)`` →
    a started CommandBot and its fake Bot API, polling once it answers."""
    from backtrader_engine.telegram.commands import CommandBot

    bots: list[CommandBot] = []

    def start(state: Path, *, chats: tuple[int, ...] = (111,), users: tuple[int, ...] = (),
              log_file: Path | None = None, config: Any = None
              ) -> tuple[CommandBot, FakeBotApi]:
        api = fake_telegram()
        bot = CommandBot(TOKEN, state, chat_ids=chats, allowed_user_ids=users,
                         api_base_url=api.base_url, log_file=log_file, poll_timeout=1.0,
                         request_timeout=3.0, config=config)
        bots.append(bot.start())
        api.wait_for(lambda: bot.running, 30, "the command bot to poll")
        return bot, api

    yield start
    for bot in bots:
        bot.stop()
