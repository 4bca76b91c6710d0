"""The panel's pages, each at its own URL path (``/live``, ``/research``, ...).

Every page is a small script in :mod:`.views` registered with ``st.navigation``, so a page
can be bookmarked or linked to, and the browser's back button moves between pages. The
scripts only call their section's ``render`` with the settings :func:`main.run
<backtrader_engine.dashboard.main.run>` parsed for this run (:func:`page_settings`).

Pages are scripts rather than functions so that a test opens each one as its URL does:
Streamlit's ``AppTest.switch_page`` finds a page by its file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from backtrader_engine.dashboard.settings import PanelSettings

VIEWS_DIR = Path(__file__).with_name("views")
_SETTINGS_KEY = "panel_settings"


@dataclass(frozen=True)
class PanelPage:
    """One page: its title, URL path (``/<url_path>``), Material icon and script in views/."""

    title: str
    url_path: str
    icon: str
    script: str

    @property
    def path(self) -> Path:
        """The page's script."""
        return VIEWS_DIR / self.script


#: The pages in menu order; the first is where the root URL leads.
PAGES: tuple[PanelPage, ...] = (
    PanelPage("Live", "live", ":material/monitoring:", "live.py"),
    PanelPage("Strategies", "strategies", ":material/psychology:", "strategies.py"),
    PanelPage("System health", "health", ":material/health_and_safety:", "health.py"),
    PanelPage("Research", "research", ":material/science:", "research.py"),
    PanelPage("Config", "config", ":material/tune:", "config.py"),
)


def keep_settings(settings: PanelSettings) -> None:
    """Hand *settings* to the page script that runs next in this session."""
    st.session_state[_SETTINGS_KEY] = settings


def page_settings() -> PanelSettings:
    """The settings :func:`keep_settings` stored for the page being drawn."""
    settings: PanelSettings = st.session_state[_SETTINGS_KEY]
    return settings


def _to_first_page() -> None:
    """The root URL: go on to the first page, so every page shows its own path."""
    st.switch_page(VIEWS_DIR / PAGES[0].script)


def current_page(menu: bool) -> st.Page:
    """Register the pages with ``st.navigation`` and return the one the URL names.

    The root URL is a hidden page that moves on to ``/live``; a page Streamlit gives a
    default page's empty path could not be linked to by its own name. *menu* shows the
    page menu in the sidebar (not before the password is given: the page is still resolved
    from the URL, so a deep link survives signing in).
    """
    pages = [st.Page(_to_first_page, title=PAGES[0].title, url_path="home", default=True,
                     visibility="hidden")]
    pages += [st.Page(page.path, title=page.title, icon=page.icon, url_path=page.url_path)
              for page in PAGES]
    return st.navigation(pages, position="sidebar" if menu else "hidden", expanded=True)
