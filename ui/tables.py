"""Small tables drawn as Markdown: a few rows of numbers that need no sorting, scrolling or download.

``st.table`` and ``st.dataframe`` send the frame as Arrow and make a new visitor's browser load and
compile over 1 MB of table code (Arrow formatting, dates, the grid) before the page is whole; a
Markdown table is drawn by the Markdown renderer every page loads anyway. Every cell is escaped, so
a file name or group label from a data folder shows as written and is never read as Markdown, a
link, an emoji short code or LaTeX.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

#: Markdown tables as compact as Streamlit's own: smaller type, tighter cells,
#: the middle columns (numbers, intervals) kept on one line.
CSS = """
<style>
[data-testid="stMarkdownContainer"] table { font-size: 0.875rem; }
[data-testid="stMarkdownContainer"] th, [data-testid="stMarkdownContainer"] td { padding: 0.25rem 0.5rem; }
[data-testid="stMarkdownContainer"] td:not(:first-child):not(:last-child) { white-space: nowrap; }
</style>
"""
#: ASCII punctuation: CommonMark lets any of it be escaped with a backslash.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape(text: str) -> str:
    """``text`` as literal Markdown table cell text: every ASCII punctuation mark escaped (so ``|`` does
    not end the cell, ``$`` opens no LaTeX, ``:smile:`` is no emoji), line breaks made spaces."""
    flat = " ".join(str(text).split())
    return _PUNCTUATION.sub(r"\\\1", flat)


def style() -> None:
    """Add the table styles to the page (the router does, once a run)."""
    st.html(CSS)


def cell(value: Any, fmt: str | Callable[[Any], str] | None = None) -> str:
    """One value as cell text: missing values as a dash, ``fmt`` (a format spec or a function) if given."""
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return "–"
    if fmt is None:
        return str(value)
    return fmt(value) if callable(fmt) else format(value, fmt)


def markdown(
    frame: pd.DataFrame,
    *,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    index: bool = False,
) -> str:
    """``frame`` as a GitHub-style Markdown table; numeric columns are right-aligned.

    Parameters
    ----------
    frame : DataFrame
    formats : mapping, optional
        Column -> format spec (``".1f"``) or function giving the cell text.
    index : bool
        Whether to show the index as the first column (headed by its name, if any).
    """
    formats = dict(formats or {})
    shown = frame.reset_index() if index else frame
    if index and frame.index.name is None:
        shown = shown.rename(columns={"index": ""})
    columns = [str(c) for c in shown.columns]
    numeric = [pd.api.types.is_numeric_dtype(shown[c]) for c in shown.columns]
    lines = [
        "| " + " | ".join(escape(c) for c in columns) + " |",
        "|" + "|".join("---:" if n else ":---" for n in numeric) + "|",
    ]
    for row in shown.itertuples(index=False, name=None):
        texts = [escape(cell(v, formats.get(c))) for c, v in zip(columns, row, strict=True)]
        lines.append("| " + " | ".join(texts) + " |")
    return "\n".join(lines)


def table(
    frame: pd.DataFrame,
    *,
    where: Any = st,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    index: bool = False,
) -> None:
    """Draw ``frame`` (a few rows) as a Markdown table in ``where`` (``st``, a column, a tab)."""
    if frame.empty:
        where.caption("(no rows)")
        return
    where.markdown(markdown(frame, formats=formats, index=index))
