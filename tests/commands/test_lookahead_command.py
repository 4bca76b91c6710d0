"""``bte lookahead`` and ``bte warmup``: exit codes, the JSON file and the refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

LEAKY = str(Path(__file__).resolve().parents[1] / "testdata" / "leaky_strategies.py")
SHORT = ("--to", "2017-08-31")


def test_a_clean_strategy_exits_0_and_writes_its_json(cli: Callable[..., CliResult],
                                                      tmp_path: Path) -> None:
    out = tmp_path / "lookahead.json"
    result = cli("lookahead", "--strategy", f"{LEAKY}:HonestCross", *SHORT, "--cuts", "4",
                 "--json", str(out))
    assert result.code == 0, result.err
    document = json.loads(out.read_text())
    assert document["clean"] is True and document["findings"] == []
    assert document["signals_checked"] > 0 and document["cuts"] == 4


def test_look_ahead_exits_1_naming_the_line_and_its_first_bar(
        cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "lookahead.json"
    result = cli("lookahead", "--strategy", f"{LEAKY}:CentredAverage", *SHORT, "--cuts", "4",
                 "--json", str(out))
    assert result.code == 1, result.err
    assert "centred.lines.centred" in result.out and "2017-07-01 12:00" in result.out
    assert result.out.splitlines()[-1].startswith("first: indicator line centred.lines.centred")
    findings = {f["name"]: f for f in json.loads(out.read_text())["findings"]}
    assert findings["centred.lines.centred"]["bar"] == 1


def test_a_strategy_that_raises_on_a_short_history_is_named_in_one_sentence(
        cli: Callable[..., CliResult]) -> None:
    result = cli("lookahead", "--strategy", f"{LEAKY}:PeekNextClose", *SHORT, "--cuts", "4")
    assert result.code == 1, result.err
    error_row = next(line.split() for line in result.out.splitlines()
                     if line.startswith("error "))
    assert error_row[:2] == ["error", "-"]
    assert result.out.splitlines()[-1].startswith("first: the history ending at bar ")
    assert "raises IndexError" in result.out.splitlines()[-1]


@pytest.mark.parametrize(("argv", "fragment"), [
    (["lookahead", "--strategy", "NoSuchStrategy"], "NoSuchStrategy"),
    (["lookahead", "--strategy", "RSIEMAMomentum", "--cuts", "0"], "--cuts"),
    (["lookahead", "--strategy", "RSIEMAMomentum", "--json", "/no/such/folder/x.json"],
     "--json /no/such/folder/x.json: the folder"),
    (["lookahead", "--strategy", "RSIEMAMomentum", "--to", "2017-07-01 20:00"],
     "needs at least"),
    (["warmup", "--strategy", "RSIEMAMomentum", "--starts", "1"], "--starts"),
    (["warmup", "--strategy", "RSIEMAMomentum", "--to", "2017-07-05"],
     "the warm-up check starts runs"),
    (["warmup", "--strategy", "RSIEMAMomentum", "--param", "rsi_period"], "--param"),
    (["warmup", "--strategy", "RSIEMAMomentum", "--window", "10"], "--window 10: shorter"),
])
def test_bad_input_is_refused_in_one_line(cli: Callable[..., CliResult],
                                          one_clear_line: Callable[[CliResult], str],
                                          argv: list[str], fragment: str) -> None:
    assert fragment in one_clear_line(cli(*argv))


def test_warmup_prints_the_table_and_warns_about_a_short_paper_warmup(
        cli: Callable[..., CliResult]) -> None:
    result = cli("warmup", "--strategy", f"{LEAKY}:HonestCross", "--to", "2017-12-31",
                 "--starts", "3", "--window", "1500", "--warmup-bars", "50",
                 "--in-sample-bars", "60")
    assert result.code == 0, result.err
    assert "INDICATOR" in result.out and "BARS TO CONVERGE" in result.out
    needed = int(result.out.splitlines()[-1].split()[2])
    warnings = result.err.splitlines()
    assert f"--warmup-bars {needed}" in warnings[0] and "in-sample window has 60" in warnings[1]
