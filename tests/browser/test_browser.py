"""The whole dashboard in a real Chromium against ``streamlit run``: what a user sees on each page.

One server serves the module; the tests run in file order and build on each other's runs the
way a user would: a fresh machine with no run, then a run trained in the browser, then that run
on the Confusion and Try pages (a test run alone trains a tiny run with the CLI instead).
Every page visited is checked for an exception box or traceback text; screenshots of every page
land in ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from support.browser import (
    SLOW_MS,
    THRESHOLD_LABEL,
    VIEWPORT,
    Server,
    assert_no_crash,
    confusion_counts,
    counts_sentence,
    goto,
    latest_run,
    launch_chromium,
    open_page,
    run_scores,
    screenshot,
    streamlit_server,
    train_run_with_cli,
    wait_idle,
)

import ui
from core.errors import BAD_RUN_ID, NO_SUCH_FOLDER
from ui.loaders import DATA_UNUSABLE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: (sidebar title, the page's heading, URL path) of the seven pages, in the sidebar's order.
PAGES = [
    ("Overview", "Unmask: real photo or AI-generated face?", ""),
    ("Data", "Data", "data"),
    ("Train", "Train", "train"),
    ("Confusion", "Confusion matrix and metrics", "confusion"),
    ("Bias by group", "Who gets flagged: bias by group", "bias"),
    ("Try an image", "Try an image", "try_image"),
    ("Stress test", "Stress test: does it detect how a face was made?", "stress"),
]
NEEDS_A_RUN = {"Confusion", "Bias by group", "Try an image", "Stress test"}
#: The training run: 3 minutes at most, though 1 epoch at 16 px takes seconds.
TRAIN_MS = 180_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with streamlit_server(tmp_path_factory.mktemp("browser"), name="browser") as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    """A fresh browser context (so a new Streamlit session) per test; no crash shown at the end."""
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url)
    context.set_default_timeout(30_000)
    tab = context.new_page()
    try:
        yield tab
        assert_no_crash(tab)
    finally:
        context.close()


@pytest.fixture
def run_id(server: Server) -> str:
    """The newest run: the one the browser trained, or a tiny CLI run when that test did not run."""
    if not any(server.models_dir.glob("*/scores.csv")):
        train_run_with_cli(server)
    return latest_run(server)


def sidebar(page: Page):
    return page.get_by_test_id("stSidebar")


def jpeg(size: int = 96) -> bytes:
    """A small face-like JPEG: a skin-toned oval with two eyes on a grey background."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), (120, 120, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * 0.2, size * 0.1, size * 0.8, size * 0.9), fill=(224, 172, 140))
    for x in (0.38, 0.62):
        draw.ellipse((size * (x - 0.05), size * 0.4, size * (x + 0.05), size * 0.48), fill=(40, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def assert_images_loaded(page: Page, selector: str, at_least: int) -> None:
    """At least ``at_least`` images under ``selector`` are drawn (loaded, not broken)."""
    images = page.locator(f"{selector} img")
    expect(images.nth(at_least - 1)).to_be_visible()
    images.last.scroll_into_view_if_needed()
    page.wait_for_function(
        "([sel, n]) => { const all = [...document.querySelectorAll(sel + ' img')];"
        " return all.length >= n && all.every(i => i.complete && i.naturalWidth > 0); }",
        arg=[selector, at_least],
        timeout=30_000,
    )


# --- 1. a fresh machine ------------------------------------------------------------------------------
def test_every_page_opens_from_the_sidebar_on_a_fresh_machine(page: Page, server: Server) -> None:
    assert not any(server.models_dir.glob("*")), "this test needs a machine with no run: it runs first"
    goto(page, "/", PAGES[0][1])
    expect(sidebar(page).get_by_text("No run yet: train one on the Train page.")).to_be_visible()
    expect(sidebar(page).get_by_text("Using synthetic demo data")).to_be_visible()
    for title, heading, path in PAGES:
        open_page(page, title, heading)
        expect(page).to_have_url(re.compile(rf"/{path}(\?|$)"))
        if title in NEEDS_A_RUN or title == "Overview":
            expect(page.get_by_text(ui.NO_RUN_YET)).to_be_visible()
            expect(page.get_by_role("link", name="Go to the Train page")).to_be_visible()
        if title == "Overview":
            expect(page.get_by_test_id("stMain").get_by_text("synthetic demo data").first).to_be_visible()
            expect(page.get_by_role("button", name="Reproduce the study")).to_be_visible()
        elif title == "Data":
            images = page.get_by_test_id("stMetric").filter(has_text="Images")
            expect(images.get_by_test_id("stMetricValue")).to_have_text("600")
            expect(page.get_by_text("300 real · 300 fake · n = 600")).to_be_visible()
            expect(page.get_by_text("24 images drawn at random (seed 0)")).to_have_count(0)  # another tab
            page.get_by_role("tab", name="Images").click()  # made when chosen, and kept in the link
            expect(page.get_by_text("24 images drawn at random (seed 0)")).to_be_visible()
            assert_images_loaded(page, '[data-testid="stImage"]', 24)
            expect(page).to_have_url(re.compile(r"section=Images"))
            page.get_by_role("tab", name="Files").click()
            expect(page.get_by_text("No file was skipped.")).to_be_visible()
            expect(page.get_by_test_id("stMain").locator("table")).to_contain_text("128x128")
        elif title == "Train":
            expect(page.get_by_role("button", name="Start training")).to_be_visible()
            expect(page.get_by_text("No run yet: start one above.")).to_be_visible()
        suffix = "-no-run" if title in NEEDS_A_RUN or title == "Overview" else ""
        screenshot(page, f"{path or 'overview'}{suffix}")


# --- 2. training in the browser -----------------------------------------------------------------------
def test_train_a_tiny_run_and_see_it_listed(page: Page, server: Server) -> None:
    goto(page, "/train", "Train")
    epochs = page.get_by_role("slider", name="Epochs")
    epochs.press("Home")
    expect(epochs).to_have_value("1")
    size = page.get_by_role("spinbutton", name="Image size (pixels a side)")
    size.fill("16")
    size.press("Tab")
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_text(re.compile(r"^Training · job \S+ · fast preset, 1 epochs$"))).to_be_visible()

    done = page.get_by_text(re.compile(r"^Run \S+ finished; it is now the run in use\.$"))
    failed = page.get_by_test_id("stAlertContentError")
    try:
        expect(done.or_(failed).first).to_be_visible(timeout=TRAIN_MS)
    except AssertionError:
        screenshot(page, "train-did-not-end")
        main = page.get_by_test_id("stMain").inner_text()[:1500]
        raise AssertionError(
            f"training did not end in {TRAIN_MS // 1000} s; the page said:\n{main}\n"
            f"server log:\n{server.log_tail()}"
        ) from None
    errors = failed.all_inner_texts()
    assert not errors, f"training failed: {errors}"
    wait_idle(page)
    run_id = done.inner_text().split()[1]
    assert (server.models_dir / run_id / "model.keras").is_file()

    row = page.get_by_test_id("stTable").locator("tbody tr").filter(has_text=run_id)
    expect(row.locator("th").first).to_have_text(run_id)
    cells = row.locator("td")
    for column, shown in enumerate(["finished", "1 of 1", "synthetic demo data"]):
        expect(cells.nth(column)).to_have_text(shown)
    expect(cells.nth(3)).to_have_text(re.compile(r"^fast 16 px · batch "))
    expect(cells.nth(4)).to_have_text(re.compile(r"^\d+\.\d% \(\d+/150; 95% CI "))
    assert page.evaluate(  # the whole table fits beside the sidebar: no horizontal scrolling
        "() => { const t = document.querySelector('[data-testid=stTable]');"
        " return t.scrollWidth <= t.clientWidth + 1; }"
    )
    run_picker = sidebar(page).get_by_role("combobox", name="Run")
    expect(run_picker).to_have_value(re.compile(rf"^{run_id} · finished · acc \d+\.\d%$"))
    expect(page.get_by_role("heading", name="The run in use at another threshold")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"run={run_id}"))
    screenshot(page, "train")


