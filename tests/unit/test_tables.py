"""ui.tables: small tables as Markdown, every cell escaped so data never reads as Markdown."""

from __future__ import annotations

import string

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from support.app import markdown_tables

from ui import tables

HOSTILE = [
    ":smile: face",
    "$x^2$",
    "<b>bold</b> [link](http://x) *em* _u_",
    "a|b \\ c `code` # h",
    "C:\\data\\faces",
    ":red[red] :material/home:",
]


class _Markdown:
    """Stands in for an AppTest: ``markdown`` elements with a ``value``."""

    def __init__(self, *bodies: str) -> None:
        self.markdown = [type("Element", (), {"value": body})() for body in bodies]


def test_every_ascii_punctuation_mark_is_escaped():
    escaped = tables.escape(string.punctuation)
    assert escaped == "".join("\\" + c for c in string.punctuation)


def test_line_breaks_become_spaces():
    """A newline would end the table row."""
    assert tables.escape("two\nlines\r\n here") == "two lines here"


def test_hostile_cells_read_back_as_written():
    frame = pd.DataFrame({"name": HOSTILE, "n": range(len(HOSTILE))})
    text = tables.markdown(frame)
    assert len(text.splitlines()) == 2 + len(HOSTILE)  # no cell broke a row
    [back] = markdown_tables(_Markdown(text))
    assert back["name"].tolist() == HOSTILE
    assert back["n"].tolist() == list(range(len(HOSTILE)))


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"])), min_size=1))
def test_any_text_reads_back_with_its_spaces_collapsed(texts):
    cells = ["x" + t for t in texts]  # a letter first: the reader turns an all-numeric column into numbers
    [back] = markdown_tables(_Markdown(tables.markdown(pd.DataFrame({"cell": cells}))))
    assert back["cell"].tolist() == [" ".join(c.split()) for c in cells]


def test_numbers_are_right_aligned_text_left_aligned():
    text = tables.markdown(pd.DataFrame({"name": ["a"], "count": [3], "share": [0.5]}))
    assert text.splitlines()[1] == "|:---|---:|---:|"


def test_formats_and_missing_values():
    frame = pd.DataFrame({"size": [7.849, None], "name": ["x", None]})
    text = tables.markdown(frame, formats={"size": ".1f"})
    assert text.splitlines()[2:] == ["| 7\\.8 | x |", "| – | – |"]


def test_index_is_shown_under_its_name():
    frame = pd.DataFrame({"fake": [60], "real": [60]}, index=pd.Index(["dark"], name="group"))
    [back] = markdown_tables(_Markdown(tables.markdown(frame, index=True)))
    assert back.to_dict(orient="records") == [{"group": "dark", "fake": 60, "real": 60}]


def test_an_empty_frame_says_so_instead_of_a_bare_heading():
    shown = []

    class Where:
        def caption(self, text: str) -> None:
            shown.append(("caption", text))

        def markdown(self, text: str) -> None:
            shown.append(("markdown", text))

    tables.table(pd.DataFrame({"a": []}), where=Where())
    tables.table(pd.DataFrame({"a": [1]}), where=Where())
    assert shown == [("caption", "(no rows)"), ("markdown", "| a |\n|---:|\n| 1 |")]
