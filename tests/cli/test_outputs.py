"""python -m core explain and report: one PNG per image, one self-contained HTML or PDF file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.factories import make_tiny_faceset

from core.cli import EXIT_BAD_INPUT, main
from core.errors import EXPLAIN_NO_IMAGES, IMAGE_NOT_AN_IMAGE
from core.evaluation.heatmaps import PANEL
from core.paths import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A run trained for 2 epochs on a tiny folder; returns (run id, folder)."""
    import os

    root = tmp_path_factory.mktemp("outputs")
    folder = root / "faces"
    faces = make_tiny_faceset(n_per_class=16, size=32)
    for path, pixels in zip(faces.paths, faces.images, strict=True):
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / path)
    saved = {k: os.environ.get(k) for k in ("UNMASK_DATA_DIR", "UNMASK_MODELS_DIR")}
    os.environ["UNMASK_DATA_DIR"], os.environ["UNMASK_MODELS_DIR"] = str(root / "data"), str(root / "models")
    try:
        assert main(["train", "--data", str(folder), "--epochs", "2", "--image-size", "32", "--json"]) == 0
    finally:
        for key, value in saved.items():
            if value is not None:
                os.environ[key] = value
    run_id = next(p.name for p in (root / "models").iterdir() if not p.name.startswith("."))
    return run_id, root


@pytest.fixture
def models(trained: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> str:
    run_id, root = trained
    monkeypatch.setenv("UNMASK_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(root / "models"))
    return run_id


@pytest.mark.slow
def test_explain_writes_one_png_per_image_and_skips_unreadable_ones(
    models: str, trained, capsys, tmp_path
) -> None:
    run_id, root = trained
    real, fake = root / "faces" / "real" / "0.png", root / "faces" / "fake" / "20.png"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    out = tmp_path / "maps"
    code = main(["explain", str(real), str(fake), str(broken), "--run", run_id, "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0
    result = json.loads(captured.out)
    assert result["method"].startswith("Grad-CAM (HiResCAM) on conv_3")
    assert [Path(w["png"]).name for w in result["images"]] == ["0-explained.png", "20-explained.png"]
    for written in result["images"]:
        picture = np.asarray(Image.open(written["png"]))
        assert picture.shape == (PANEL, 2 * PANEL + 8, 3)
        assert written["called"] == ("real" if written["score"] > result["threshold"] else "fake")
    assert result["skipped"] == [
        {"image": str(broken), "error": IMAGE_NOT_AN_IMAGE.format(name="broken.jpg")}
    ]
    assert f"skipped {broken}" in captured.err


def test_explain_with_no_readable_image_is_one_sentence(models: str, capsys, tmp_path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"")
    assert main(["explain", str(broken), "--run", models, "--out", str(tmp_path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("error: " + EXPLAIN_NO_IMAGES.split("{")[0])


@pytest.mark.slow
def test_report_html_and_pdf_first_page(models: str, capsys, tmp_path) -> None:
    import pypdfium2

    html = tmp_path / "report.html"
    assert main(["report", "--run", models, "--out", str(html), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["path"] == str(html)
    page = html.read_text(encoding="utf-8")
    assert f"Unmask report: run {models}" in page and "<script" not in page

    pdf = tmp_path / "report.pdf"
    assert main(["report", "--run", models, "--out", str(pdf)]) == 0
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) >= 2
    first = document[0].render(scale=1.0).to_pil().convert("L")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    first.save(SCREENSHOTS / "report-pdf-page1.png")
    ink = np.asarray(first) < 128
    assert ink.mean() > 0.01  # text drawn, not a blank page
    assert "Unmask report" in document[0].get_textpage().get_text_range()
