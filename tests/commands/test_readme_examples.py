"""The README's runnable command examples work as printed, from a clone's root.

Each test reads its commands from the README itself, so an example that is edited there is
tested as edited. Offline only: download, paper against Bybit, Docker and the panel are not run
here. Where a run would take long, the test changes only how much work it does (plots off,
fewer trials, a replay clock without a wall-time pace), never what is asked.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_commands(heading: str) -> list[list[str]]:
    """The commands of the first ``bash`` block after *heading*, as argv (comments dropped)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    joined = block.replace("\\\n", " ")
    return [argv for line in joined.splitlines() if (argv := shlex.split(line, comments=True))]


def readme_backtests() -> list[list[str]]:
    """The ``bte backtest`` commands of the README's "### Backtests" code block, as argv."""
    return [argv[1:] for argv in readme_commands("### Backtests") if argv[0] == "bte"]


def with_option(argv: list[str], option: str, value: str) -> list[str]:
    """*argv* with *option*'s value replaced by *value* (the option must be there)."""
    index = argv.index(option)
    return [*argv[:index + 1], value, *argv[index + 2:]]


@pytest.fixture
def clone_root(fresh_cwd: Path) -> Path:
    """*fresh_cwd* laid out like a clone's root (the files the examples name), runs/ its own.

    ``configs/`` is a real copy, so that ``cp -r configs my_configs`` copies files as in a
    clone, not a link to this checkout's configs.
    """
    for name in ("backtrader_engine", "examples", "tests", "optimize.py"):
        (fresh_cwd / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "configs", fresh_cwd / "configs")
    return fresh_cwd


