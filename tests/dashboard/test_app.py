"""The panel in Streamlit's AppTest: control buttons by bot state, STOP confirmation, live
figures from a real ledger, and helpful empty states instead of exceptions."""

from __future__ import annotations

import dataclasses
import json
import shlex
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.proto.TextInput_pb2 import TextInput as TextInputProto
from streamlit.testing.v1 import AppTest

from backtrader_engine.config import RiskConfig
from backtrader_engine.dashboard.model import figures_text as fmt
from backtrader_engine.dashboard.navigation import PAGES
from backtrader_engine.exchanges.bybit.replay import ReplayServer
from backtrader_engine.operations import RunPaths, bot_status, live_status, read_snapshot
from backtrader_engine.paper.session import PaperSession
from backtrader_engine.service.pidfile import read_pid_file, write_pid_file

from .conftest import PanelDirs, dead_pid, no_exception, paper_args, write_pid_record


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_a_stopped_bot_enables_start_only(panel: Callable[..., AppTest], dirs: PanelDirs
                                          ) -> None:
    app = panel(dirs.argv())
    no_exception(app)
    assert app.button(key="bot_start").disabled is False
    assert app.button(key="bot_stop").disabled is True
    assert ":gray-badge[STOPPED]" in _texts(app.markdown)
    assert "no bot running" in _texts(app.caption)
    assert f"state {dirs.state}" in _texts(app.caption)  # no bot: the panel's own ledger
    # The START options carry the panel's own ledger and config folders.
    start_args = app.text_input(key="bot_start_args").value
    assert f"--state {dirs.state}" in start_args and f"--config-dir {dirs.configs}" in start_args


def test_a_running_bot_enables_stop_and_asks_before_stopping(
        panel: Callable[..., AppTest], dirs: PanelDirs, sleeper) -> None:
    bot = sleeper()
    record = write_pid_record(dirs, bot.pid)
    app = panel(dirs.argv())
    no_exception(app)
    assert app.button(key="bot_start").disabled is True
    assert app.button(key="bot_stop").disabled is False
    assert ":green-badge[RUNNING]" in _texts(app.markdown)
    assert f"PID {bot.pid}" in _texts(app.caption)
    assert "python bot.py" in _texts(app.code)  # the command line of the PID file
    # STOP only asks; Cancel leaves the bot alone.
    app.button(key="bot_stop").click().run()
    assert app.button(key="bot_stop_confirm").label == "Confirm stop"
    assert f"Stop the bot (PID {bot.pid})?" in _texts(app.warning)
    app.button(key="bot_stop_cancel").click().run()
    assert not [b for b in app.button if b.key == "bot_stop_confirm"]
    assert bot.poll() is None and bot_status(run_dir=dirs.run).running
    # STOP, then Confirm stop: the bot is stopped through stop_bot and the card says so.
    app.button(key="bot_stop").click().run()
    app.button(key="bot_stop_confirm").click().run()
    no_exception(app)
    assert bot.wait(10) is not None
    assert bot_status(run_dir=dirs.run).state == "stopped"
    assert f"bot (PID {record.pid}) stopped gracefully" in _texts(app.success)
    assert ":gray-badge[STOPPED]" in _texts(app.markdown)
    assert app.button(key="bot_start").disabled is False
    assert app.button(key="bot_stop").disabled is True


def test_a_stale_pid_file_reads_not_running_and_allows_start(
        panel: Callable[..., AppTest], dirs: PanelDirs) -> None:
    write_pid_record(dirs, dead_pid(), create_time=1.0)
    app = panel(dirs.argv())
    no_exception(app)
    assert ":orange-badge[NOT RUNNING (stale PID file)]" in _texts(app.markdown)
    assert app.button(key="bot_start").disabled is False
    assert app.button(key="bot_stop").disabled is True


