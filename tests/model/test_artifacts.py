"""The artifacts preset's model: NPR front-end against numpy, safe-mode loading, grid scoring, training."""

from __future__ import annotations

import dataclasses
import io

import keras  # noqa: E402
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from core import pipeline
from core.data.faceset import FaceSet
from core.model import artifacts  # noqa: E402
from core.model.config import TrainConfig
from core.model.patches import grid_patches  # noqa: E402
from core.model.presets import build_model  # noqa: E402
from core.model.train import predict_scores, train  # noqa: E402
from core.runs import store

PATCH = 16
TINY = TrainConfig(
    preset="artifacts",
    epochs=3,
    patch_size=PATCH,
    patches_per_image=4,
    batch_size=16,
    learning_rate=0.01,
    seed=1,
)


def _front(model: keras.Model) -> keras.Model:
    return keras.Model(model.inputs, model.get_layer("npr").output)


def _ragged(images: list[np.ndarray]) -> np.ndarray:
    out = np.empty(len(images), dtype=object)
    for i, image in enumerate(images):
        out[i] = image
    return out


def test_npr_front_end_equals_numpy(monkeypatch):
    monkeypatch.setattr(artifacts, "FRONT_END", "npr")
    x = np.random.default_rng(0).integers(0, 256, (2, PATCH, PATCH, 3)).astype("float32")
    got = _front(build_model("artifacts", image_size=PATCH)).predict(x, verbose=0)
    pixels = x / 255
    top_left = np.repeat(np.repeat(pixels[:, ::2, ::2], 2, axis=1), 2, axis=2)  # nearest down, then up
    np.testing.assert_allclose(got, pixels - top_left, atol=1e-6)
    assert np.all(got[:, ::2, ::2] == 0)  # each 2x2 block's top-left pixel is its own reference


def test_npr_mean_front_end_equals_numpy(monkeypatch):
    monkeypatch.setattr(artifacts, "FRONT_END", "npr_mean")
    x = np.random.default_rng(1).integers(0, 256, (2, PATCH, PATCH, 3)).astype("float32")
    got = _front(build_model("artifacts", image_size=PATCH)).predict(x, verbose=0)
    pixels = x / 255
    means = pixels.reshape(2, PATCH // 2, 2, PATCH // 2, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(got, pixels - np.repeat(np.repeat(means, 2, axis=1), 2, axis=2), atol=1e-6)


def test_artifacts_model_has_no_lambda_and_a_logit_layer():
    model = build_model("artifacts", image_size=PATCH)
    kinds = {type(layer).__name__ for layer in model.layers}
    assert "Lambda" not in kinds
    assert model.input_shape == (None, PATCH, PATCH, 3)
    assert model.get_layer("logit").units == 1
    assert model.layers[-1].name == "p_real"


def test_grid_scores_are_the_sigmoid_of_the_mean_patch_logit():
    model = build_model("artifacts", image_size=PATCH)
    rng = np.random.default_rng(2)
    images = [
        rng.integers(0, 256, (40, 30, 3), dtype=np.uint8),
        rng.integers(0, 256, (16, 16, 3), dtype=np.uint8),
    ]
    logits = artifacts.logit_model(model)
    expected = []
    for image in images:
        z = logits.predict(grid_patches(image, PATCH).astype("float32"), verbose=0).mean()
        expected.append(1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(artifacts.grid_scores(model, images), expected, atol=1e-6)
    # predict_scores dispatches: ragged images, and squares larger than the patch, go through the grid.
    np.testing.assert_allclose(predict_scores(model, _ragged(images)), expected, atol=1e-6)
    square = rng.integers(0, 256, (3, 40, 40, 3), dtype=np.uint8)
    np.testing.assert_allclose(
        predict_scores(model, square), artifacts.grid_scores(model, list(square)), atol=1e-6
    )


def test_patch_logits_mirror_scores_each_patch_and_its_mirror():
    model = build_model("artifacts", image_size=PATCH)
    image = np.random.default_rng(5).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    (plain,) = artifacts.patch_logits(model, [image])
    (both,) = artifacts.patch_logits(model, [image], mirror=True)
    (mirrored,) = artifacts.patch_logits(model, [image[:, ::-1]])
    np.testing.assert_allclose(both[: len(plain)], plain, atol=1e-5)
    assert len(both) == 2 * len(plain) and len(mirrored) == len(plain)
    (dense,) = artifacts.patch_logits(model, [image], stride=PATCH // 2)
    assert len(dense) > len(plain)


def test_grid_scores_chunking_does_not_change_scores(monkeypatch):
    model = build_model("artifacts", image_size=PATCH)
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (20 + i, 33, 3), dtype=np.uint8) for i in range(7)]
    whole = artifacts.grid_scores(model, images)
    monkeypatch.setattr(artifacts, "CHUNK_PATCHES", 5)
    np.testing.assert_allclose(artifacts.grid_scores(model, images), whole, atol=1e-6)


def test_saved_artifacts_model_loads_in_safe_mode_with_identical_scores(tmp_path):
    model = build_model("artifacts", image_size=PATCH)
    images = [np.random.default_rng(4).integers(0, 256, (37, 29, 3), dtype=np.uint8)]
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True, compile=False)
    np.testing.assert_array_equal(artifacts.grid_scores(loaded, images), artifacts.grid_scores(model, images))


