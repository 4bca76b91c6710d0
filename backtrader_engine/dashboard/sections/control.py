"""Control card (sidebar): the bot's state, START / STOP with confirmation, command line.

START and STOP call :func:`~backtrader_engine.operations.start_bot` and
:func:`~backtrader_engine.operations.stop_bot`, the functions behind ``bot start`` / ``bot
stop``, and START checks its ``paper`` arguments as ``bot start`` does; which one is enabled
follows :func:`~backtrader_engine.operations.bot_status`.
"""

from __future__ import annotations

import shlex
import time

import streamlit as st

from backtrader_engine.dashboard.model import (
    control_view,
    followed_state_dir,
    parse_start_args,
    start_args,
)
from backtrader_engine.dashboard.settings import PanelSettings
from backtrader_engine.errors import UserError
from backtrader_engine.operations import bot_status, start_bot, stop_bot

STOP_TIMEOUT_S = 30.0
#: How long the outcome of START / STOP stays on the card (it refreshes every few seconds).
FLASH_S = 30.0
_PENDING = "bot_stop_pending"
_REQUEST = "bot_request"
_FLASH = "bot_flash"


def render(settings: PanelSettings) -> None:
    """The control card, refreshed every ``settings.refresh_s`` seconds."""
    st.fragment(_card, run_every=settings.refresh_s)(settings)


# Clicks are recorded by callbacks, not read from the buttons' return values: the live view
# refreshes on its own timer, and a button's one-run "clicked" value can be spent by that
# other refresh; a request in the session state waits for this card's next run.
def _request(action: str) -> None:
    st.session_state[_REQUEST] = action
    st.session_state[_PENDING] = action == "ask_stop"


def _flash(kind: str, text: str) -> None:
    st.session_state[_FLASH] = (kind, text, time.monotonic())


def _card(settings: PanelSettings) -> None:
    _control(settings)
    _folders(settings)


def _folders(settings: PanelSettings) -> None:
    """The run folder and the ledger the panel follows: the managed bot's own ``--state``
    (from its PID file) while there is one, else the panel's ``--state``."""
    state_dir = followed_state_dir(settings.run_dir, settings.state_dir)
    whose = " (the bot's)" if state_dir != settings.state_dir else ""
    with st.container(key="panel_folders"):
        st.caption(f"run {settings.run_dir}  \nstate {state_dir}{whose}")


def _control(settings: PanelSettings) -> None:
    with st.container(border=True, key="control_card"):
        st.markdown("**Paper bot**")
        try:
            status = bot_status(run_dir=settings.run_dir, endpoints=[], log_lines=0,
                                cpu_interval=0.0)
        except UserError as exc:
            with st.container(key="bot_state"):
                st.badge("UNKNOWN", color="red")
            st.error(str(exc))
            return
        view = control_view(status)
        request = st.session_state.pop(_REQUEST, None)
        if request == "start" and view.can_start:
            _start(settings)
        elif request == "stop" and view.can_stop:
            _stop(settings)
        with st.container(key="bot_state"):
            st.badge(view.badge, color=view.colour)
        if view.state == "running":
            starting = "" if view.ready else " · starting"
            st.caption(f"PID {view.pid} · up {view.uptime}{starting}")
        else:
            st.caption(view.message)
        flash = st.session_state.get(_FLASH)
        if flash is not None and time.monotonic() - flash[2] < FLASH_S:
            (st.success if flash[0] == "ok" else st.error)(flash[1])
        left, right = st.columns(2)
        left.button("START", key="bot_start", type="primary", width="stretch",
                    disabled=not view.can_start, help="Start the paper bot",
                    on_click=_request, args=("start",))
        right.button("STOP", key="bot_stop", width="stretch", disabled=not view.can_stop,
                     help="Stop the bot gracefully (asks to confirm)", on_click=_request,
                     args=("ask_stop",))
        if view.can_stop and st.session_state.get(_PENDING):
            _confirmation(view.pid)
        elif not view.can_stop:
            st.session_state[_PENDING] = False
        if view.command_line:
            st.caption("Command line")
            st.code(view.command_line, language="bash", wrap_lines=True)
        if not view.can_stop:
            default = shlex.join(start_args(settings.bot_args, settings.state_dir,
                                            settings.config_dir))
            with st.expander("Start options"):
                st.text_input("paper arguments", value=default, key="bot_start_args",
                              help="Passed to 'python -m backtrader_engine paper'")


def _confirmation(pid: int | None) -> None:
    with st.container(border=True, key="stop_confirmation"):
        st.warning(f"Stop the bot (PID {pid})? It stops gracefully; the ledger is kept and "
                   "the same --state resumes it.")
        left, right = st.columns(2)
        left.button("Confirm stop", key="bot_stop_confirm", type="primary", width="stretch",
                    on_click=_request, args=("stop",))
        right.button("Cancel", key="bot_stop_cancel", width="stretch", on_click=_request,
                     args=("cancel",))


def _start(settings: PanelSettings) -> None:
    # Imported on START only: checking paper arguments loads the whole paper command (its
    # session, Telegram and metrics), which the panel does not need until then.
    from backtrader_engine.commands.bot_paper_args import paper_command

    default = start_args(settings.bot_args, settings.state_dir, settings.config_dir)
    typed = st.session_state.get("bot_start_args")
    try:
        args = parse_start_args(typed) if typed else default
        with st.spinner("Starting the bot…"):
            bot = start_bot(args, check=paper_command, run_dir=settings.run_dir)
    except UserError as exc:
        _flash("error", str(exc))
    else:
        note = "" if bot.ready else " (still starting)"
        _flash("ok", f"Bot started, PID {bot.pid}{note}")
    st.rerun()  # the whole page: every section follows the new state


def _stop(settings: PanelSettings) -> None:
    try:
        with st.spinner("Stopping the bot…"):
            result = stop_bot(run_dir=settings.run_dir, timeout=STOP_TIMEOUT_S)
    except UserError as exc:
        _flash("error", str(exc))
    else:
        _flash("ok", result.message)
    st.rerun()