def test_a_corrupt_pid_file_is_reported_not_raised(panel: Callable[..., AppTest],
                                                   dirs: PanelDirs) -> None:
    dirs.run.mkdir()
    (dirs.run / "bot.pid").write_text("{not json")
    app = panel(dirs.argv())
    no_exception(app)
    assert "bot.pid" in _texts(app.error) and "invalid JSON" in _texts(app.error)
    assert ":red-badge[UNKNOWN]" in _texts(app.markdown)


def test_start_launches_the_bot_with_the_panel_arguments(
        panel: Callable[..., AppTest], dirs: PanelDirs) -> None:
    app = panel(dirs.argv("--bot-args=" + shlex.join(paper_args(dirs.state)[2:])))
    app.button(key="bot_start").click().run()
    no_exception(app)
    status = bot_status(run_dir=dirs.run)
    assert status.running, _texts(app.error)
    assert status.state_dir == str(dirs.state)
    assert f"Bot started, PID {status.pid}" in _texts(app.success)
    assert app.button(key="bot_stop").disabled is False


def test_start_refusing_bad_arguments_shows_the_reason(panel: Callable[..., AppTest],
                                                      dirs: PanelDirs) -> None:
    app = panel(dirs.argv())
    app.text_input(key="bot_start_args").input("--source replay --no-such-option").run()
    app.button(key="bot_start").click().run()
    no_exception(app)
    assert "--no-such-option" in _texts(app.error)
    assert bot_status(run_dir=dirs.run).state == "stopped"


def test_the_sidebar_names_the_running_bots_own_state_folder(
        panel: Callable[..., AppTest], dirs: PanelDirs, sleeper, tmp_path: Path) -> None:
    bot = sleeper()
    write_pid_record(dirs, bot.pid)
    paths = RunPaths.of(dirs.run)
    bot_state = tmp_path / "bot-state"
    record = read_pid_file(paths.pid_file)
    assert record is not None
    write_pid_file(paths.pid_file, dataclasses.replace(record, state_dir=str(bot_state)))
    app = panel(dirs.argv())
    no_exception(app)
    captions = _texts(app.caption)
    assert f"state {bot_state} (the bot's)" in captions
    assert f"state {dirs.state}" not in captions


def test_live_view_shows_the_ledger_figures_of_a_bot_that_is_down(
        panel: Callable[..., AppTest], dirs: PanelDirs, ledger: Path) -> None:
    snap = read_snapshot(ledger)
    app = panel(dirs.argv())
    no_exception(app)
    assert _metric(app, "Portfolio value") == fmt.money(snap.portfolio_value)
    assert _metric(app, "PnL") == fmt.money(snap.pnl, signed=True)
    assert _metric(app, "Drawdown") == fmt.percent(snap.drawdown_pct)
    assert _metric(app, "Win rate") == fmt.percent(snap.win_rate * 100, digits=1)
    assert _metric(app, "Open orders") == str(len(snap.open_orders))
    assert _metric(app, "Signals generated") == str(snap.signals_generated)
    assert _metric(app, "Rejected") == str(sum(snap.signals_rejected.values()))
    assert "Bot not running" in _texts(app.warning)
    assert "known only while the bot runs" in _texts(app.caption)
    assert app.selectbox(key="live_symbol").value == "BTCUSDT"
    tables = [d.value for d in app.dataframe]
    assert any(set(t.columns) >= {"reason", "count"} and t["count"].sum() ==
               sum(snap.signals_rejected.values()) for t in tables)
    assert any("position_after" in t.columns and len(t) == 20 for t in tables)
    # Open positions and orders are plain HTML tables, one row each.
    html = "\n".join(str(e.proto.body) for e in app.get("html"))
    held = [a for a in snap.accounts if a.position]
    assert held and all(f"<td>{a.name}</td>" in html for a in held)
    assert html.count('<table class="bte-table">') == 2
    # Equity with drawdown below it, and the rejections per day (a replay spans weeks).
    specs = _chart_specs(app)
    equity = next(spec for spec in specs if "vconcat" in spec)
    assert len(equity["data"]["values"]) == len(snap.equity)
    assert app.selectbox(key="live_rejection_period").value == "day"
    rejected = [spec for spec in specs if spec.get("encoding", {}).get("color", {})
                .get("field") == "reason"]
    assert len(rejected) == 2  # signals (risk gate) and orders (broker)
    assert sum(v["count"] for v in rejected[0]["data"]["values"]) == \
        sum(snap.signals_rejected.values())


