"""Child processes and HTTP polling shared by the integration tests (Prometheus, Alertmanager)."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Process:
    """A child process whose stdout lines arrive on a queue."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str]

    @classmethod
    def start(cls, argv: list[str], **kwargs: Any) -> Process:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, **kwargs)
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            for line in proc.stdout:  # type: ignore[union-attr]
                lines.put(line)
        threading.Thread(target=pump, daemon=True).start()
        return cls(proc, lines)

    def wait_for_line(self, prefix: str, limit_s: float) -> str:
        """The first stdout line starting with *prefix* (fails on exit or after the limit)."""
        deadline = time.monotonic() + limit_s
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.proc.poll() is None, f"exited {self.proc.returncode}: {seen}"
                continue
            seen.append(line)
            if line.startswith(prefix):
                return line.strip()
        raise AssertionError(f"no line starting {prefix!r} within {limit_s} s: {seen}")

    def stop(self, limit_s: float = 30.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(limit_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


def api(base: str, path: str, **params: str) -> dict[str, Any]:
    """A Prometheus HTTP API call; its JSON (errors included)."""
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as exc:  # 400/422 carry the error as JSON
        return json.loads(exc.read())


def poll(check: Callable[[], Any], limit_s: float, what: str) -> Any:
    """*check()* until it returns something truthy; fail after *limit_s* seconds."""
    deadline = time.monotonic() + limit_s
    while True:
        try:
            result = check()
        except (urllib.error.URLError, ConnectionError):
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
