"""``bte study list`` and ``bte study show`` on a real study, in its default place and others."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli

RANGE = ("--from", "2018-01-01", "--to", "2018-02-28")


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    """``runs/optimize/rsi`` of a 3-trial study (trial 0: the defaults)."""
    root = tmp_path_factory.mktemp("studies")
    out = root / "runs" / "optimize" / "rsi"
    result = run_cli("optimize", "--strategy", "RSIEMAMomentumStrategy", *RANGE, "--trials", "3",
                     "--min-trades", "0", "--seed", "2", "--oos-fraction", "0", "--no-plots",
                     "--study-name", "rsi", "--out", str(out))
    assert result.code == 0, result.err
    return out


@pytest.fixture
def in_clone(study_dir: Path, fresh_cwd: Path) -> Path:
    """A working folder whose runs/optimize holds the study, as after a default run."""
    shutil.copytree(study_dir, fresh_cwd / "runs" / "optimize" / "rsi")
    return fresh_cwd


def _summary(study_dir: Path) -> dict:
    return json.loads((study_dir / "optimization_summary.json").read_text())


def test_list_reads_the_default_folder(cli, in_clone, study_dir):
    result = cli("study", "list")
    assert result.code == 0, result.err
    header, row = result.out.splitlines()
    assert header.split()[:8] == ["study", "strategy", "metric", "direction", "complete",
                                  "pruned", "failed", "best"]
    best = _summary(study_dir)["best"]
    cells = row.split()
    assert cells[:7] == ["rsi", "RSIEMAMomentumStrategy", "rmd", "maximize", "3", "0", "0"]
    assert f"(#{best['trial']})" in row and cells[-1] == "runs/optimize/rsi/study.journal"


@pytest.mark.parametrize("where", ["folder", "study folder", "journal", "sqlite"])
def test_list_accepts_every_way_of_naming_a_storage(cli, study_dir, tmp_path, where):
    storage = {"folder": str(study_dir.parent), "study folder": str(study_dir),
               "journal": str(study_dir / "study.journal")}.get(where)
    if where == "sqlite":
        storage = f"sqlite:///{tmp_path / 'studies.db'}"
        made = cli("optimize", "--strategy", "RSIEMAMomentumStrategy", *RANGE, "--trials", "1",
                   "--min-trades", "0", "--oos-fraction", "0", "--no-plots", "--study-name",
                   "in-db", "--storage", storage, "--out", str(tmp_path / "out"))
        assert made.code == 0, made.err
    result = cli("study", "list", "--storage", storage)
    assert result.code == 0, result.err
    rows = result.out.splitlines()[1:]
    assert len(rows) == 1
    assert rows[0].split()[0] == ("in-db" if where == "sqlite" else "rsi")


def test_an_empty_default_folder_is_said_to_be_empty(cli, fresh_cwd):
    result = cli("study", "list")
    assert result.code == 0 and result.out.startswith("no studies in runs/optimize")


def test_show_prints_the_best_trial_with_its_metrics(cli, in_clone, study_dir):
    summary = _summary(study_dir)
    best = summary["best"]
    result = cli("study", "show", "rsi")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("study rsi  RSIEMAMomentumStrategy  metric rmd (maximize)  "
                               "3 trials")
    assert lines[1] == f"trial {best['trial']} (best)"
    assert "state     COMPLETE" in lines and any(ln.startswith("duration  ") for ln in lines)
    params = lines[lines.index("params") + 1:lines.index("metrics")]
    assert {ln.split()[0] for ln in params} == set(best["params"])
    assert any(ln.split() == ["rmd", f"{best['value']:.6g}"] for ln in lines)
    assert any(ln.split()[0] == "trades" for ln in lines)


def test_show_a_chosen_trial(cli, in_clone, study_dir):
    best = _summary(study_dir)["best"]["trial"]
    result = cli("study", "show", "rsi", "--trial", "0")
    assert result.code == 0, result.err
    assert ("note      the strategy's default params (trial 0 of the study)"
            in result.out.splitlines())
    if best != 0:
        assert f"trial 0 (not the best; the best is trial {best})" in result.out


def test_unknown_study_names_the_closest(cli, in_clone, one_clear_line):
    line = one_clear_line(cli("study", "show", "rsj"))
    assert line.startswith("error: study 'rsj' not found in runs/optimize/rsi/study.journal; "
                           "closest: rsi")


def test_unknown_trial_names_the_range(cli, in_clone, one_clear_line):
    line = one_clear_line(cli("study", "show", "rsi", "--trial", "7"))
    assert line == "error: --trial 7: study 'rsi' has no such trial; its trials are numbered 0..2"


def test_storage_that_holds_no_study_is_refused(cli, tmp_path, one_clear_line):
    empty = tmp_path / "empty"
    empty.mkdir()
    line = one_clear_line(cli("study", "list", "--storage", str(empty)))
    assert "holds no study.journal" in line
    line = one_clear_line(cli("study", "show", "x", "--storage", str(tmp_path / "missing")))
    assert "no such file or folder" in line
    line = one_clear_line(cli("study", "list", "--storage", "redis://host/0"))
    assert "unsupported scheme 'redis'" in line


def test_study_without_best_trial_is_refused_until_a_trial_is_named(cli, tmp_path,
                                                                     one_clear_line):
    out = tmp_path / "few"
    made = cli("optimize", "--strategy", "RSIEMAMomentumStrategy", *RANGE, "--trials", "1",
               "--min-trades", "100000", "--oos-fraction", "0", "--no-plots",
               "--study-name", "few", "--out", str(out))
    assert made.code == 0, made.err
    line = one_clear_line(cli("study", "show", "few", "--storage", str(out)))
    assert "no complete, unpenalised trial" in line and "--trial N" in line
    result = cli("study", "show", "few", "--storage", str(out), "--trial", "0")
    assert result.code == 0 and "penalised " in result.out


def test_a_study_of_several_metrics_lists_its_front_and_shows_its_first_point(cli, tmp_path):
    out = tmp_path / "front"
    made = cli("optimize", "--strategy", "RSIEMAMomentumStrategy", *RANGE, "--trials", "4",
               "--metric", "sharpe,max_drawdown_pct", "--sampler", "nsga2", "--seed", "3",
               "--min-trades", "0", "--oos-fraction", "0", "--no-plots",
               "--study-name", "front", "--out", str(out))
    assert made.code == 0, made.err
    pareto = json.loads((out / "pareto.json").read_text())
    front = [point["trial"] for point in pareto["points"]]
    assert front, "a front of zero trials would check nothing"
    listing = cli("study", "list", "--storage", str(out))
    assert listing.code == 0, listing.err
    assert f"front of {len(front)}" in listing.out.splitlines()[1]
    shown = cli("study", "show", "front", "--storage", str(out))
    assert shown.code == 0, shown.err
    # The first point is the one optimize wrote to best_params.json.
    first = json.loads((out / "best_params.json").read_text())["params"]
    assert shown.out.splitlines()[1].startswith(f"trial {front[0]} (first point of the Pareto "
                                                f"front; the front is trials "
                                                f"{', '.join(map(str, front))})")
    value_line = next(line for line in shown.out.splitlines() if line.startswith("value"))
    assert value_line.count(",") == 1  # sharpe, max_drawdown_pct
    assert all(f"  {name}" in shown.out for name in first if name in pareto["points"][0]
               ["params"])