def _chart_specs(app: AppTest) -> list[dict]:
    """The page's Vega-Lite specs, each with its rows back under ``data.values`` (Streamlit
    sends them beside the spec, as an Arrow table)."""
    specs = []
    for element in app.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if element.proto.data.data:
            rows = pa.ipc.open_stream(element.proto.data.data).read_pandas()
            spec["data"] = {"values": rows.to_dict(orient="records")}
        specs.append(spec)
    return specs


def test_strategies_page_charts_pnl_per_strategy_and_symbol(
        panel: Callable[..., AppTest], dirs: PanelDirs, ledger: Path) -> None:
    snap = read_snapshot(ledger)
    app = panel(dirs.argv(), page="Strategies")
    no_exception(app)
    assert "PnL per strategy × symbol" in [h.value for h in app.subheader]
    spec = next(s for s in _chart_specs(app) if s["encoding"]["x"]["field"] == "pnl")
    values = spec["data"]["values"]
    assert {v["label"] for v in values} == {f"{a.strategy} · {a.symbol}" for a in snap.accounts}
    assert sum(v["pnl"] for v in values) == pytest.approx(snap.pnl)


@pytest.mark.parametrize("page", [p.title for p in PAGES])
def test_every_page_renders_a_helpful_empty_state(panel: Callable[..., AppTest],
                                                  dirs: PanelDirs, page: str) -> None:
    app = panel(dirs.argv(), page=page)
    no_exception(app)
    shown = _texts(app.info) + _texts(app.caption) + _texts(app.markdown)
    expected = {"Live": "Start the bot with START", "Strategies": "No session ledger",
                "System health": "the bot is not running", "Research": "No backtest reports",
                "Config": "Effective configuration"}[page]
    assert expected in shown


def test_a_corrupt_ledger_is_a_message_on_every_page(panel: Callable[..., AppTest],
                                                     dirs: PanelDirs) -> None:
    dirs.state.mkdir()
    (dirs.state / "ledger.sqlite").write_bytes(b"this is not a database" * 100)
    for page in (p.title for p in PAGES):
        app = panel(dirs.argv(), page=page)
        no_exception(app)
    app = panel(dirs.argv())
    assert "unreadable ledger" in _texts(app.info)


def test_research_browses_reports_and_studies(panel: Callable[..., AppTest], dirs: PanelDirs,
                                              made_report: Path, made_study: Path) -> None:
    app = panel(["--reports", str(made_report.parent), "--studies", str(made_study.parent),
                 *dirs.argv()[:4], "--config-dir", str(dirs.configs)], page="Research")
    no_exception(app)
    labels = [m.label for m in app.metric]
    assert {"Total return %", "Sharpe", "Closed trades"} <= set(labels)
    assert {"Best rmd", "DSR", "PBO", "Walk-forward eff."} <= set(labels)
    assert app.selectbox(key="research_report").value == "rsi"
    assert app.selectbox(key="research_study").value == "rsi-study"


def test_a_backtest_launched_from_the_panel_appears_with_its_report(
        panel: Callable[..., AppTest], dirs: PanelDirs) -> None:
    app = panel(dirs.argv(), page="Research")
    app.selectbox(key="bt_strategy").set_value("RSIEMAMomentumStrategy")
    app.text_input(key="bt_from").input("2018-01-01")
    app.text_input(key="bt_to").input("2018-02-28")
    app.text_area(key="bt_params").input("rsi_period=10")
    next(b for b in app.button if b.label == "Run backtest").click().run()
    no_exception(app)
    deadline = time.monotonic() + 120
    while "Backtest finished" not in _texts(app.success):
        assert not app.error, _texts(app.error) + _texts(app.code)
        assert time.monotonic() < deadline, "the backtest did not finish"
        time.sleep(0.5)
        app.run()
    reports = list((dirs.reports / "panel").glob("RSIEMAMomentumStrategy-*/report.json"))
    assert len(reports) == 1
    assert "--param rsi_period=10" in _texts(app.caption)
    assert "Closed trades" in [m.label for m in app.metric]


