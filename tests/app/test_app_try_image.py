"""The Try-an-image page: a score and a verdict per upload, and a sentence for a file that is no image."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.app import app, data_dir, texts, trained_models_dir, use_trained_run

from core.errors import IMAGE_NOT_AN_IMAGE, MODEL_UNREADABLE
from ui.state import _THRESHOLD_WIDGET as THRESHOLD_WIDGET

pytestmark = pytest.mark.slow


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    use_trained_run(monkeypatch)
    return app("try_image")


def _upload(at, *files: tuple[str, bytes, str]) -> None:
    at.file_uploader(key="try_uploads").set_value(list(files)).run()


def test_asks_for_a_photo_first(at) -> None:
    assert at.title[0].value == "Try an image"
    assert "Upload one or more photos to see how the run calls them." in [i.value for i in at.main.info]
    assert "shrunk to 32 x 32 pixels" in texts(at)


def test_upload_gets_score_verdict_and_the_model_view(at) -> None:
    photo = (data_dir() / "demo" / "real" / "real_0.jpg").read_bytes()
    _upload(at, ("face.jpg", photo, "image/jpeg"))
    [metric] = at.main.metric
    assert metric.label == "P(real) for face.jpg"
    score = float(metric.value)
    assert 0.0 <= score <= 1.0
    call = "real" if score > 0.75 else "fake"
    assert f"Called **{call}** at threshold 0.75 (real when P(real) is above it); one image, n = 1." in texts(
        at
    )
    assert at.main.image[0].captions == ["face.jpg, as the model sees it (32 px)"]
    assert "validation accuracy is" in texts(at) and "95% CI" in texts(at)


def test_verdict_follows_the_shared_threshold(at) -> None:
    photo = (data_dir() / "demo" / "fake" / "fake_0.jpg").read_bytes()
    _upload(at, ("a.jpg", photo, "image/jpeg"))
    at.slider(key=THRESHOLD_WIDGET).set_value(0.0).run()
    assert "Called **real** at threshold 0" in texts(at)
    at.slider(key=THRESHOLD_WIDGET).set_value(1.0).run()
    assert "Called **fake** at threshold 1" in texts(at)


def test_unreadable_upload_says_so_and_scores_the_rest(at) -> None:
    photo = (data_dir() / "demo" / "real" / "real_1.jpg").read_bytes()
    _upload(at, ("notes.png", b"this is not a picture", "image/png"), ("ok.jpg", photo, "image/jpeg"))
    message = "notes.png: " + IMAGE_NOT_AN_IMAGE.format(name="The uploaded image")
    assert [e.value for e in at.main.error] == [message]
    assert [m.label for m in at.main.metric] == ["P(real) for ok.jpg"]
    assert not at.exception


def test_damaged_model_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    run_id = use_trained_run(monkeypatch)
    shutil.copytree(trained_models_dir(), tmp_path / "models")
    (tmp_path / "models" / run_id / "model.keras").write_bytes(b"not a keras file")
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(tmp_path / "models"))
    at = app("try_image")
    photo = (data_dir() / "demo" / "real" / "real_0.jpg").read_bytes()
    _upload(at, ("face.jpg", photo, "image/jpeg"))
    [error] = at.main.error
    assert error.value.startswith(MODEL_UNREADABLE.split("(")[0].format(run_id=run_id))
    assert "delete this one on the Train page and train again" in texts(at)
    assert not at.exception
