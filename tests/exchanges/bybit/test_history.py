from __future__ import annotations

import io
import random
import subprocess
import sys
import time

import pandas as pd
import pytest
import requests
from pybit.exceptions import FailedRequestError, InvalidRequestError

from backtrader_engine.data import DataStore, resample_ohlcv
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.history import (
    HistoryDownloader,
    interval_for,
    make_session,
    rows_to_frame,
)
from backtrader_engine.exchanges.bybit.retry import BybitError, Retry

SYMBOLS = "BTCUSDT,ETHUSDT"
TIMEFRAMES = "1m,5m,1h"
KLINE = "/v5/market/kline"


def _download(cli, server, store, *extra: str):
    return cli("download", "--symbols", SYMBOLS, "--timeframes", TIMEFRAMES, "--days", "30",
               "--base-url", server.base_url, "--store", str(store), *extra)


def _assert_store_matches_source(store_root, source_candles) -> None:
    store = DataStore(store_root)
    for symbol, source in source_candles.items():
        for tf in ("1m", "5m", "1h"):
            expected = source if tf == "1m" else resample_ohlcv(source, tf)
            pd.testing.assert_frame_equal(store.read("bybit", symbol, tf), expected,
                                          check_freq=False)


def test_download_two_symbols_three_timeframes(cli, replay_server, source_candles,
                                               tmp_path) -> None:
    server = replay_server()
    dest = tmp_path / "data"
    result = _download(cli, server, dest)
    assert result.code == 0, result.err
    _assert_store_matches_source(dest, source_candles)
    assert server.paths.count(KLINE) == 2 * (2 + 1 + 1)  # 1440 1m bars take two pages
    lines = result.out.splitlines()
    assert "BTCUSDT 1m: +1440 bars" in lines[0] and "ETHUSDT 1h: +24 bars" in lines[6]
    funding = DataStore(dest).read_funding("bybit", "BTCUSDT")
    assert len(funding) == 4 and set(funding) == {0.0001}
    assert (dest / "bybit" / "instruments.json").exists()

    before = len(server.paths)
    again = _download(cli, server, dest)
    assert again.code == 0, again.err
    assert KLINE not in server.paths[before:]
    assert "/v5/market/funding/history" not in server.paths[before:]
    assert again.out.count("nothing new to fetch") == 8
    assert again.out.splitlines()[-1] == "done: nothing new; store up to date"


def test_incremental_fetches_only_the_missing_tail(cli, replay_server, source_candles,
                                                   tmp_path) -> None:
    dest = tmp_path / "data"
    head = source_candles["BTCUSDT"].iloc[:-90]
    DataStore(dest).write("bybit", "BTCUSDT", "1m", head)
    server = replay_server()
    result = cli("download", "--symbols", "BTCUSDT", "--timeframes", "1m", "--no-funding",
                 "--base-url", server.base_url, "--store", str(dest))
    assert result.code == 0, result.err
    assert "BTCUSDT 1m: +90 bars" in result.out and server.paths.count(KLINE) == 1
    pd.testing.assert_frame_equal(DataStore(dest).read("bybit", "BTCUSDT", "1m"),
                                  source_candles["BTCUSDT"], check_freq=False)
    assert not DataStore(dest).funding_path("bybit", "BTCUSDT").exists()


def test_open_candle_is_dropped(replay_server, source_candles, tmp_path) -> None:
    clock = 1662336000000 + 10 * 60_000 + 30_000  # 00:10:30
    server = replay_server(now_ms=clock)
    store = DataStore(tmp_path)
    downloader = HistoryDownloader(make_session(base_url=server.base_url), store,
                                   out=io.StringIO())
    downloader.run(["BTCUSDT"], ["1m", "5m"], 1, funding=False)
    assert store.read("bybit", "BTCUSDT", "1m").index[-1] == pd.Timestamp("2022-09-05 00:09")
    assert store.read("bybit", "BTCUSDT", "5m").index[-1] == pd.Timestamp("2022-09-05 00:05")


def test_rate_limited_download_backs_off_and_completes(replay_server, source_candles,
                                                       tmp_path) -> None:
    server = replay_server(rate_limit=4)
    sleeps: list[float] = []
    retry = Retry(base=0.05, sleep=lambda s: (sleeps.append(s), time.sleep(s)),
                      rng=random.Random(1))
    HistoryDownloader(make_session(base_url=server.base_url), DataStore(tmp_path),
                      retry=retry, out=io.StringIO()).run(
        ["BTCUSDT", "ETHUSDT"], ["1m", "5m", "1h"], 30)
    assert sleeps, "the server's limit was never hit"
    _assert_store_matches_source(tmp_path, source_candles)