def test_a_bad_param_in_the_launch_form_is_refused(panel: Callable[..., AppTest],
                                                   dirs: PanelDirs) -> None:
    app = panel(dirs.argv(), page="Research")
    app.text_area(key="bt_params").input("rsi_period")
    next(b for b in app.button if b.label == "Run backtest").click().run()
    no_exception(app)
    assert "expected name=value" in _texts(app.error)
    assert not (dirs.reports / "panel").exists()


def test_bad_panel_options_are_a_message(panel: Callable[..., AppTest], dirs: PanelDirs
                                         ) -> None:
    app = panel(dirs.argv("--refresh", "0"))
    no_exception(app)
    assert "--refresh 0" in _texts(app.error)


def _signed_in(app: AppTest) -> bool:
    """Whether anything behind the gate is drawn (the control card's START button)."""
    return any(b.key == "bot_start" for b in app.button)


def _sign_in(app: AppTest, password: str) -> None:
    app.text_input(key="auth_password").input(password)
    next(b for b in app.button if b.label == "Sign in").click().run()


def test_the_password_gate(panel: Callable[..., AppTest], dirs: PanelDirs,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "correct horse battery")
    app = panel(dirs.argv())
    no_exception(app)
    assert not _signed_in(app) and not app.header  # nothing behind the gate yet
    assert app.text_input(key="auth_password").proto.type == TextInputProto.PASSWORD
    _sign_in(app, "wrong")
    assert "Wrong password" in _texts(app.error)
    assert not _signed_in(app) and not app.header
    _sign_in(app, "correct horse battery")
    no_exception(app)
    assert _signed_in(app) and [h.value for h in app.header] == ["Live"]
    assert "correct horse battery" not in _texts(app.markdown) + _texts(app.caption)


@pytest.mark.parametrize("page", [p.title for p in PAGES])
def test_every_page_is_behind_the_gate_and_kept_through_signing_in(
        panel: Callable[..., AppTest], dirs: PanelDirs, monkeypatch: pytest.MonkeyPatch,
        page: str) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "s3cret")
    app = panel(dirs.argv(), page=page)  # a deep link to the page
    no_exception(app)
    assert not _signed_in(app) and not app.header
    assert [t.key for t in app.text_input] == ["auth_password"]
    _sign_in(app, "s3cret")
    no_exception(app)
    assert _signed_in(app)
    expected = {"Config": "Configuration"}.get(page, page)
    assert [h.value for h in app.header] == [expected]


def test_resume_entries_clears_a_halted_breaker_of_the_running_session(
        panel: Callable[..., AppTest], dirs: PanelDirs, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession]) -> None:
    # Every live book's spread is above this limit: the spread breaker halts on the first bar.
    risk = RiskConfig.model_validate({"max_spread_pct": 1e-9,
                                      "breakers": {"spread": {"mode": "halt"}}})
    session = idle_session(dirs.state, three_symbol_replay, risk=risk)
    try:
        deadline = time.monotonic() + 60
        while not ((live_status(dirs.state) or {}).get("breakers", {}).get("spread", {})
                   .get("open")):
            assert time.monotonic() < deadline, "the spread breaker never tripped"
            time.sleep(0.05)
        app = panel(dirs.argv())
        no_exception(app)
        assert "Halted until an operator resumes: spread" in _texts(app.warning)
        app.button(key="live_resume").click().run()
        no_exception(app)
        assert "New entries allowed again; halted breakers cleared: spread" in _texts(
            app.success)
    finally:
        session.stop()
    assert session.gate is not None and session.gate.breakers["spread"].resumes == 1
