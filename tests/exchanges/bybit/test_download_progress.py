"""The download's progress bar: plain stderr lines when stderr is not a terminal."""

from __future__ import annotations

import io
import re

from backtrader_engine.exchanges.bybit.progress import Progress, bar_line

BAR = re.compile(r"^(\w+ \w+) \[([#-]{24})\] +(\d+)% (\d+)/(\d+) bars$")


def test_download_prints_plain_progress_lines_per_symbol_and_timeframe(
        cli, replay_server, tmp_path) -> None:
    server = replay_server()
    result = cli("download", "--symbols", "BTCUSDT,ETHUSDT", "--timeframes", "1m,1h",
                 "--days", "1.5", "--no-funding", "--base-url", server.base_url,
                 "--store", str(tmp_path / "data"), "--progress-every", "0")
    assert result.code == 0, result.err
    assert "\r" not in result.err and "\x1b" not in result.err
    lines = result.err.splitlines()
    assert all(BAR.match(line) for line in lines), result.err
    by_series: dict[str, list[tuple[int, int, int]]] = {}
    for line in lines:
        label, _, percent, done, total = BAR.match(line).groups()  # type: ignore[union-attr]
        by_series.setdefault(label, []).append((int(percent), int(done), int(total)))
    assert list(by_series) == ["BTCUSDT 1m", "BTCUSDT 1h", "ETHUSDT 1m", "ETHUSDT 1h"]
    # 1440 1m bars come in two pages: a line after the first, then the final 100 %
    assert by_series["BTCUSDT 1m"] == [(46, 1000, 2160), (100, 1440, 1440)]
    assert by_series["ETHUSDT 1h"] == [(100, 24, 24)]
    # the result lines stay on stdout, one per series
    assert "BTCUSDT 1m: +1440 bars" in result.out and "\r" not in result.out


def test_plain_lines_are_throttled_and_the_final_one_always_shows() -> None:
    now = [0.0]
    out = io.StringIO()
    bar = Progress("BTCUSDT 1m", 5000, out=out, every=5.0, clock=lambda: now[0])
    for done in range(1000, 5000, 1000):
        bar.update(done)
        now[0] += 2.0
    bar.finish(4500)
    assert out.getvalue().splitlines() == [
        bar_line("BTCUSDT 1m", 1000, 5000), bar_line("BTCUSDT 1m", 4000, 5000),
        bar_line("BTCUSDT 1m", 4500, 4500)]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_line_is_redrawn_in_place() -> None:
    out = _Tty()
    bar = Progress("ETHUSDT 5m", 3000, out=out, every=5.0)
    bar.update(1000)
    bar.update(2000)
    bar.finish(3000)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("100% 3000/3000 bars\n")
    assert text.count("\r\x1b[K") == 3