def test_killed_download_leaves_valid_store_and_resumes(cli, replay_server, source_candles,
                                                        tmp_path) -> None:
    slow = replay_server(rate_limit=2)
    dest = tmp_path / "data"
    cmd = [sys.executable, "-m", "backtrader_engine", "download", "--symbols", SYMBOLS,
           "--timeframes", TIMEFRAMES, "--base-url", slow.base_url, "--store", str(dest)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not list(dest.glob("bybit/*/*.parquet")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.communicate()
    entries = DataStore(dest).available()
    assert 1 <= len(entries) < 8, "the kill was not mid-way"
    for entry in entries:  # every file the killed run left is complete and readable
        assert len(DataStore(dest).read(entry.exchange, entry.symbol, entry.timeframe)) > 0
    resumed = _download(cli, replay_server(), dest)
    assert resumed.code == 0, resumed.err
    assert "nothing new to fetch" in resumed.out
    _assert_store_matches_source(dest, source_candles)


def test_bad_symbol_is_one_line_and_exit_2(cli, replay_server, one_clear_line,
                                           tmp_path) -> None:
    server = replay_server()
    line = one_clear_line(cli("download", "--symbols", "BTCUSDT,NOPEUSDT", "--base-url",
                              server.base_url, "--store", str(tmp_path)))
    assert line == ("error: unknown symbol 'NOPEUSDT' on Bybit linear "
                    "(check the spelling, e.g. BTCUSDT)")
    assert KLINE not in server.paths  # validated before any candle is fetched


@pytest.mark.parametrize("argv,message", [
    (["--timeframes", "7m"], "timeframe '7m'"),
    (["--timeframes", "1m", "--days", "0"], "--days 0"),
    (["--symbols", " , "], "--symbols is empty"),
])
def test_bad_arguments_are_one_line(cli, replay_server, one_clear_line, tmp_path, argv,
                                    message) -> None:
    server = replay_server()
    args = ["download", "--symbols", "BTCUSDT", "--base-url", server.base_url,
            "--store", str(tmp_path), *argv]
    assert message in one_clear_line(cli(*args))


def _invalid(code: int) -> InvalidRequestError:
    return InvalidRequestError("GET /x", "msg", code, "00:00:00", {})


def _failed(status: int) -> FailedRequestError:
    return FailedRequestError("GET /x", "msg", status, "00:00:00", {})


@pytest.mark.parametrize("error", [_invalid(10006), _failed(403), _failed(502),
                                   requests.ConnectionError("reset")])
def test_retry_retries_transient_errors(error) -> None:
    sleeps: list[float] = []
    calls = iter([error, error, {"ok": True}])

    def flaky():
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    retry = Retry(base=1.0, sleep=sleeps.append, rng=random.Random(0))
    assert retry.call("thing", flaky) == {"ok": True}
    assert len(sleeps) == 2 and 1.0 <= sleeps[0] <= 1.5 and 2.0 <= sleeps[1] <= 3.0


def test_retry_fails_fast_on_bad_request_and_gives_up_eventually() -> None:
    sleeps: list[float] = []
    retry = Retry(retries=3, base=1.0, cap=1.5, sleep=sleeps.append)

    def bad():
        raise _invalid(10001)

    with pytest.raises(BybitError, match=r"^Bybit rejected kline X: msg \(code 10001\)$"):
        retry.call("kline X", bad)
    assert sleeps == []

    def limited():
        raise _invalid(10006)

    with pytest.raises(BybitError, match="after 3 retries"):
        retry.call("kline X", limited)
    assert len(sleeps) == 3 and max(sleeps) <= 1.5 * 1.5


def test_timeframe_mapping_and_row_parsing() -> None:
    assert [interval_for(tf)[1] for tf in ("1m", "5m", "15m", "1h", "4h", "1d")] == [
        "1", "5", "15", "60", "240", "D"]
    assert interval_for("60") == ("1h", "60")
    with pytest.raises(UserError, match="timeframe '7m'"):
        interval_for("7m")
    frame = rows_to_frame([["1662336060000", "2", "3", "1", "2.5", "10", "25"],
                           ["1662336000000", "1", "2", "0.5", "2", "5", "10"]], "t")
    assert list(frame.index) == [pd.Timestamp("2022-09-05 00:00"),
                                 pd.Timestamp("2022-09-05 00:01")]
    with pytest.raises(UserError, match="malformed kline rows"):
        rows_to_frame([["soon", "1", "2", "0.5", "2", "5"]], "t")


def test_make_session_points_pybit_at_the_base_url() -> None:
    assert make_session(base_url="http://127.0.0.1:9/").endpoint == "http://127.0.0.1:9"
    assert make_session(testnet=True).endpoint == "https://api-testnet.bybit.com"
    assert make_session().endpoint == "https://api.bybit.com"
