"""Research: browse backtest reports and optimisation studies, and launch a backtest."""

from __future__ import annotations

import shlex
from pathlib import Path

import streamlit as st

from backtrader_engine.dashboard.model import (
    BacktestForm,
    BacktestRun,
    backtest_command,
    find_reports,
    find_studies,
    load_report,
    load_study,
    report_folder,
)
from backtrader_engine.dashboard.model import figures_text as fmt
from backtrader_engine.dashboard.model.research import (
    HEADLINE_METRICS,
    ReportDetail,
    metrics_frame,
    reports_frame,
    studies_frame,
)
from backtrader_engine.dashboard.settings import PanelSettings
from backtrader_engine.errors import UserError
from backtrader_engine.strategies import BUILTIN_STRATEGIES

_RUN = "research_backtest_run"
_OTHER = "other: path/to/file.py:ClassName"
_LABELS = {"final_value": "Final value", "total_return_pct": "Total return %",
           "max_drawdown_pct": "Max drawdown %", "sharpe": "Sharpe",
           "win_rate_pct": "Win rate %", "trades": "Closed trades"}


def render(settings: PanelSettings) -> None:
    """The research page."""
    st.header("Research")
    reports_tab, studies_tab, launch_tab = st.tabs(["Backtest reports", "Optimisation studies",
                                                    "Run a backtest"])
    with reports_tab:
        _reports(settings)
    with studies_tab:
        _studies(settings)
    with launch_tab:
        _launch(settings)


def _number(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 10_000:
            return f"{value:,.0f}"
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.2f}"
    return str(value)


def _plots(plots: dict[str, Path]) -> None:
    """The report's or study's PNG plots, two side by side."""
    items = list(plots.items())
    for start in range(0, len(items), 2):
        for column, (name, path) in zip(st.columns(2), items[start:start + 2], strict=False):
            column.image(str(path), caption=name, width="stretch")


def _reports(settings: PanelSettings) -> None:
    entries = find_reports(settings.reports_dir)
    if not entries:
        st.info(f"No backtest reports under {settings.reports_dir} yet. Run one in the "
                "'Run a backtest' tab, or with `python -m backtrader_engine backtest "
                f"--strategy NAME --out {settings.reports_dir}/NAME`.", icon=":material/info:")
        return
    st.dataframe(reports_frame(entries), hide_index=True, width="stretch")
    names = [e.name for e in entries]
    chosen = st.selectbox("Report", names, key="research_report")
    show_report(load_report(entries[names.index(chosen)].path))


def show_report(detail: ReportDetail) -> None:
    """One report: headline cards, plots, trades, every metric and the manifest."""
    entry = detail.entry
    if entry.problem:
        st.error(entry.problem)
        return
    if entry.partial:
        st.warning(f"{entry.partial}; the figures cover only the bars before it.")
    st.caption(f"{entry.strategy} · {entry.symbol} {entry.timeframe} · {entry.path}")
    columns = st.columns(len(HEADLINE_METRICS))
    for column, key in zip(columns, HEADLINE_METRICS, strict=True):
        column.metric(_LABELS[key], _number(entry.metrics.get(key)), border=True)
    _plots(detail.plots)
    with st.expander("Trades"):
        if detail.trades is None or detail.trades.empty:
            st.caption("No trades.")
        else:
            st.dataframe(detail.trades, hide_index=True, width="stretch")
    with st.expander("All metrics"):
        st.dataframe(metrics_frame(entry.metrics), hide_index=True, width="stretch")
    if detail.risk_gate:
        with st.expander("Risk gate"):
            st.json(detail.risk_gate, expanded=False)
    with st.expander("Manifest (how to repeat this run)"):
        st.json(detail.manifest, expanded=False)