def test_a_reload_and_a_second_tab_show_the_same_job_and_stop_it(page: Page, server: Server) -> None:
    """Training runs in its own process: a reload keeps it, another tab sees it and can stop it."""
    goto(page, "/train", "Train")
    page.get_by_role("slider", name="Epochs").press("End")  # 50 epochs: long enough to look at
    size = page.get_by_role("spinbutton", name="Image size (pixels a side)")
    size.fill("16")
    size.press("Tab")
    page.get_by_role("button", name="Start training").click()
    progress = re.compile(r"Epoch \d+ of 50, batch \d+ of \d+")
    expect(page.get_by_text(progress)).to_be_visible(timeout=TRAIN_MS)
    job_line = page.get_by_text(re.compile(r"^Training · job \S+ · fast preset, 50 epochs$"))
    job_id = job_line.inner_text().split("`")[0].split()[3]

    page.reload()  # the job survives the reload, with its progress and Stop
    expect(page.get_by_text(progress)).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name="Stop")).to_be_visible()

    other = page.context.browser.new_context(viewport=VIEWPORT, base_url=server.url).new_page()
    goto(other, "/train", "Train")  # a second tab, a new session
    expect(other.get_by_text(re.compile(rf"job {job_id}"))).to_be_visible()
    expect(other.get_by_text(progress)).to_be_visible()
    screenshot(other, "train-second-tab")
    other.get_by_role("button", name="Stop").click()
    expect(other.get_by_text("No job is queued or running.")).to_be_visible(timeout=TRAIN_MS)
    other.context.close()
    expect(page.get_by_text("No job is queued or running.")).to_be_visible(timeout=30_000)
    state = json.loads((server.models_dir / ".jobs" / job_id / "state.json").read_text())
    assert state["state"] == "cancelled" and (server.models_dir / state["run_id"] / "model.keras").is_file()


