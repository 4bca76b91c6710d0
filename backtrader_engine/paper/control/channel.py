"""The local control channel of a running paper session (``inject`` and friends).

The session listens on 127.0.0.1 on a free port and writes ``control.json`` (port and a
random token, readable by the owner only) into its state folder. A client sends one JSON
line ``{"token": ..., "op": ..., ...}`` and gets one JSON line back. Only processes that can
read the state folder can command the session, and nothing listens beyond loopback.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backtrader_engine.errors import UserError
from backtrader_engine.service.session import CONTROL_FILE

#: The bot manager waits for this file to know the session is ready: one name for both.
FILENAME = CONTROL_FILE
Handler = Callable[[dict[str, Any]], dict[str, Any]]


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ControlServer:
    """Serves *handler* for authenticated JSON-line requests on loopback.

    Parameters
    ----------
    state_dir : path
        Where ``control.json`` is written (removed again by :meth:`close`).
    handler : callable
        ``handler(request) -> reply``; an exception becomes ``{"ok": false, "error": ...}``.
    """

    def __init__(self, state_dir: Path, handler: Handler) -> None:
        self.path = Path(state_dir) / FILENAME
        self.token = secrets.token_hex(16)
        token, serve = self.token, handler

        class _Request(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    request = json.loads(self.rfile.readline(65536))
                    if not isinstance(request, dict) or request.get("token") != token:
                        reply: dict[str, Any] = {"ok": False, "error": "bad token"}
                    else:
                        reply = serve(request)
                except (ValueError, UserError) as exc:
                    reply = {"ok": False, "error": str(exc)}
                self.wfile.write((json.dumps(reply, default=str) + "\n").encode())

        self._server = _Server(("127.0.0.1", 0), _Request)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="paper-control", daemon=True)

    def start(self) -> ControlServer:
        """Listen and publish ``control.json`` (mode 0600, written atomically)."""
        self._thread.start()
        tmp = self.path.with_suffix(".tmp")
        # 0600 keeps the token from other local users on POSIX. Windows ignores the mode: there
        # the file inherits its folder's access list (docs/runner.md, "The control file").
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"host": "127.0.0.1", "port": self.port, "token": self.token,
                       "pid": os.getpid()}, handle)
        os.replace(tmp, self.path)
        return self

    def close(self) -> None:
        """Stop listening and remove ``control.json``."""
        self._server.shutdown()
        self._server.server_close()
        self.path.unlink(missing_ok=True)


def send(state_dir: Path, request: dict[str, Any], *, timeout: float = 30.0) -> dict[str, Any]:
    """Send *request* to the session running on *state_dir*; its reply.

    Raises
    ------
    UserError
        When no session runs there, or it does not answer.
    """
    path = Path(state_dir) / FILENAME
    try:
        info = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"no paper session is running with --state {state_dir} (no "
                        f"{FILENAME}); start one with 'paper --state {state_dir}'") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: unreadable ({exc})") from None
    payload = json.dumps({**request, "token": info["token"]}) + "\n"
    try:
        with socket.create_connection((info["host"], info["port"]), timeout=timeout) as sock:
            sock.sendall(payload.encode())
            reply = sock.makefile("r").readline()
    except OSError as exc:
        raise UserError(f"the paper session on {state_dir} does not answer ({exc}); is it "
                        "still running?") from None
    if not reply:
        raise UserError(f"the paper session on {state_dir} closed the connection")
    return json.loads(reply)
