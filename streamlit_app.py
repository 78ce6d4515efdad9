"""Unmask's dashboard: the router. Start it with ``streamlit run streamlit_app.py``.

Each page is a function ``page()`` in ``app_pages/`` (listed in :mod:`ui.navigation`); the
sidebar, session state and cached loaders are in the ``ui`` package; all computing is in ``core``.
The folder is not called ``pages/`` on purpose: Streamlit treats a ``pages/`` folder as an
old-style multipage app until ``st.navigation`` first runs, so a server's first visitor arriving
by a copied link (``/confusion?run=...``) would get the page file alone, without this router.
"""

import streamlit as st

import ui
from ui import presenter, tables, warmup
from ui.navigation import all_pages

#: Served by this server: a Material icon or an emoji would make the browser fetch it from a CDN.
FAVICON = "ui/favicon.png"


def run() -> None:
    """Set up the page, draw the sidebar, then run the page the URL asks for."""
    sidebar = "collapsed" if presenter.from_url() else "auto"  # presenter mode: the page gets the room
    st.set_page_config(page_title="Unmask", page_icon=FAVICON, layout="wide", initial_sidebar_state=sidebar)
    page = st.navigation(all_pages())
    ui.sidebar()
    tables.style()
    presenter.apply()
    page.run()
    warmup.start_once()  # after the first page is drawn: the imports the next pages need


run()
