"""The dashboard's pages, in one place: the router's menu and every link between pages use these.

Each page is a function ``page()`` in ``app_pages/<name>.py``; its URL is ``/<name>`` (the
default page also answers at ``/``), so links copied from the browser keep working.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

import streamlit as st


class PageSpec(NamedTuple):
    """A page: its module in ``app_pages/`` (also its URL path), title and icon."""

    name: str
    title: str
    icon: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "Overview", ":material/home:"),
    PageSpec("data", "Data", ":material/photo_library:"),
    PageSpec("train", "Train", ":material/model_training:"),
    PageSpec("confusion", "Confusion", ":material/grid_view:"),
    PageSpec("bias", "Bias by group", ":material/groups:"),
    PageSpec("try_image", "Try an image", ":material/image_search:"),
    PageSpec("stress", "Stress test", ":material/science:"),
    PageSpec("compare", "Compare runs", ":material/compare_arrows:"),
)
DEFAULT_PAGE = "overview"


def streamlit_page(name: str) -> st.Page:
    """The ``st.Page`` of page ``name``: the function ``app_pages.<name>.page`` at URL ``/<name>``."""
    spec = next(p for p in PAGES if p.name == name)
    module = importlib.import_module(f"app_pages.{spec.name}")
    return st.Page(
        module.page, title=spec.title, icon=spec.icon, url_path=spec.name, default=spec.name == DEFAULT_PAGE
    )


def all_pages() -> list[st.Page]:
    """Every page, in menu order."""
    return [streamlit_page(p.name) for p in PAGES]


def link(name: str, label: str) -> None:
    """A link to page ``name`` with ``label``, showing the page's icon."""
    spec = next(p for p in PAGES if p.name == name)
    st.page_link(streamlit_page(name), label=label, icon=spec.icon)
