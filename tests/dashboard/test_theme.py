"""One look two ways: ``streamlit run`` from the repository root and ``bte panel`` from any
folder both take the theme of the repository's ``.streamlit/config.toml``."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from backtrader_engine.dashboard import parse_panel_args, streamlit_command
from backtrader_engine.dashboard.launch import APP_SCRIPT, STREAMLIT_CONFIG, config_file_flags
from backtrader_engine.errors import UserError

from .conftest import ROOT

# Streamlit's own command line, with the server replaced by a print of the options it would
# have served with (and no first-run e-mail prompt).
_PROBE = """
import json, sys
from streamlit import config
from streamlit.web import bootstrap, cli

def report(*_args, **_kwargs):
    options = config.get_config_options()
    print(json.dumps({name: config.get_option(name) for name in sorted(options)
                      if name.split(".")[0] in ("theme", "client")
                      or name == "browser.gatherUsageStats"}, default=str))

bootstrap.run = report
cli.check_credentials = lambda: None
cli.main(sys.argv[1:], prog_name="streamlit", standalone_mode=False)
"""


def _served_options(argv: list[str], cwd: Path) -> dict[str, object]:
    """The theme and client options (and usage statistics) ``streamlit ARGV`` started in
    *cwd* serves."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_bte_panel_from_any_folder_looks_as_streamlit_run_from_the_root(tmp_path: Path
                                                                          ) -> None:
    direct = _served_options(["run", str(APP_SCRIPT.relative_to(ROOT))], ROOT)
    command = streamlit_command(parse_panel_args([]), "127.0.0.1", 8600)
    via_panel = _served_options(command[3:], tmp_path)  # after "python -m streamlit"
    assert via_panel == direct
    theme = tomllib.loads(STREAMLIT_CONFIG.read_text())["theme"]
    assert {k: direct[f"theme.{k}"] for k in theme} == theme
    assert direct["client.toolbarMode"] == "minimal"
    assert direct["browser.gatherUsageStats"] is False
    # The probe tells looks apart: from another folder, without the file's options,
    # Streamlit falls back to its default theme.
    plain = _served_options(["run", str(APP_SCRIPT)], tmp_path)
    assert plain["theme.base"] != "dark" and plain["theme.primaryColor"] != theme["primaryColor"]


def test_the_config_file_options_become_streamlit_flags(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[theme]\nbase = "light"\nprimaryColor = "#ff0000"\n\n'
                      '[browser]\ngatherUsageStats = false\n')
    assert config_file_flags(config) == ["--theme.base=light", "--theme.primaryColor=#ff0000",
                                         "--browser.gatherUsageStats=false"]
    assert config_file_flags(tmp_path / "missing.toml") == []


@pytest.mark.parametrize(("text", "message"), [
    ("[theme\nbase = 1", "not valid TOML"),
    ('base = "dark"\n', "is outside a section"),
])
def test_a_broken_config_file_is_refused(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    with pytest.raises(UserError, match=message):
        config_file_flags(config)