# --- 3. the threshold drives the counts, the URL keeps it ----------------------------------------------
def test_confusion_threshold_changes_counts_and_url_restores_it(
    page: Page, server: Server, run_id: str
) -> None:
    scores = run_scores(server, run_id)
    goto(page, "/confusion", "Confusion matrix and metrics")
    expect(page.get_by_text(f"Run {run_id}, scored on its {len(scores)} validation images")).to_be_visible()
    expect(page.get_by_text(counts_sentence(scores, 0.75))).to_be_visible()
    slider = page.get_by_role("slider", name=THRESHOLD_LABEL)
    thumb_value = page.get_by_test_id("stSliderThumbValue")
    expect(thumb_value).to_have_text("0.750")

    slider.press("Home")  # 0: every face with any score at all is called real
    expect(thumb_value).to_have_text("0.000")
    expect(page.get_by_text(counts_sentence(scores, 0.0))).to_be_visible()
    slider.press("End")  # 1: nothing is above it, every face is called fake
    expect(thumb_value).to_have_text("1.000")
    expect(page.get_by_text(counts_sentence(scores, 1.0))).to_be_visible()
    n_real, n_fake = int((scores["label"] == 1).sum()), int((scores["label"] == 0).sum())
    assert confusion_counts(scores, 1.0) == (0, n_real, 0, n_fake)
    assert confusion_counts(scores, 0.0) != confusion_counts(scores, 1.0), "the counts must move"

    slider.press("ArrowLeft")
    slider.press("ArrowLeft")
    expect(thumb_value).to_have_text("0.990")
    expect(page.get_by_text(counts_sentence(scores, 0.99))).to_be_visible()
    expect(page.get_by_role("button", name="Metrics at 0.99 (JSON)")).to_be_visible()
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"threshold=0\.99(&|$)"))
    screenshot(page, "confusion")

    roc = page.get_by_role("tab", name="ROC curve")
    roc.scroll_into_view_if_needed()
    roc.click()  # the chosen curve is made then, and kept in the link
    expect(
        page.get_by_text(re.compile(r"^ROC curve; the red point is the current threshold"))
    ).to_be_visible()
    expect(page.get_by_role("tabpanel").get_by_test_id("stVegaLiteChart")).to_have_count(1)
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"curve=ROC\+curve"))

    copied = page.url
    page.reload()  # a new session that knows only the URL
    expect(page.get_by_role("heading", name="Confusion matrix and metrics")).to_be_visible(timeout=SLOW_MS)
    wait_idle(page)
    expect(thumb_value).to_have_text("0.990")
    expect(page.get_by_text(counts_sentence(scores, 0.99))).to_be_visible()
    expect(page.get_by_role("tab", name="ROC curve", selected=True)).to_be_visible()
    assert page.url == copied
    assert_no_crash(page)


