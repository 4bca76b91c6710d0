"""The panel's password gate, used when ``DASHBOARD_PASSWORD`` is set.

An exposed panel (``dashboard --expose``) refuses to start without the variable; a local one
asks for it too when it is set. The comparison is constant-time (:func:`hmac.compare_digest`)
and the password is never echoed, logged or kept beyond the session's "authenticated" flag.
"""

from __future__ import annotations

import hmac

import streamlit as st

from backtrader_engine.dashboard.settings import PASSWORD_ENV

__all__ = ["PASSWORD_ENV", "gate", "password_matches"]
_FLAG = "authenticated"


def password_matches(entered: str, expected: str) -> bool:
    """Constant-time comparison of *entered* with *expected* (UTF-8 bytes)."""
    return hmac.compare_digest(entered.encode("utf-8"), expected.encode("utf-8"))


def gate(expected: str | None) -> bool:
    """Ask for the password when *expected* is set; ``True`` once the session may proceed."""
    if not expected:
        return True
    if st.session_state.get(_FLAG):
        return True
    with st.container(border=True, key="auth_card"):
        st.subheader("backtrader-engine control panel")
        st.caption("This panel is password protected.")
        with st.form("auth_form"):
            entered = st.text_input("Password", type="password", key="auth_password")
            submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if password_matches(entered or "", expected):
            st.session_state[_FLAG] = True
            st.rerun()
        st.error("Wrong password.")
    return False