def _native_faceset(n_per_class: int = 16) -> FaceSet:
    """Images of different sizes; fakes carry a 2x nearest-neighbour up-sampling trace a patch can see."""
    rng = np.random.default_rng(0)
    images = np.empty(2 * n_per_class, dtype=object)
    for i in range(2 * n_per_class):
        height, width = 24 + 2 * (i % 5), 28 + 2 * (i % 3)
        if i < n_per_class:  # real: independent pixels
            images[i] = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        else:  # fake: each pixel repeated over a 2x2 block
            small = rng.integers(0, 256, (height // 2, width // 2, 3), dtype=np.uint8)
            images[i] = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    labels = np.array([1] * n_per_class + [0] * n_per_class, dtype=np.int8)
    return FaceSet(
        name="tiny native set",
        root="/nonexistent/native",
        layout="labels_csv",
        paths=tuple(f"{'real' if y else 'fake'}/{i}.png" for i, y in enumerate(labels)),
        labels=labels,
        groups=pd.DataFrame({"source": ["a", "b"] * n_per_class}),
        images=images,
        native_max_side=64,
    )


@pytest.mark.slow
def test_train_artifacts_loss_falls_and_scores_whole_images():
    faces = _native_faceset()
    result = train(faces, TINY)
    assert result.status == "finished"
    assert result.history["loss"].iloc[-1] < result.history["loss"].iloc[0]
    assert len(result.history) == 3 and "val_accuracy" in result.history
    assert result.val_scores.shape == (result.n_val,)
    assert np.all((result.val_scores >= 0) & (result.val_scores <= 1))
    # Stratified by source and class: each of the four strata has images on both sides.
    strata = faces.groups["source"].to_numpy() + faces.labels.astype(str)
    assert set(strata[result.val_index]) == set(strata) == set(strata[result.train_index])


@pytest.mark.slow
def test_train_and_save_artifacts_round_trip_gives_identical_scores():
    faces = _native_faceset()
    info = pipeline.train_and_save(faces, dataclasses.replace(TINY, epochs=1, test_fraction=0.25))
    assert (info.native_max_side, info.config["patch_size"]) == (512, PATCH)  # the preset's, for new data
    assert info.config["dataset"]["native_max_side"] == 64  # how this set was decoded
    run = store.load_run(info.run_id)
    model = store.load_model(info.run_id)  # safe mode
    index = [faces.paths.index(p) for p in run.scores["path"]]
    np.testing.assert_allclose(predict_scores(model, faces.images[index]), run.scores["score"], atol=1e-6)
    test = store.load_table(info.run_id, pipeline.TEST_SCORES)
    assert len(test) == info.metrics["test"]["n"] == 8
    assert not set(test["path"]) & set(run.scores["path"])
    assert list(run.scores.columns) == ["path", "label", "score", "source"]
    # An upload is decoded at its own size for a patch preset, and scored by the grid.
    buffer = io.BytesIO()
    Image.fromarray(faces.images[0]).save(buffer, "PNG")
    pixels = pipeline.decode_for_run(info.run_id, buffer.getvalue())
    np.testing.assert_array_equal(pixels, faces.images[0])
    expected = predict_scores(model, _ragged([pixels]))
    np.testing.assert_allclose(pipeline.score_images(info.run_id, [pixels]), expected, atol=1e-6)
