"""Showing the work in a real Chromium: heat maps, the clickable matrix, Compare, presenter mode, reports.

One server with two tiny runs trained by the CLI (the newer one named), so Compare has something
to compare. Screenshots of every page at 1400 x 900 and 1280 x 720 (the projector), normal and in
presenter mode, land in ``test-artifacts/screenshots/``. Nothing the pages load may come from
another host: the app must work offline.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright
from support.browser import (
    SLOW_MS,
    Server,
    assert_no_crash,
    goto,
    launch_chromium,
    screenshot,
    streamlit_server,
    train_run_with_cli,
    wait_idle,
)

from app_pages.compare import NEED_TWO
from core.paths import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: (URL path, heading) of every page.
PAGES = [
    ("", "Unmask: real photo or AI-generated face?"),
    ("data", "Data"),
    ("train", "Train"),
    ("confusion", "Confusion matrix and metrics"),
    ("bias", "Who gets flagged: bias by group"),
    ("try_image", "Try an image"),
    ("compare", "Compare runs"),
]
CELL_CAPTION = re.compile(r"of the \d+ images in this cell|No image is in this cell")
SIZES = {"1400x900": {"width": 1400, "height": 900}, "1280x720": {"width": 1280, "height": 720}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with streamlit_server(tmp_path_factory.mktemp("show"), name="show") as running:
        yield running


@pytest.fixture(scope="module")
def runs(server: Server) -> list[str]:
    """Two tiny runs (the newer named "wider"), newest last."""
    first = train_run_with_cli(server, image_size=32)
    second = train_run_with_cli(server, image_size=48)
    meta = f"{second!r}, name='wider', note='48 px instead of 32'"
    code = f"from core.runs import store; store.write_meta({meta})"
    subprocess.run([sys.executable, "-c", code], env=server.env, cwd=REPO_ROOT, check=True)
    return [first, second]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_tab(browser: Browser, server: Server) -> Iterator:
    """Open tabs (new sessions) of a given size; each checks that it fetched nothing from another host."""
    contexts = []

    def make(size: str = "1400x900") -> Page:
        context = browser.new_context(viewport=SIZES[size], base_url=server.url, accept_downloads=True)
        context.set_default_timeout(30_000)
        contexts.append(context)
        tab = context.new_page()
        tab.foreign = []  # type: ignore[attr-defined]
        tab.on("request", lambda r: _note_foreign(tab, r.url, server.url))
        return tab

    yield make
    for context in contexts:
        for tab in context.pages:
            assert_no_crash(tab)
            assert tab.foreign == [], f"fetched from another host: {tab.foreign}"  # type: ignore[attr-defined]
        context.close()


def _note_foreign(tab: Page, url: str, base: str) -> None:
    if not url.startswith((base, "data:", "blob:", "about:")):
        tab.foreign.append(url)  # type: ignore[attr-defined]


def _image(kind: str) -> bytes:
    """A small face-like picture in ``kind`` (GIF, BMP, ...)."""
    picture = Image.new("RGB", (80, 80), (120, 120, 120))
    for x in range(20, 60):
        for y in range(12, 70):
            if ((x - 40) / 20) ** 2 + ((y - 41) / 29) ** 2 <= 1:
                picture.putpixel((x, y), (224, 172, 140))
    buffer = io.BytesIO()
    picture.save(buffer, kind)
    return buffer.getvalue()


def test_every_page_at_both_sizes_and_in_presenter_mode(open_tab, runs: list[str]) -> None:
    for size in SIZES:
        for present in ("", "1"):
            tab = open_tab(size)
            for path, heading in PAGES:
                query = f"?run={runs[-1]}" + ("&present=1" if present else "")
                goto(tab, f"/{path}{query}", heading)
                if path == "confusion":  # a cell's images are below the matrix: wait for them
                    expect(tab.get_by_text(CELL_CAPTION)).to_be_visible()
                screenshot(tab, f"show-{path or 'overview'}-{size}{'-present' if present else ''}")


def test_presenter_mode_collapses_sidebar_hides_deploy_and_enlarges(open_tab, runs: list[str]) -> None:
    tab = open_tab("1280x720")
    goto(tab, f"/confusion?run={runs[-1]}&present=1", "Confusion matrix and metrics")
    expect(tab.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")
    expect(tab.get_by_test_id("stAppDeployButton")).to_be_hidden()
    expect(tab.get_by_test_id("stMainMenu")).to_be_hidden()
    size = tab.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('[data-testid=stMetricValue], "
        "[data-testid=stMain] h1')).fontSize)"
    )
    assert size >= 40  # the heading at 2.6 rem
    expect(tab).to_have_url(re.compile(r"present=1"))
    # Off again from the sidebar's switch: the link forgets it.
    tab.get_by_test_id("stExpandSidebarButton").click()
    tab.get_by_test_id("stSidebar").get_by_text("Presenter mode").click()
    wait_idle(tab)
    expect(tab).not_to_have_url(re.compile(r"present=1"))


def test_click_a_matrix_cell_to_see_its_images(open_tab, runs: list[str]) -> None:
    tab = open_tab()
    goto(tab, f"/confusion?run={runs[-1]}&threshold=0", "Confusion matrix and metrics")
    picker = tab.get_by_role("radiogroup", name="Cell (or click one in the matrix)")
    expect(picker.get_by_role("radio", name="real flagged as fake")).to_be_checked()
    matrix = tab.get_by_test_id("stVegaLiteChart").first
    box = matrix.locator("canvas, svg").first.bounding_box()
    assert box is not None
    # The cell "actual fake, called fake" is at the bottom right of the 2 x 2 grid.
    matrix.locator("canvas, svg").first.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.6})
    wait_idle(tab)
    expect(picker.get_by_role("radio", name="fake called fake")).to_be_checked(timeout=15_000)
    expect(tab.get_by_text(CELL_CAPTION)).to_be_visible()
    screenshot(tab, "show-confusion-cell-clicked")
    picker.get_by_role("radio", name="fake passed as real").click()  # the one cell with images at 0
    wait_idle(tab)
    tab.get_by_text("Show where the model looks (heat maps)").click()
    expect(tab.get_by_text(re.compile(r"^Grad-CAM \(HiResCAM\) on conv_3: red marks"))).to_be_visible(
        timeout=SLOW_MS
    )
    wait_idle(tab)
    screenshot(tab, "show-confusion-heat-maps")


def test_try_an_image_takes_gif_and_bmp_and_shows_where_it_looks(open_tab, runs: list[str]) -> None:
    tab = open_tab()
    goto(tab, f"/try_image?run={runs[-1]}", "Try an image")
    expect(tab.get_by_text(re.compile(r"GIF, BMP or TIFF"))).to_be_visible()
    upload = tab.get_by_test_id("stFileUploaderDropzoneInput")
    upload.set_input_files(
        files=[
            {"name": "face.gif", "mimeType": "image/gif", "buffer": _image("GIF")},
            {"name": "face.bmp", "mimeType": "image/bmp", "buffer": _image("BMP")},
        ]
    )
    for name in ("face.gif", "face.bmp"):
        expect(tab.get_by_test_id("stMetric").filter(has_text=f"P(real) for {name}")).to_be_visible(
            timeout=SLOW_MS
        )
    shown = tab.get_by_text("face.gif: as the model sees it, and where it looks")
    expect(shown).to_be_visible(timeout=SLOW_MS)
    expect(tab.get_by_test_id("stAlertContentError")).to_have_count(0)
    wait_idle(tab)
    screenshot(tab, "show-try-image-heat-maps")


def test_compare_two_runs_side_by_side(open_tab, runs: list[str]) -> None:
    tab = open_tab()
    goto(tab, f"/compare?run={runs[-1]}", "Compare runs")
    main = tab.get_by_test_id("stMain")
    expect(main.get_by_text(f"wider ({runs[-1]})").first).to_be_visible()
    expect(main.get_by_text("Settings that differ")).to_be_visible()
    expect(main.get_by_text("48 px instead of 32")).to_be_visible()  # the named run's note
    expect(main.get_by_test_id("stVegaLiteChart")).to_have_count(3)  # curves, ROC, PR
    assert main.get_by_text(NEED_TWO).count() == 0
    screenshot(tab, "show-compare")


def test_sidebar_names_the_run_and_lists_the_name(open_tab, runs: list[str], server: Server) -> None:
    tab = open_tab()
    goto(tab, f"/train?run={runs[0]}", "Train")
    bar = tab.get_by_test_id("stSidebar")
    bar.get_by_role("button", name="Name or note this run").click()
    tab.get_by_test_id("stPopoverBody").get_by_role("textbox", name="Name").fill("narrow")
    tab.get_by_role("button", name="Save").click()
    wait_idle(tab)
    expect(tab.get_by_text(f"Saved the name and note of run narrow ({runs[0]}).")).to_be_visible()
    assert (server.models_dir / runs[0] / "meta.json").is_file()
    tab.reload()
    wait_idle(tab)
    expect(tab.get_by_test_id("stMain").get_by_text(f"narrow ({runs[0]})")).to_be_visible()


def test_overview_report_downloads_as_one_offline_file(open_tab, runs: list[str], tmp_path: Path) -> None:
    tab = open_tab()
    goto(tab, f"/?run={runs[-1]}", "Unmask: real photo or AI-generated face?")
    with tab.expect_download(timeout=SLOW_MS) as caught:
        tab.get_by_role("button", name="Download the report (HTML)").click()
    path = tmp_path / "report.html"
    caught.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert f"Unmask report: run wider ({runs[-1]})" in text
    assert "<script" not in text and not re.search(r"""(src|href)=["']https?:""", text)
    assert text.count("data:image/svg+xml;base64,") >= 5
