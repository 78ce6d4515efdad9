"""The Try-an-image page: a score and a verdict per upload, and a sentence for a file that is no image."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.app import app, data_dir, texts, trained_models_dir, use_trained_run

from core.data import images
from core.data.images import MAX_UPLOAD_IMAGE_MB
from core.data.uploads import MAX_UPLOAD_MB
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


def test_uploaders_cap_what_the_browser_sends(at) -> None:
    """The server accepts the largest upload of any page; each uploader asks the browser for its own cap."""
    assert at.file_uploader(key="try_uploads").proto.max_upload_size_mb == MAX_UPLOAD_IMAGE_MB
    at.sidebar.radio(key="data_source").set_value("zip").run()
    assert at.sidebar.file_uploader(key="data_zip").proto.max_upload_size_mb == MAX_UPLOAD_MB


def test_each_upload_is_decoded_once_per_session_not_on_every_rerun(at, monkeypatch) -> None:
    calls = []
    real = images.decode_image
    monkeypatch.setattr(images, "decode_image", lambda *a, **k: calls.append(1) or real(*a, **k))
    photo = (data_dir() / "demo" / "real" / "real_0.jpg").read_bytes()
    _upload(at, ("face.jpg", photo, "image/jpeg"), ("again.jpg", photo, "image/jpeg"))
    for value in (0.2, 0.9, 0.5):
        at.slider(key=THRESHOLD_WIDGET).set_value(value).run()
    assert len(calls) == 1  # two files with the same bytes, four runs: one decode
    assert [m.label for m in at.main.metric] == ["P(real) for face.jpg", "P(real) for again.jpg"]


@pytest.mark.parametrize(
    ("kind", "mime"), [("GIF", "image/gif"), ("BMP", "image/bmp"), ("TIFF", "image/tiff")]
)
def test_gif_bmp_and_tiff_are_taken_as_the_error_text_invites(at, kind: str, mime: str) -> None:
    import io

    from PIL import Image

    from app_pages.try_image import KINDS

    assert kind in KINDS and kind in IMAGE_NOT_AN_IMAGE  # the uploader takes what the refusal names
    buffer = io.BytesIO()
    Image.open(data_dir() / "demo" / "real" / "real_0.jpg").save(buffer, kind)
    _upload(at, (f"face.{kind.lower()}", buffer.getvalue(), mime))
    assert [m.label for m in at.main.metric] == [f"P(real) for face.{kind.lower()}"]
    assert not at.main.error


def test_heat_maps_show_where_the_model_looks_and_can_be_hidden(at) -> None:
    photo = (data_dir() / "demo" / "real" / "real_0.jpg").read_bytes()
    _upload(at, ("face.jpg", photo, "image/jpeg"))
    assert at.main.image[1].captions == ["face.jpg: as the model sees it, and where it looks"]
    assert "Grad-CAM (HiResCAM) on conv_3: red marks the regions" in texts(at)
    at.toggle(key="try_heat_maps").set_value(False).run()
    assert len(at.main.image) == 1


def test_an_artifacts_run_scores_an_upload_at_its_own_size_with_its_patch_map(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io

    from PIL import Image
    from support.factories import write_tiny_folder

    from core import pipeline
    from core.data import datasets
    from core.model.config import TrainConfig

    monkeypatch.setenv("UNMASK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(tmp_path / "models"))
    folder = write_tiny_folder(tmp_path / "faces", n_per_class=8, size=40)
    config = TrainConfig(preset="artifacts", epochs=1, patch_size=16, patches_per_image=1, batch_size=8)
    faces = datasets.load(folder, native_max_side=512)
    pipeline.train_and_save(faces, config)
    at = app("try_image")
    assert "kept at its own size" in texts(at)
    buffer = io.BytesIO()
    Image.open(folder / faces.paths[0]).resize((48, 36)).save(buffer, format="PNG")
    _upload(at, ("wide.png", buffer.getvalue(), "image/png"))
    assert not at.exception, [e.value for e in at.exception]
    assert at.main.image[0].captions == ["wide.png, as the model sees it (48 x 36 px)"]
    assert 0.0 <= float(at.main.metric[0].value) <= 1.0
    assert "P(real) of each 16 px patch" in texts(at)  # the artifacts preset's own map