def run_python(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python ...`` as printed, with this interpreter and this checkout's package."""
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, *argv[1:]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_readme_lists_the_examples() -> None:
    commands = readme_backtests()
    assert len(commands) >= 4 and all(argv[0] == "backtest" for argv in commands)


@pytest.mark.parametrize("index", range(len(readme_backtests())))
def test_readme_backtest_example_runs(cli, clone_root: Path, index: int) -> None:
    argv = readme_backtests()[index]
    # Plots are not what the examples show; skipping them keeps the suite quick.
    result = cli(*argv, "--no-plots")
    assert result.code == 0, (argv, result.err)
    written = re.search(r"report written to (\S+)/", result.out)
    assert written is not None and (clone_root / written.group(1) / "report.json").is_file()


def test_readme_risk_gate_examples_run(cli, clone_root: Path) -> None:
    commands = readme_commands("### Risk gate")
    assert [argv[0] for argv in commands] == ["bte", "cp", "bte"]
    outs = []
    for argv in commands:
        if argv[0] == "cp":
            subprocess.run(argv, cwd=clone_root, check=True)
            continue
        result = cli(*argv[1:], "--no-plots")
        assert result.code == 0, (argv, result.err)
        assert "Risk gate" in result.out and "signals.csv" in result.out
        outs.append(clone_root / argv[argv.index("--out") + 1])
    assert (clone_root / "my_configs" / "risk_config.json").is_file()
    assert all((out / "signals.csv").is_file() for out in outs) and outs[0] != outs[1]


def test_readme_optimisation_examples_run(cli, clone_root: Path) -> None:
    commands = readme_commands("### Optimisation")
    assert [argv[:2] for argv in commands] == [["python", "optimize.py"], ["bte", "backtest"],
                                               ["python", "optimize.py"],
                                               ["python", "optimize.py"]]
    for argv in commands:
        if argv[0] == "bte":  # the named study's best params, written by the first command
            result = cli(*argv[1:], "--no-plots")
            assert result.code == 0, (argv, result.err)
            continue
        # Two trials per study (and per walk-forward window) instead of twenty.
        proc = run_python([*with_option(argv, "--trials", "2"), "--no-plots"], clone_root)
        assert proc.returncode == 0, (argv, proc.stderr)
        assert "status   finished" in proc.stdout
        if "--walk-forward" in argv:
            assert "WFE" in proc.stdout and "fast=" in proc.stdout and "slow=" in proc.stdout
        if "--symbols" in argv:
            assert "portfolio BTCUSDT,ETHUSDT,SOLUSDT (shared account)" in proc.stdout
    assert (clone_root / "runs/optimize/rsi-demo/best_params.json").is_file()
    assert (clone_root / "runs/best/report.json").is_file()


def test_readme_pruning_and_front_examples_run(cli, clone_root: Path) -> None:
    commands = readme_commands("### Pruning and multi-objective studies")
    assert [argv[:2] for argv in commands] == [["python", "optimize.py"],
                                               ["python", "optimize.py"], ["bte", "backtest"]]
    for argv in commands:
        if argv[0] == "bte":  # the first pick of the front, written by the second command
            result = cli(*argv[1:], "--no-plots")
            assert result.code == 0, (argv, result.err)
            continue
        # Six trials per study instead of forty (the median pruner's first five always finish).
        proc = run_python([*with_option(argv, "--trials", "6"), "--no-plots"], clone_root)
        assert proc.returncode == 0, (argv, proc.stderr)
        assert "status   finished" in proc.stdout and " pruned, " in proc.stdout
    assert "front    " in proc.stdout
    front = clone_root / "runs/optimize/rsi-front"
    assert (front / "pareto.json").is_file() and (front / "pareto").is_dir()
    assert (clone_root / "runs/front-best/report.json").is_file()


def test_readme_studies_examples_run(cli, clone_root: Path) -> None:
    optimize, listing, show, show_defaults = readme_commands("### Studies")
    assert optimize[:2] == ["python", "optimize.py"]
    # Three trials instead of twenty: trial 0 (the defaults) and two sampled ones.
    proc = run_python([*with_option(optimize, "--trials", "3"), "--no-plots"], clone_root)
    assert proc.returncode == 0, proc.stderr
    assert "sampler random" in proc.stdout and "defaults " in proc.stdout
    result = cli(*listing[1:])
    assert result.code == 0, result.err
    assert result.out.splitlines()[1].split()[:5] == ["rsi-random", "RSIEMAMomentumStrategy",
                                                     "rmd", "maximize", "3"]
    result = cli(*show[1:])
    assert result.code == 0, result.err
    assert result.out.startswith("study rsi-random") and "metrics" in result.out
    result = cli(*show_defaults[1:])
    assert result.code == 0, result.err
    assert "the strategy's default params" in result.out and "ema_period" in result.out


def test_readme_strategies_examples_run(cli, fresh_cwd: Path) -> None:
    listing, one, new = readme_commands("### Strategies")
    result = cli(*listing[1:])
    assert result.code == 0, result.err
    assert "RSIEMAMomentumStrategy" in result.out and "TrendFollowingADXEMAStrategy" in result.out
    result = cli(*one[1:])
    assert result.code == 0, result.err
    assert "int 7..28" in result.out
    result = cli(*new[1:])
    assert result.code == 0, result.err
    written = fresh_cwd / "strategies" / "ema_cross.py"
    assert written.is_file()
    result = cli("strategies", f"{written}:EmaCross")
    assert result.code == 0 and "4 of 5 params are searched" in result.out


def test_readme_data_examples_run(cli, clone_root: Path) -> None:
    check, listing = readme_commands("### Data")
    result = cli(*check[1:])
    assert result.code == 1, result.err  # its zero-volume bars are warnings
    assert "cryptodatadownload-csv" in result.out and "rows                20111" in result.out
    assert "28 bar(s) with zero volume" in result.out  # as the README says
    result = cli(*listing[1:])
    assert result.code == 0, result.err
    symbols = {line.split()[1] for line in result.out.splitlines()[1:]}
    # The symbols the README's portfolio examples pass to --symbols are all there.
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT"} <= symbols


def test_readme_replay_and_stream_examples_run(cli, replay_child, fresh_cwd: Path) -> None:
    heading = "## Bybit history, the stream client and the replay server"
    text = (ROOT / "README.md").read_text(encoding="utf-8").split(f"\n{heading}\n", 1)[1]
    blocks = [shlex.split(b.replace("\\\n", " "), comments=True)
              for b in re.findall(r"```bash\n(.*?)```", text.split("\n## ", 1)[0], re.S)]
    replay = next(argv for argv in blocks if argv[3] == "replay")
    stream = next(argv for argv in blocks if argv[3] == "stream")
    # The README's replay on a fresh clone (the bundled 1h candles), on a free port; its
    # clock waits for the stream instead of running at --speed 3600 of wall time.
    args = with_option(with_option(replay[4:], "--port", "0"), "--speed", "0")
    _, rest = replay_child(*args, "--hold-when-idle")
    argv = with_option(stream[3:], "--base-url", rest)
    result = cli(*argv)
    assert result.code == 0, result.err
    bars = [line for line in result.out.splitlines() if "(stream)" in line]
    assert len(bars) == int(stream[stream.index("--bars") + 1])
    assert bars[0].startswith("2017-07-01 11:00 BTCUSDT     60")
    # Without --timeframes 1h (the default 1m) the same replay refuses the kline topic:
    # one line and exit code 2, not a wait for bars that cannot come.
    index = argv.index("--timeframes")
    refused = cli(*argv[:index], *argv[index + 2:])
    assert refused.code == 2 and "Invalid topic: kline.1.BTCUSDT" in refused.err


def test_readme_lookahead_and_warmup_examples_run(cli, clone_root: Path) -> None:
    clean, leaky, warmup = readme_commands("### Look-ahead and warm-up")
    result = cli(*clean[1:])
    assert result.code == 0, result.err
    assert "clean: no signal or indicator value" in result.out
    result = cli(*leaky[1:])
    assert result.code == 1, result.err
    assert "LOOK-AHEAD: 1 finding" in result.out and "IndexError" in result.out
    result = cli(*warmup[1:])
    assert result.code == 0, result.err
    assert "slow" in result.out and "warm-up needed: 281 bars" in result.out