# --- 4. scoring an uploaded photo ------------------------------------------------------------------------
def test_try_an_image_shows_score_and_verdict(page: Page, server: Server, run_id: str) -> None:
    goto(page, "/try_image", "Try an image")
    expect(page.get_by_text(f"as run {run_id} was trained, then scored")).to_be_visible()
    expect(page.get_by_text("Upload one or more photos to see how the run calls them.")).to_be_visible()
    upload = page.get_by_test_id("stFileUploaderDropzoneInput")
    upload.set_input_files(files=[{"name": "face.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}])

    metric = page.get_by_test_id("stMetric").filter(has_text="P(real) for face.jpg")
    expect(metric).to_be_visible(timeout=SLOW_MS)  # the first score loads the model (TensorFlow)
    wait_idle(page)
    value = metric.get_by_test_id("stMetricValue")
    expect(value).to_have_text(re.compile(r"^[01]\.\d{3}$"))
    score = float(value.inner_text())
    assert 0.0 <= score <= 1.0
    call = "real" if score > 0.75 else "fake"
    verdict = page.get_by_text(re.compile(r"^Called (real|fake) at threshold 0\.75 "))
    expect(verdict).to_have_text(
        re.compile(rf"^Called {call} at threshold 0\.75 \(real when P\(real\) is above")
    )
    expect(page.get_by_text(re.compile(r"^face\.jpg, as the model sees it \(\d+ px\)$"))).to_be_visible()
    assert_images_loaded(page, '[data-testid="stMain"] [data-testid="stImage"]', 1)
    expect(page.get_by_text("validation accuracy is", exact=False)).to_be_visible()
    screenshot(page, "try_image")


# --- every page with a run ---------------------------------------------------------------------------------
def test_pages_with_a_run_show_its_numbers(page: Page, server: Server, run_id: str) -> None:
    goto(page, "/", PAGES[0][1])
    expect(
        page.get_by_test_id("stMetric").filter(has_text="This run: validation accuracy at 0.75")
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d+ of \d+ correct · 95% CI "))).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="The paper")).to_contain_text("%")
    screenshot(page, "overview")

    open_page(page, "Bias by group", "Who gets flagged: bias by group")
    expect(page.get_by_role("heading", name="Share of real faces flagged as fake")).to_be_visible(
        timeout=SLOW_MS
    )
    # The demo set is the run's own training data: only its validation images, with their stored scores.
    validation_only = r"only the run's \d+ validation images are used: the model trained on the rest"
    expect(page.get_by_text(re.compile(validation_only))).to_be_visible()
    stored = rf"as run {run_id} scored them when it was validated"
    expect(page.get_by_text(re.compile(stored))).to_be_visible()
    gap = page.get_by_text(re.compile(r"^Largest gap: \d+\.\d% between "))
    expect(gap).to_be_visible()
    named = re.search(r"between (.+?) \(\d+/\d+\) and (.+?) \(\d+/\d+\)", gap.inner_text())
    assert named and named[1] != named[2], f"the gap must be between two groups: {gap.inner_text()}"
    expect(page.get_by_role("heading", name="What N per group can and cannot show")).to_be_visible()
    screenshot(page, "bias")


# --- 5. bad input: a sentence, not a traceback -----------------------------------------------------------
def test_missing_folder_and_broken_photo_give_sentences(page: Page, server: Server, run_id: str) -> None:
    goto(page, "/data", "Data")
    sidebar(page).get_by_text("A folder on this computer").click()
    folder = sidebar(page).get_by_role("textbox", name="Folder path")
    expect(folder).to_be_visible()
    expect(sidebar(page).get_by_text(ui.ASK_FOR_FOLDER)).to_be_visible()
    missing = Path("/nonexistent/unmask-faces")
    folder.fill(str(missing))
    folder.press("Enter")
    refusal = NO_SUCH_FOLDER.format(path=missing)
    expect(sidebar(page).get_by_text(refusal)).to_be_visible()
    expect(page.get_by_test_id("stMain").get_by_text(refusal)).to_have_count(0)  # said once, in the sidebar
    expect(page.get_by_test_id("stMain").get_by_text(DATA_UNUSABLE)).to_be_visible()
    wait_idle(page)
    assert_no_crash(page)
    screenshot(page, "data-missing-folder")

    open_page(page, "Train", "Train")
    expect(page.get_by_test_id("stMain").get_by_text(DATA_UNUSABLE)).to_be_visible()
    expect(page.get_by_role("button", name="Start training")).to_have_count(0)

    sidebar(page).get_by_text("Built-in demo (synthetic demo data)").click()
    expect(sidebar(page).get_by_text("Using synthetic demo data")).to_be_visible()
    expect(page.get_by_role("button", name="Start training")).to_be_visible()
    expect(page.get_by_text(refusal)).to_have_count(0)

    open_page(page, "Try an image", "Try an image")
    upload = page.get_by_test_id("stFileUploaderDropzoneInput")
    upload.set_input_files(files=[{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": b"not a jpeg"}])
    error = page.get_by_test_id("stAlertContentError").filter(has_text="broken.jpg: ")
    expect(error).to_be_visible(timeout=SLOW_MS)
    expect(page.get_by_test_id("stMetric").filter(has_text="P(real)")).to_have_count(0)
    wait_idle(page)
    assert_no_crash(page)


# --- 6. a link naming a run outside models/ ---------------------------------------------------------------
def test_url_run_outside_models_warns_and_falls_back(page: Page, server: Server, run_id: str) -> None:
    goto(page, "/confusion?run=../etc&threshold=0.5", "Confusion matrix and metrics")
    refusal = ui.URL_RUN_FALLBACK.format(error=BAD_RUN_ID.format(run_id="../etc"))
    expect(page.get_by_test_id("stAlertContentWarning").filter(has_text=refusal)).to_be_visible()
    expect(sidebar(page).get_by_role("combobox", name="Run")).to_have_value(re.compile(rf"^{run_id} · "))
    expect(page.get_by_text(f"Run {run_id}, scored on its")).to_be_visible()
    expect(page.get_by_test_id("stSliderThumbValue")).to_have_text("0.500")  # the threshold is still taken
    expect(page).to_have_url(re.compile(rf"run={run_id}"))
    assert "etc" not in page.url
    screenshot(page, "confusion-bad-run-link")


# --- 7. the Stress test: probes, then the generalization matrix ---------------------------------------------
def test_stress_page_runs_the_probes_and_shows_the_matrix(page: Page, server: Server, run_id: str) -> None:
    goto(page, "/stress", PAGES[-1][1])
    expect(page.get_by_text("No evaluation kept yet: evaluate the run on a folder above.")).to_be_visible()
    page.get_by_role("button", name="Run the probes").click()
    verdict = page.get_by_text(
        re.compile(r"^(This model reacts to where the face sits|Re-framing changes few)")
    )
    expect(verdict).to_be_visible(timeout=SLOW_MS)
    expect(verdict).to_contain_text(
        re.compile(r"on synthetic demo data \(n = 150\), .+ flipped \d+ of 150 calls")
    )
    wait_idle(page)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(1)  # the flips chart
    assert list(server.models_dir.glob(f"{run_id}/stress/*.json")), "the probes' result is kept with the run"

    page.get_by_role("button", name="Evaluate").click()
    scored = f"synthetic demo data: 150 images scored; kept with run {run_id}."
    expect(page.get_by_text(scored)).to_be_visible(timeout=SLOW_MS)
    wait_idle(page)
    expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(2)  # the matrix, then the flips
    matrix = page.get_by_test_id("stDataFrame").first.locator("tbody tr").filter(has_text=run_id)
    expect(matrix).to_contain_text(re.compile(r"AUC \d\.\d{3} \(95% CI \d\.\d{3}–\d\.\d{3}\), n = 150: "))
    assert_no_crash(page)
    screenshot(page, "stress")
