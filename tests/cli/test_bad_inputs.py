"""Bad inputs a new user gives, one table row each: every one ends in one ``error:`` line.

Each row is a command line with placeholders for files made in a scratch folder (a file
where a folder is expected, a binary file, an empty one, a folder, a config folder with one
file broken). The command runs in-process from an empty working folder that holds only a copy
of ``configs/``; the test asserts exit code 2, exactly one stderr line starting ``error:``
that names the problem, no traceback, and that neither the working folder nor the scratch
files changed (no report, ledger, study or dashboard written).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TESTDATA, run_cli

REPO = Path(__file__).resolve().parents[2]
BTC_CSV = str(TESTDATA / "Coinbase_BTCUSD_1h.csv")
#: A port nothing listens on: network commands fail at once (with BTE_RETRIES=0).
DEAD_URL = "http://127.0.0.1:9"


def _edit(file: str, change: Callable[[dict[str, Any]], Any]) -> tuple[str, Any]:
    return file, change


#: Config folders with one file replaced: name -> (file, new content | None to delete |
#: a function of the parsed JSON).
CONFIGS: dict[str, tuple[str, Any]] = {
    "bybit_list": ("bybit_config.json", "[]"),
    "bybit_empty": ("bybit_config.json", ""),
    "bybit_binary": ("bybit_config.json", bytes(range(256)) * 4),
    "bybit_lev0": _edit("bybit_config.json", lambda d: {**d, "default_leverage": 0}),
    "risk_dup": ("risk_config.json", '{"initial_cash": 1000, "initial_cash": 2000}'),
    "risk_neg": _edit("risk_config.json", lambda d: {**d, "initial_cash": -5}),
    "risk_str": _edit("risk_config.json", lambda d: {**d, "initial_cash": "lots"}),
    "risk_bool": _edit("risk_config.json", lambda d: {**d, "initial_cash": True}),
    "risk_typo": _edit("risk_config.json", lambda d: {**d, "initial_cahs": 5}),
    "risk_huge": ("risk_config.json", '{"initial_cash": 1' + "0" * 400 + "}"),
    "risk_null": ("risk_config.json", "null"),
    "risk_number": ("risk_config.json", "42"),
    "risk_utf16": ("risk_config.json", '{"initial_cash": 1}'.encode("utf-16")),
    "risk_bom": ("risk_config.json", b"\xef\xbb\xbf{}"),
    "risk_list": ("risk_config.json", "[]"),
    "strategies_list": ("strategies_config.json", "[{}]"),
    "alert_list": ("alert_config.json", "[]"),
    "alert_truncated": ("alert_config.json", '{"telegram": {'),
    "alert_telegram_str": _edit("alert_config.json", lambda d: {**d, "telegram": "yes"}),
    "alert_telegram_on": _edit("alert_config.json", lambda d: {
        **d, "telegram": {**d["telegram"], "enabled": True}}),
    "dashboard_port": _edit("alert_config.json", lambda d: {
        **d, "dashboard": {"host": "127.0.0.1", "port": 99999}}),
    "dashboard_host": _edit("alert_config.json", lambda d: {
        **d, "dashboard": {"host": "10.0.0.5", "port": 8501}}),
}

BT = ["backtest", "--strategy", "RSIEMAMomentum", "--no-plots"]
OPT = ["optimize", "--strategy", "RSIEMAMomentum", "--trials", "1", "--no-plots",
       "--out", "{out}"]
EXPORTER = ["study-exporter", "--port", "0", "--storage"]
NET = {"BTE_RETRIES": "0", "BTE_RETRY_DELAY": "0.01"}
DOWNLOAD = ["download", "--symbols", "BTCUSDT", "--timeframes", "1h", "--days", "1"]

# (id, argv, fragment of the error line, environment)
Case = tuple[str, list[str], str, dict[str, str]]
CASES: list[Case] = [
    # grafana
    ("grafana-out-file", ["grafana", "--out", "{file}"], "is a file, not a folder", {}),
    ("grafana-out-below-file", ["grafana", "--out", "{file}/sub"],
     "lies below the file", {}),
    ("grafana-out-empty", ["grafana", "--out", ""], "expected the dashboards' folder", {}),
    ("grafana-out-proc", ["grafana", "--out", "/proc/bte-dashboards"],
     "cannot write the dashboards there", {}),
    ("grafana-check-missing", ["grafana", "--check", "--out", "{missing}"],
     "differ from the dashboards", {}),
    ("grafana-check-empty-dir", ["grafana", "--check", "--out", "{dir}"],
     "differ from the dashboards", {}),
    ("grafana-check-file", ["grafana", "--check", "--out", "{file}"],
     "differ from the dashboards", {}),
    ("grafana-config-file", ["grafana", "--config-dir", "{file}"],
     "is a file, not a directory", {}),
    ("grafana-config-missing", ["grafana", "--config-dir", "{missing}"],
     "configuration directory not found", {}),
    ("grafana-typo-flag", ["grafana", "--chek"], "did you mean '--check'", {}),
    # panel (the server never starts: os.execv is replaced by the test)
    ("panel-refresh-inf", ["panel", "--refresh", "inf"], "--refresh inf", {}),
    ("panel-refresh-1e400", ["panel", "--refresh", "1e400"], "--refresh inf", {}),
    ("panel-refresh-nan", ["panel", "--refresh", "nan"], "--refresh nan", {}),
    ("panel-refresh-huge", ["panel", "--refresh", "1e9"], "at most 3600", {}),
    ("panel-refresh-zero", ["panel", "--refresh", "0"], "above 0", {}),
    ("panel-refresh-negative", ["panel", "--refresh", "-1"], "above 0", {}),
    ("panel-refresh-word", ["panel", "--refresh", "abc"], "invalid float value", {}),
    ("panel-config-file", ["panel", "--config-dir", "{file}"],
     "--config-dir {file}: is a file, not a folder", {}),
    ("panel-config-missing", ["panel", "--config-dir", "{missing}"],
     "no such folder", {}),
    ("panel-state-file", ["panel", "--state", "{file}"],
     "--state {file}: is a file", {}),
    ("panel-run-dir-file", ["panel", "--run-dir", "{file}"],
     "--run-dir {file}: is a file", {}),
    ("panel-reports-below-file", ["panel", "--reports", "{file}/runs"],
     "lies below the file", {}),
    ("panel-studies-file", ["panel", "--studies", "{file}"],
     "--studies {file}: is a file", {}),
    ("panel-host-empty", ["panel", "--host", ""], "--host ''", {}),
    ("panel-host-public", ["panel", "--host", "0.0.0.0"], "pass --expose", {}),
    ("panel-host-garbage", ["panel", "--host", "not a host!"], "pass --expose", {}),
    ("panel-expose-blank-password", ["panel", "--expose"], "--expose needs a password",
     {"DASHBOARD_PASSWORD": "  "}),
    ("panel-port-high", ["panel", "--port", "70000"], "--port 70000", {}),
    ("panel-port-zero", ["panel", "--port", "0"], "expected 1 to 65535", {}),
    ("panel-port-negative", ["panel", "--port", "-1"], "expected 1 to 65535", {}),
    ("panel-port-word", ["panel", "--port", "abc"], "invalid int value", {}),
    ("panel-bot-args-quote", ["panel", "--bot-args", "'--source replay"],
     "No closing quotation", {}),
    ("panel-bot-args-unknown", ["panel", "--bot-args=--bogus-flag"],
     "--bot-args: unknown paper argument(s) --bogus-flag", {}),
    ("panel-bot-args-bad-source", ["panel", "--bot-args", "--source nowhere"],
     "--bot-args: paper arguments", {}),
    ("panel-port-in-use", ["panel", "--port", "{busy_port}"],
     "--port {busy_port}: cannot serve on 127.0.0.1:{busy_port}", {}),
    ("panel-host-unresolvable", ["panel", "--expose", "--host",
                                     "no-such-host.invalid"], "cannot resolve it",
     {"DASHBOARD_PASSWORD": "secret"}),
    ("panel-bot-args-state-file", ["panel", "--bot-args", "--state {file}"],
     "--bot-args: --state {file}: a file, not a folder", {}),
    ("panel-alert-list", ["panel", "--config-dir", "{cfg:alert_list}"],
     "top level is a JSON list", {}),
    ("panel-config-port", ["panel", "--config-dir", "{cfg:dashboard_port}"],
     "'dashboard.port' = 99999", {}),
    ("panel-config-host", ["panel", "--config-dir", "{cfg:dashboard_host}"],
     "dashboard host 10.0.0.5", {}),
    # study-exporter (the server is never waited on: the test fails if it would serve)
    ("exporter-binary", [*EXPORTER, "{binary}"], "is not an Optuna journal file", {}),
    ("exporter-empty", [*EXPORTER, "{empty}"], "the file is empty", {}),
    ("exporter-text", [*EXPORTER, "{text}"], "is not an Optuna journal file", {}),
    ("exporter-json", [*EXPORTER, "{file}"], "is not an Optuna journal file", {}),
    ("exporter-sqlite-as-journal", [*EXPORTER, "{sqlite}"], "name it as sqlite:///", {}),
    ("exporter-missing", [*EXPORTER, "{missing}"], "no such file", {}),
    ("exporter-dir", [*EXPORTER, "{dir}"], "no such file", {}),
    ("exporter-empty-string", [*EXPORTER, ""], "no such file", {}),
    ("exporter-sqlite-binary", [*EXPORTER, "sqlite:///{binary}"], "cannot open the database",
     {}),
    ("exporter-sqlite-missing", [*EXPORTER, "sqlite:///{missing}"], "no such file", {}),
    ("exporter-sqlite-empty", [*EXPORTER, "sqlite:///{empty}"], "the file is empty", {}),
    ("exporter-mysql", [*EXPORTER, "mysql://u@h/db"], "cannot open the database", {}),
    ("exporter-http", [*EXPORTER, "http://example.com/x"], "unsupported scheme 'http'", {}),
    ("exporter-port", ["study-exporter", "--storage", "x", "--port", "99999"],
     "--port 99999", {}),
    ("exporter-no-storage", ["study-exporter"], "required: --storage", {}),
    # config
    ("config-check-file", ["config", "check", "--config-dir", "{file}"], "is a file", {}),
    ("config-check-missing", ["config", "check", "--config-dir", "{missing}"],
     "configuration directory not found", {}),
    ("config-check-unicode-missing", ["config", "check", "--config-dir", "{tmp}/配置"],
     "configuration directory not found", {}),
    *[(f"config-check-{name}", ["config", "check", "--config-dir", f"{{cfg:{name}}}"],
       fragment, {}) for name, fragment in [
        ("bybit_list", "top level is a JSON list"),
        ("bybit_empty", "invalid JSON at line 1, column 1"),
        ("bybit_binary", "is not UTF-8 text"),
        ("risk_dup", "key 'initial_cash' appears twice"),
        ("risk_neg", "'initial_cash' = -5"),
        ("risk_str", "must be a valid number"),
        ("risk_bool", "'initial_cash' = true"),
        ("risk_typo", "did you mean 'initial_cash'"),
        ("risk_huge", "'initial_cash'"),
        ("risk_null", "top level is a JSON null"),
        ("risk_number", "top level is a JSON number"),
        ("risk_utf16", "is not UTF-8 text"),
        ("risk_bom", "BOM"),
        ("strategies_list", "top level is a JSON list"),
        ("alert_telegram_str", "field 'telegram' = \"yes\""),
    ]],
    ("config-check-telegram-no-token", ["config", "check", "--require-secrets",
                                        "--config-dir", "{cfg:alert_telegram_on}"],
     "needs environment variable TELEGRAM_BOT_TOKEN", {"TELEGRAM_BOT_TOKEN": ""}),
    ("config-check-telegram-chat-id", ["config", "check", "--config-dir",
                                       "{cfg:alert_telegram_on}"], "TELEGRAM_CHAT_ID",
     {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_CHAT_ID": "notanumber"}),
    ("config-show-truncated", ["config", "show", "--config-dir", "{cfg:alert_truncated}"],
     "invalid JSON at line 1, column 15", {}),
    ("config-show-leverage-zero", ["config", "show", "--config-dir", "{cfg:bybit_lev0}"],
     "'default_leverage' = 0", {}),
    ("config-unknown-action", ["config", "frobnicate"], "'frobnicate' is not an action", {}),
    ("config-no-action", ["config"], "required: ACTION", {}),
    # strategies, parity
    ("strategies-flag", ["strategies", "--verbose"], "unrecognized arguments: --verbose", {}),
    ("strategies-positional", ["strategies", "RSIEMAMomentum", "extra"],
     "unrecognized arguments: extra", {}),
    ("strategies-unknown-name", ["strategies", "extra"], "unknown strategy 'extra'", {}),
    ("parity-missing", ["parity", "--state", "{missing}"], "no ledger.sqlite there", {}),
    ("parity-file", ["parity", "--state", "{file}"], "no ledger.sqlite there", {}),
    ("parity-empty-dir", ["parity", "--state", "{dir}"], "no ledger.sqlite there", {}),
    ("parity-empty-string", ["parity", "--state", ""], "no ledger.sqlite there", {}),
    ("parity-no-state", ["parity"], "required: --state", {}),
    # backtest and demo
    ("backtest-unknown-strategy", ["backtest", "--strategy", "NoSuchStrat"],
     "unknown strategy 'NoSuchStrat'", {}),
    ("backtest-empty-strategy", ["backtest", "--strategy", ""], "unknown strategy ''", {}),
    ("backtest-unicode-strategy", ["backtest", "--strategy", "Ünïcode"],
     "unknown strategy 'Ünïcode'", {}),
    ("backtest-strategy-syntax", ["backtest", "--strategy", "{syntax_py}:S"],
     "SyntaxError", {}),
    ("backtest-strategy-no-class", ["backtest", "--strategy", "{strategy_py}:Missing"],
     "has no class 'Missing'", {}),
    ("backtest-strategy-missing-file", ["backtest", "--strategy", "{missing}.py:S"],
     "does not exist", {}),
    ("backtest-strategy-json", ["backtest", "--strategy", "{file}:S"], "must be a .py file",
     {}),
    ("backtest-param-unknown", [*BT, "--param", "nosuch=3"], "has no parameter 'nosuch'", {}),
    ("backtest-param-no-value", [*BT, "--param", "rsi_period"], "expected name=value", {}),
    ("backtest-param-no-name", [*BT, "--param", "=3"], "expected name=value", {}),
    ("backtest-param-word", [*BT, "--param", "rsi_period=abc"], "expected an integer", {}),
    ("backtest-param-float", [*BT, "--param", "rsi_period=1.5"], "expected an integer", {}),
    ("backtest-param-unicode", [*BT, "--param", "rsi_period=ünïcödé"], "expected an integer",
     {}),
    ("backtest-param-negative", [*BT, "--param", "rsi_period=-5"], "rsi_period=-5 is invalid",
     {}),
    ("backtest-param-zero", [*BT, "--param", "rsi_period=0"], "rsi_period=0 is invalid", {}),
    ("backtest-data-empty", [*BT, "--data", "{empty}"], "file is empty", {}),
    ("backtest-data-binary", [*BT, "--data", "{binary}"], "unknown layout", {}),
    ("backtest-data-dir", [*BT, "--data", "{dir}"], "directory holds no data file", {}),
    ("backtest-data-header-only", [*BT, "--data", "{header_csv}"], "header but no data rows",
     {}),
    ("backtest-data-semicolons", [*BT, "--data", "{semicolon_csv}"], "unknown layout", {}),
    ("backtest-data-missing", [*BT, "--data", "{missing}.csv"], "file not found", {}),
    ("backtest-data-unicode-missing", [*BT, "--data", "{tmp}/données_ü.csv"],
     "file not found", {}),
    ("backtest-dates-reversed", [*BT, "--from", "2019-01-01", "--to", "2018-01-01"],
     "no bars between 2019-01-01 and 2018-01-01", {}),
    ("backtest-date-word", [*BT, "--from", "yesterday"], "expected a date such as", {}),
    ("backtest-date-month-13", [*BT, "--from", "2018-13-45"], "month must be in 1..12", {}),
    ("backtest-date-future", [*BT, "--from", "2030-01-01"], "no bars between 2030-01-01", {}),
    ("backtest-timeframe-unknown", [*BT, "--timeframe", "7q"], "unknown timeframe '7q'", {}),
    ("backtest-timeframe-finer", [*BT, "--timeframe", "30m"], "finer than the data's 1h", {}),
    ("backtest-confirm-unknown", [*BT, "--confirm-timeframes", "banana"],
     "unknown timeframe 'banana'", {}),
    ("backtest-confirm-finer", [*BT, "--confirm-timeframes", "30m"],
     "must be longer than the base timeframe", {}),
    ("backtest-cash-zero", [*BT, "--cash", "0"], "--cash 0", {}),
    ("backtest-cash-negative", [*BT, "--cash", "-100"], "--cash -100", {}),
    ("backtest-leverage-huge", [*BT, "--leverage", "1000"], "--leverage 1000", {}),
    ("backtest-fee-negative", [*BT, "--taker-fee", "-0.5"], "--taker-fee -0.5", {}),
    ("backtest-fee-huge", [*BT, "--taker-fee", "5"], "--taker-fee 5", {}),
    ("backtest-slippage-huge", [*BT, "--slippage-bps", "1e6"], "--slippage-bps", {}),
    ("backtest-mm-huge", [*BT, "--maintenance-margin", "2"], "--maintenance-margin 2", {}),
    ("backtest-funding-word", [*BT, "--funding", "abc"], "funding 'abc' is neither", {}),
    ("backtest-funding-dir", [*BT, "--funding", "{dir}"], "is a directory", {}),
    ("backtest-funding-bad-dates", [*BT, "--funding", "{funding_csv}"],
     "cannot parse 'time' value 'xx'", {}),
    ("backtest-params-list", [*BT, "--params-file", "{params_list}"], "expected {", {}),
    ("backtest-params-missing", [*BT, "--params-file", "{missing}.json"],
     "file does not exist", {}),
    ("backtest-params-dir", [*BT, "--params-file", "{dir}"], "cannot read it", {}),
    ("backtest-lot-rules-unknown-symbol", [*BT, "--lot-rules", "--symbol", "NOTASYM"],
     "no lot rules known for NOTASYM", {}),
    ("backtest-lot-rules-spot", [*BT, "--lot-rules"], "no lot rules known for BTCUSD", {}),
    ("backtest-config-file", [*BT, "--config-dir", "{file}"], "--config-dir", {}),
    ("backtest-risk-config-list", [*BT, "--risk-gate", "--config-dir", "{cfg:risk_list}"],
     "top level is a JSON list", {}),
    ("demo-unknown-strategy", ["demo", "--strategy", "nope"], "unknown strategy 'nope'", {}),
    ("demo-cash-word", ["demo", "--cash", "abc"], "--cash: invalid float value", {}),
    ("demo-data-binary", ["demo", "--data", "{binary}"], "unknown layout", {}),
    # optimize
    ("optimize-trials-zero", [*OPT, "--trials", "0"], "--trials 0", {}),
    ("optimize-metric-unknown", [*OPT, "--metric", "banana"], "--metric 'banana'", {}),
    ("optimize-space-list", [*OPT, "--space", "{space_list}"], "must be a mapping", {}),
    ("optimize-space-unknown-param", [*OPT, "--space", "{space_bad}"],
     "'n' is not a parameter", {}),
    ("optimize-space-binary", [*OPT, "--space", "{binary}"], "is not UTF-8 text", {}),
    ("optimize-space-missing", [*OPT, "--space", "{missing}.json"], "does not exist", {}),
    ("optimize-oos-above-one", [*OPT, "--oos-fraction", "1.5"], "out-of-sample fraction 1.5",
     {}),
    ("optimize-oos-one", [*OPT, "--oos-fraction", "1"], "out-of-sample fraction 1.0", {}),
    ("optimize-storage-ftp", [*OPT, "--storage", "ftp://x"], "unsupported scheme 'ftp'", {}),
    ("optimize-storage-binary", [*OPT, "--storage", "{binary}"],
     "is not an Optuna journal file", {}),
    ("optimize-storage-json", [*OPT, "--storage", "{file}"], "is not an Optuna journal file",
     {}),
    ("optimize-storage-dir", [*OPT, "--storage", "{dir}"], "is a folder", {}),
    ("optimize-storage-sqlite-as-journal", [*OPT, "--storage", "{sqlite}"], "name it as sqlite:///",
     {}),
    ("optimize-study-name-empty", [*OPT, "--study-name", ""], "--study-name ''", {}),
    ("optimize-study-name-path", [*OPT, "--study-name", "a/../../escape"],
     "contain no / or \\", {}),
    ("optimize-timeout-zero", [*OPT, "--timeout", "0"], "--timeout 0", {}),
    ("optimize-seed-negative", [*OPT, "--seed", "-1"], "--seed -1", {}),
    ("optimize-no-space", ["optimize", "--strategy", "{strategy_py}:S", "--trials", "1",
                           "--out", "{out}"], "declares no search_space", {}),
    # data check
    ("data-check-empty", ["data", "check", "{empty}"], "file is empty", {}),
    ("data-check-binary", ["data", "check", "{binary}"], "unknown layout", {}),
    ("data-check-missing", ["data", "check", "{missing}.csv"], "file not found", {}),
    ("data-check-dir", ["data", "check", "{dir}"], "directory holds no data file", {}),
    ("data-check-json", ["data", "check", "{file}"], "unknown layout", {}),
    ("data-check-header-only", ["data", "check", "{header_csv}"], "header but no data rows",
     {}),
    ("data-check-timeframe", ["data", "check", BTC_CSV, "--timeframe", "7q"],
     "unknown timeframe '7q'", {}),
    ("data-check-no-path", ["data", "check"], "required: path", {}),
    # download (network refused at once: a dead local port, no retries)
    ("download-symbols-empty", ["download", "--symbols", "", "--timeframes", "1h"],
     "--symbols is empty", {}),
    ("download-timeframes-empty", ["download", "--symbols", "BTCUSDT", "--timeframes", ""],
     "--timeframes is empty", {}),
    ("download-timeframe-unknown", ["download", "--symbols", "BTCUSDT", "--timeframes", "7q"],
     "unknown timeframe '7q'", {}),
    ("download-days-zero", ["download", "--symbols", "BTCUSDT", "--days", "0"], "--days 0", {}),
    ("download-progress-negative", [*DOWNLOAD, "--progress-every", "-1"],
     "--progress-every -1", {}),
    ("download-retries-word", [*DOWNLOAD, "--base-url", DEAD_URL, "--store", "{out}"],
     "BTE_RETRIES='abc'", {"BTE_RETRIES": "abc"}),
    ("download-retries-negative", [*DOWNLOAD, "--base-url", DEAD_URL, "--store", "{out}"],
     "BTE_RETRIES='-3'", {"BTE_RETRIES": "-3"}),
    ("download-retry-delay-huge", [*DOWNLOAD, "--base-url", DEAD_URL, "--store", "{out}"],
     "BTE_RETRY_DELAY='1e9'", {"BTE_RETRIES": "1", "BTE_RETRY_DELAY": "1e9"}),
    ("download-retry-delay-nan", [*DOWNLOAD, "--base-url", DEAD_URL, "--store", "{out}"],
     "BTE_RETRY_DELAY='nan'", {"BTE_RETRIES": "0", "BTE_RETRY_DELAY": "nan"}),
    ("download-retries-huge", [*DOWNLOAD, "--base-url", DEAD_URL, "--store", "{out}"],
     "BTE_RETRIES='99999999'", {"BTE_RETRIES": "99999999"}),
    ("download-retries-fraction", [*DOWNLOAD, "--base-url", DEAD_URL, "--store", "{out}"],
     "BTE_RETRIES='1.5'", {"BTE_RETRIES": "1.5"}),
    ("stream-retry-delay-inf", ["stream", "--symbols", "BTCUSDT", "--base-url", DEAD_URL,
                                "--seconds", "5"], "BTE_RETRY_DELAY='inf'",
     {"BTE_RETRIES": "1", "BTE_RETRY_DELAY": "inf"}),
    ("download-dead-server", [*DOWNLOAD, "--base-url", DEAD_URL, "--store", "{out}"],
     "without network", NET),
    ("download-lowercase-dead-server", ["download", "--symbols", "btcusdt", "--timeframes",
                                        "1h", "--days", "1", "--base-url", DEAD_URL,
                                        "--store", "{out}"], "without network", NET),
    # replay (refused before it binds)
    ("replay-data-binary", ["replay", "--symbol", "BTCUSDT", "--data", "{binary}", "--port",
                            "0"], "unknown layout", {}),
    ("replay-data-missing", ["replay", "--symbol", "BTCUSDT", "--data", "{missing}.csv",
                             "--port", "0"], "file not found", {}),
    ("replay-store-file", ["replay", "--symbol", "BTCUSDT", "--store", "{file}", "--port",
                           "0"], "no stored 'bybit' candles", {}),
    ("replay-store-empty", ["replay", "--symbol", "ETHUSDT", "--store", "{dir}", "--port",
                            "0"], "nothing is stored there", {}),
    ("replay-data-and-store", ["replay", "--symbol", "BTCUSDT", "--data", BTC_CSV, "--store",
                               "{dir}", "--port", "0"], "not both", {}),
    ("replay-symbol-empty", ["replay", "--symbol", "", "--store", "{dir}", "--port", "0"],
     "no stored 'bybit' candles", {}),
    ("replay-faults-stall", ["replay", "--symbol", "BTCUSDT", "--data", BTC_CSV, "--port",
                             "0", "--faults", "stall=abc"], "stall='abc'", {}),
    ("replay-port-in-use", ["replay", "--symbol", "BTCUSDT", "--data", BTC_CSV, "--port",
                            "{busy_port}"], "address already in use", {}),
    ("replay-bundled-faults-unknown", ["replay", "--symbol", "BTCUSDT", "--port", "0",
                                       "--faults", "banana=3"], "unknown fault 'banana'", {}),
    ("replay-bundled-faults-negative", ["replay", "--symbol", "BTCUSDT", "--port", "0",
                                        "--faults", "drop_every=-1"], "drop_every='-1'", {}),
    ("replay-bundled-start-word", ["replay", "--symbol", "BTCUSDT", "--port", "0",
                                   "--start", "notadate"], "--start 'notadate'", {}),
    ("replay-bundled-host", ["replay", "--symbol", "BTCUSDT", "--port", "0", "--host",
                             "999.1.1.1"], "failed to start", {}),
    ("replay-port", ["replay", "--symbol", "BTCUSDT", "--port", "70000"], "--port 70000", {}),
    # inject
    ("inject-no-session", ["inject", "--symbol", "BTCUSDT", "--side", "buy", "--state",
                           "{dir}"], "no paper session is running", {}),
    ("inject-side", ["inject", "--symbol", "BTCUSDT", "--side", "hold"], "--side 'hold'", {}),
    ("inject-confidence", ["inject", "--symbol", "BTCUSDT", "--side", "buy", "--confidence",
                           "2", "--state", "{dir}"], "--confidence 2", {}),
    ("inject-state-file", ["inject", "--symbol", "BTCUSDT", "--side", "buy", "--state",
                           "{file}"], "control.json", {}),
    ("inject-qty-word", ["inject", "--symbol", "BTCUSDT", "--side", "buy", "--qty", "abc"],
     "--qty: invalid float value", {}),
    # stream (refused before it connects)
    ("stream-depth", ["stream", "--symbols", "BTCUSDT", "--book-depth", "7"],
     "--book-depth '7'", {}),
    ("stream-timeframe", ["stream", "--symbols", "BTCUSDT", "--timeframes", "7q",
                          "--base-url", DEAD_URL], "unknown timeframe '7q'", {}),
    ("stream-base-url", ["stream", "--symbols", "BTCUSDT", "--base-url", "notaurl"],
     "'notaurl'", {}),
    ("stream-symbols-empty", ["stream", "--symbols", "", "--base-url", DEAD_URL],
     "--symbols is empty", {}),
    ("stream-bars-zero", ["stream", "--symbols", "BTCUSDT", "--bars", "0"], "--bars 0", {}),
    # paper (refused before anything is locked, bound or written)
    ("paper-source", ["paper", "--source", "nowhere", "--state", "{out}", "--no-metrics"],
     "--source 'nowhere'", {}),
    ("paper-strategy", ["paper", "--source", "replay", "--strategy", "Nope", "--state",
                        "{out}", "--no-metrics"], "unknown strategy 'Nope'", {}),
    ("paper-state-file", ["paper", "--source", "replay", "--state", "{file}", "--no-metrics"],
     "a file, not a folder", {}),
    ("paper-timeframe", ["paper", "--source", "replay", "--strategy", "RSIEMAMomentum",
                         "--timeframe", "7q", "--state", "{out}", "--no-metrics"],
     "unknown timeframe '7q'", {}),
    ("paper-fill-model", ["paper", "--fill-model", "magic"], "--fill-model 'magic'", {}),
    ("paper-replay-data-binary", ["paper", "--source", "replay", "--replay-data", "{binary}",
                                  "--state", "{out}", "--no-metrics"], "unknown layout", {}),
    ("paper-metrics-port-in-use", ["paper", "--source", "replay", "--state", "{out}",
                                   "--metrics-port", "{busy_port}"], "is already in use", {}),
    ("paper-metrics-port", ["paper", "--source", "replay", "--metrics-port", "99999"],
     "--metrics-port 99999", {}),
    ("paper-stop-file-exists", ["paper", "--source", "replay", "--state", "{out}",
                                "--stop-file", "{dir}", "--no-metrics"],
     "already exists, so the session would stop at once", {}),
    ("paper-config-file", ["paper", "--source", "replay", "--state", "{out}", "--no-metrics",
                           "--config-dir", "{file}"], "a file, not a folder", {}),
    ("paper-params-list", ["paper", "--source", "replay", "--state", "{out}", "--no-metrics",
                           "--strategy", "RSIEMAMomentum", "--params-file", "{params_list}"],
     "expected {", {}),
    ("paper-telegram-chat-id", ["paper", "--source", "replay", "--state", "{out}",
                                "--no-metrics", "--config-dir", "{cfg:alert_telegram_on}"],
     "TELEGRAM_CHAT_ID", {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_CHAT_ID": "notanumber"}),
    # bot
    ("bot-status-lines", ["bot", "status", "--lines", "-1"], "--lines -1", {}),
    ("bot-status-http-timeout", ["bot", "status", "--http-timeout", "0"],
     "--http-timeout 0", {}),
    ("bot-stop-timeout", ["bot", "stop", "--timeout", "-1"], "--timeout -1", {}),
    ("bot-force-stop-timeout", ["bot", "force-stop", "--timeout", "abc"],
     "--timeout: invalid float value", {}),
    ("bot-start-unknown", ["bot", "start", "--run-dir", "{out}", "--bogus"],
     "unknown paper argument(s) --bogus", {}),
    ("bot-start-run-dir-file", ["bot", "start", "--run-dir", "{file}", "--source", "replay"],
     "cannot create it", {}),
    ("bot-start-state-file", ["bot", "start", "--run-dir", "{out}", "--source", "replay",
                              "--state", "{file}"], "--state {file}: a file, not a folder", {}),
    ("bot-start-stop-file-exists", ["bot", "start", "--run-dir", "{out}", "--source", "replay",
                                    "--stop-file", "{text}"], "already exists", {}),
    ("bot-restart-config-file", ["bot", "restart", "--run-dir", "{out}", "--config-dir",
                                 "{file}"], "--config-dir {file}: a file", {}),
    ("bot-status-run-dir-file", ["bot", "status", "--run-dir", "{file}"],
     "cannot read the PID file", {}),
    ("bot-resume-no-session", ["bot", "resume-entries", "--state", "{dir}", "--run-dir",
                               "{out}"], "no paper session is running", {}),
    ("bot-unknown-action", ["bot", "jump"], "'jump' is not an action", {}),
    ("bot-restart-timeout-nan", ["bot", "restart", "--run-dir", "{out}", "--timeout", "nan"],
     "--timeout nan", {}),
    ("exporter-sqlite-no-file", [*EXPORTER, "sqlite:///"], "names no database file", {}),
    ("exporter-sqlite-memory", [*EXPORTER, "sqlite:///:memory:"], "names no database file",
     {}),
    ("bot-status-lines-huge", ["bot", "status", "--lines", "100000000000"],
     "expected 0 to 10000 log lines", {}),
    ("bot-stop-run-dir-file", ["bot", "stop", "--run-dir", "{file}"],
     "is a file, not a folder", {}),
    ("bot-force-stop-run-dir-below-file", ["bot", "force-stop", "--run-dir", "{file}/run"],
     "is a file, not a folder", {}),
    ("paper-metrics-host-unresolvable", ["paper", "--source", "replay", "--state", "{out}",
                                         "--metrics-host", "999.0.0.1", "--metrics-port", "0"],
     "--metrics-host 999.0.0.1: not a usable address", {}),
    ("paper-symbols-empty", ["paper", "--source", "replay", "--symbols", "", "--state",
                             "{out}", "--no-metrics"], "--symbols '': no symbol given", {}),
    ("paper-symbols-commas", ["paper", "--source", "replay", "--symbols", " , ", "--state",
                              "{out}", "--no-metrics"], "no symbol given", {}),
    ("backtest-symbol-empty", [*BT, "--symbol", ""], "--symbol '': expected a name", {}),
    ("backtest-symbol-blank", [*BT, "--symbol", "  "], "not an empty string", {}),
]


class WouldStart(Exception):
    """A server was about to start: the bad input was accepted."""


def _fixtures(root: Path) -> dict[str, str]:
    """Scratch files, by placeholder name."""
    root.mkdir()
    (root / "obj.json").write_text('{"a": 1}\n')
    (root / "binary.bin").write_bytes(bytes(range(256))[::-1] * 16)
    (root / "empty.txt").write_bytes(b"")
    (root / "adir").mkdir()
    (root / "notes.txt").write_text("hello\n")
    (root / "study.db").write_bytes(b"SQLite format 3\x00" + bytes(100))
    (root / "header.csv").write_text("datetime,open,high,low,close,volume\n")
    (root / "semi.csv").write_text("a;b;c\n1;2;3\n")
    (root / "syntax.py").write_text("import backtrader as bt\nclass S(bt.Strategy)\n  pass\n")
    (root / "strat.py").write_text("import backtrader as bt\n\n\nclass S(bt.Strategy):\n"
                                   "    params = (('n', 5),)\n")
    (root / "space_list.json").write_text("[1, 2]")
    (root / "space_bad.json").write_text('{"n": {"type": "int", "low": 1, "high": 5}}')
    (root / "params_list.json").write_text("[1]")
    (root / "funding.csv").write_text("time,rate\nxx,yy\n")
    return {"file": "obj.json", "binary": "binary.bin", "empty": "empty.txt", "dir": "adir",
            "text": "notes.txt", "sqlite": "study.db", "header_csv": "header.csv",
            "semicolon_csv": "semi.csv", "syntax_py": "syntax.py", "strategy_py": "strat.py",
            "space_list": "space_list.json", "space_bad": "space_bad.json",
            "params_list": "params_list.json", "funding_csv": "funding.csv"}


def _config_dir(root: Path, name: str) -> Path:
    folder = root / "cfg" / name
    shutil.copytree(REPO / "configs", folder)
    file, content = CONFIGS[name]
    path = folder / file
    if callable(content):
        content = json.dumps(content(json.loads(path.read_text())))
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return folder


def _expand(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file below *root* with its size and modification time, and every folder.

    A folder's own time is left out: a write check may make and remove a temporary folder.
    """
    return {str(p.relative_to(root)): (0, 0) if p.is_dir() else
            (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.parametrize(("argv", "fragment", "env"),
                         [pytest.param(a, f, e, id=i) for i, a, f, e in CASES])
def test_bad_input_is_one_error_line(argv: list[str], fragment: str, env: dict[str, str],
                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixtures = tmp_path / "fx"
    values = {key: str(fixtures / name) for key, name in _fixtures(fixtures).items()}
    values.update(tmp=str(fixtures), missing=str(fixtures / "missing"),
                  out=str(tmp_path / "out"))
    for name in CONFIGS:
        if any(f"{{cfg:{name}}}" in arg for arg in argv):
            values[f"cfg:{name}"] = str(_config_dir(tmp_path, name))
    cwd = tmp_path / "cwd"
    shutil.copytree(REPO / "configs", cwd / "configs")
    monkeypatch.chdir(cwd)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def would_start(*_: object) -> None:
        raise WouldStart

    # Accepted input would exec Streamlit or serve until Ctrl-C: fail the case instead.
    monkeypatch.setattr(os, "execv", would_start)
    monkeypatch.setattr("backtrader_engine.commands.study_exporter._wait_for_stop", would_start)
    before = _snapshot(tmp_path)

    with socket.socket() as busy:  # a port something listens on
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        values["busy_port"] = str(busy.getsockname()[1])
        result = run_cli(*[_expand(arg, values) for arg in argv])

    lines = [line for line in result.err.splitlines() if line.strip()]
    assert result.code == 2, (result.code, result.out, result.err)
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: "), lines[0]
    assert _expand(fragment, values) in lines[0], lines[0]
    assert "Traceback" not in result.err + result.out
    assert _snapshot(tmp_path) == before, "the refused command wrote files"
