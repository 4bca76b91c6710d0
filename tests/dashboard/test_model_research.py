"""Backtest reports and optimisation studies found on disk, and shaped into tables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from backtrader_engine.dashboard.model import find_reports, find_studies, load_report, load_study
from backtrader_engine.dashboard.model.research import (
    HEADLINE_METRICS,
    metrics_frame,
    reports_frame,
    studies_frame,
)


def test_reports_are_found_read_and_a_damaged_one_says_why(tmp_path: Path,
                                                           made_report: Path) -> None:
    shutil.copytree(made_report, tmp_path / "group" / "rsi")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "report.json").write_text("{ nope")
    (tmp_path / "a" / "b" / "c" / "d" / "e").mkdir(parents=True)  # beyond the search depth
    shutil.copy2(made_report / "report.json", tmp_path / "a" / "b" / "c" / "d" / "e")
    entries = {e.name: e for e in find_reports(tmp_path)}
    assert set(entries) == {"group/rsi", "broken"}
    good = entries["group/rsi"]
    document = json.loads((made_report / "report.json").read_text())
    assert good.strategy == "RSIEMAMomentumStrategy" and good.symbol == "BTCUSD"
    assert good.metrics == document["metrics"] and good.problem is None
    assert "broken/report.json: unreadable (JSONDecodeError" in entries["broken"].problem
    frame = reports_frame(list(entries.values()))
    assert list(frame.columns[5:11]) == list(HEADLINE_METRICS)
    detail = load_report(good.path)
    assert set(detail.plots) == {"equity.png", "trades.png"}
    assert len(detail.trades) == document["metrics"]["trades"] + document["metrics"][
        "open_trades"]
    assert detail.risk_gate is not None and "signals" in json.dumps(detail.risk_gate)
    assert detail.manifest["params"] == document["manifest"]["params"]
    table = metrics_frame(good.metrics)
    assert len(table) == len(good.metrics) and table["value"].map(type).eq(str).all()


def test_report_equity_is_read_from_parquet_or_from_the_csv_of_older_reports(
        tmp_path: Path, made_report: Path) -> None:
    folder = shutil.copytree(made_report, tmp_path / "rsi")
    equity = load_report(folder).equity
    assert equity is not None and list(equity.columns[:2]) == ["datetime", "equity"]
    (folder / "equity.parquet").unlink()  # as written before the Parquet copy existed
    older = load_report(folder).equity
    assert older is not None and len(older) == len(equity)
    assert (older["equity"] - equity["equity"]).abs().max() < 1e-9  # the CSV has 10 decimals
    (folder / "equity.csv").write_text("")
    assert load_report(folder).equity is None


def test_no_folder_or_an_empty_one_has_no_reports_or_studies(tmp_path: Path) -> None:
    assert find_reports(tmp_path / "missing") == [] and find_studies(tmp_path) == []
    assert reports_frame([]).empty and studies_frame([]).empty


def test_a_study_with_oos_walk_forward_dsr_pbo_and_plots(made_study: Path) -> None:
    entries = find_studies(made_study.parent)
    assert [e.name for e in entries] == ["rsi-study"]
    summary = json.loads((made_study / "optimization_summary.json").read_text())
    row = studies_frame(entries).iloc[0]
    assert row["status"] == "finished" and row["trials"] == summary["trials"]["total"]
    assert row["DSR"] == summary["dsr"]["dsr"] and row["PBO"] == summary["pbo"]["pbo"]
    detail = load_study(made_study)
    assert detail.best_params == summary["best_params"]
    assert len(detail.trials) == summary["trials"]["total"]
    assert list(detail.samples.columns) == ["metric", "in-sample", "out-of-sample"]
    sharpe = detail.samples.set_index("metric").loc["sharpe"]
    assert sharpe["in-sample"] == f"{summary['in_sample']['metrics']['sharpe']:,.6g}"
    assert len(detail.walk_forward) == 2
    assert {"history.png", "importances.png", "oos_equity.png"} <= set(detail.plots)


def test_a_running_study_shows_its_progress(tmp_path: Path) -> None:
    folder = tmp_path / "running"
    folder.mkdir()
    (folder / "progress.json").write_text(json.dumps(
        {"trials_done": 3, "trials_total": 10, "best_value": 1.5}))
    entry = find_studies(tmp_path)[0]
    assert entry.summary is None and entry.progress["trials_done"] == 3
    row = studies_frame([entry]).iloc[0]
    assert (row["status"], row["trials"], row["best value"]) == ("running", 3, 1.5)
    detail = load_study(folder)
    assert detail.trials is None and detail.samples.empty and detail.walk_forward.empty