def _studies(settings: PanelSettings) -> None:
    entries = find_studies(settings.studies_dir)
    if not entries:
        st.info(f"No optimisation studies under {settings.studies_dir} yet. Start one with "
                "`python optimize.py --strategy NAME --n-jobs 2 --trials 50`.",
                icon=":material/info:")
        return
    st.dataframe(studies_frame(entries), hide_index=True, width="stretch")
    names = [e.name for e in entries]
    chosen = st.selectbox("Study", names, key="research_study")
    detail = load_study(entries[names.index(chosen)].path)
    summary = detail.entry.summary
    if detail.entry.problem:
        st.error(detail.entry.problem)
    if summary is None:
        progress = detail.entry.progress or {}
        st.info(f"Still running: {progress.get('trials_done', 0)} of "
                f"{progress.get('trials_total', '?')} trials done; best so far "
                f"{_number(progress.get('best_value'))}.", icon=":material/hourglass_top:")
        return
    best = summary.get("best") or {}
    dsr, pbo = summary.get("dsr") or {}, summary.get("pbo") or {}
    wfe = (summary.get("walk_forward") or {}).get("efficiency")
    cards = [("Best " + str(summary.get("metric", "value")), best.get("value")),
             ("Trials", (summary.get("trials") or {}).get("total")), ("DSR", dsr.get("dsr")),
             ("PBO", pbo.get("pbo")), ("Walk-forward eff.", wfe)]
    for column, (label, value) in zip(st.columns(len(cards)), cards, strict=True):
        column.metric(label, _number(value), border=True)
    st.caption(f"{summary.get('strategy')} · {summary.get('status')} · "
               f"{fmt.duration(summary.get('duration_s'))} · {detail.entry.path}")
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.subheader("Best params")
        st.json(detail.best_params or {}, expanded=True)
    with right, st.container(border=True):
        st.subheader("In-sample vs out-of-sample")
        if detail.samples.empty:
            st.caption("No out-of-sample check (--oos-fraction 0).")
        else:
            st.dataframe(detail.samples, hide_index=True, width="stretch")
    if not detail.walk_forward.empty:
        st.subheader("Walk-forward windows")
        st.dataframe(detail.walk_forward, hide_index=True, width="stretch")
    _plots(detail.plots)
    with st.expander("Trials"):
        if detail.trials is None:
            st.caption("No trials.csv.")
        else:
            st.dataframe(detail.trials, hide_index=True, width="stretch")


def _launch(settings: PanelSettings) -> None:
    with st.form("research_backtest_form"):
        choices = [*BUILTIN_STRATEGIES, _OTHER]
        picked = st.selectbox("Strategy", choices, key="bt_strategy")
        custom = st.text_input("Strategy file (with 'other')", key="bt_strategy_file",
                               placeholder="path/to/my_strategy.py:MyStrategy")
        data = st.text_input("Data", key="bt_data",
                             placeholder="empty: the bundled BTC 1h candles")
        left, right = st.columns(2)
        start = left.text_input("From", key="bt_from", placeholder="2018-01-01")
        end = right.text_input("To", key="bt_to", placeholder="2018-12-31")
        cash = left.number_input("Cash (USDT)", min_value=1.0, value=10_000.0, key="bt_cash")
        leverage = right.number_input("Leverage", min_value=1.0, value=1.0, key="bt_leverage")
        params = st.text_area("Params (name=value, one per line)", key="bt_params")
        gate = st.checkbox("Risk gate", key="bt_risk_gate")
        submitted = st.form_submit_button("Run backtest", type="primary")
    if submitted:
        form = BacktestForm(strategy=custom if picked == _OTHER else picked, data=data,
                            start=start, end=end, cash=cash, leverage=leverage, params=params,
                            risk_gate=gate)
        try:
            out = report_folder(settings.reports_dir, form.strategy)
            command = backtest_command(form, out, settings.config_dir)
        except UserError as exc:
            st.error(str(exc))
        else:
            previous = st.session_state.get(_RUN)
            if previous is not None:
                previous.cancel()
            st.session_state[_RUN] = BacktestRun(command, out)
    run: BacktestRun | None = st.session_state.get(_RUN)
    if run is None:
        return
    # Poll while it runs (a fragment refreshing every second); draw the result once.
    if run.poll().status == "running":
        st.fragment(_progress, run_every=1.0)(run)
    else:
        _result(run)


def _progress(run: BacktestRun) -> None:
    state = run.poll()
    if state.status != "running":
        st.rerun()
    with st.container(border=True, key="backtest_progress"), st.status(
            f"Backtest running · {fmt.duration(state.elapsed_s)}", state="running",
            expanded=True):
        st.caption(shlex.join(["python", *run.command[1:]]))
        st.code("\n".join(state.output) or "starting…", language=None)


def _result(run: BacktestRun) -> None:
    state = run.poll()
    with st.container(border=True, key="backtest_result"):
        st.caption(shlex.join(["python", *run.command[1:]]))
        if state.status == "failed":
            st.error(f"The backtest failed (exit code {state.exit_code}) after "
                     f"{fmt.duration(state.elapsed_s)}; its output is below and in "
                     f"{run.log_path}.")
            st.code("\n".join(state.output), language=None)
            return
        st.success(f"Backtest finished in {fmt.duration(state.elapsed_s)}; report in "
                   f"{run.out_dir} (also listed under 'Backtest reports').")
        show_report(load_report(run.out_dir))
