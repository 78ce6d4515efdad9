"""core.model.explain: Grad-CAM maps of a tiny model that learned where the evidence is."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
from support.factories import make_tiny_faceset

from core import pipeline
from core.errors import EXPLAIN_NO_CONV, EXPLAIN_UNSUPPORTED, ModelError
from core.model.config import TrainConfig
from core.model.explain import EXPLAINERS, RegionMap, explain_run, grad_cam, region_map
from core.model.train import predict_scores, train

#: Reals are bright on the left half, fakes on the right (see make_tiny_faceset); 32 px so the
#: fast preset's last convolution keeps an 8 x 8 grid.
CONFIG = TrainConfig(epochs=6, image_size=32, batch_size=8, learning_rate=0.01, seed=1)


@pytest.fixture(scope="module")
def trained():
    faces = make_tiny_faceset(n_per_class=32, size=32)
    return faces, train(faces, CONFIG)


def test_grad_cam_shape_range_and_scores_match_the_model(trained) -> None:
    faces, result = trained
    found = grad_cam(result.model, faces.images[:6], threshold=0.5)
    assert isinstance(found, RegionMap) and found.kind == "attention"
    assert found.maps.shape == (6, 8, 8)
    assert found.maps.min() >= 0 and found.maps.max() <= 1
    assert all(m.max() in (0.0, 1.0) for m in found.maps)  # scaled per image, or empty
    np.testing.assert_allclose(found.scores, predict_scores(result.model, faces.images[:6]), atol=1e-5)
    assert found.method.startswith("Grad-CAM (HiResCAM) on ")


def test_grad_cam_looks_where_the_evidence_is(trained) -> None:
    """The reals' evidence is their bright left half: their maps weigh the left more than the right."""
    faces, result = trained
    reals = faces.images[faces.labels == 1]
    found = grad_cam(result.model, reals, threshold=0.5)
    called_real = found.scores > 0.5
    assert called_real.mean() > 0.9  # the model learned the task
    left, right = found.maps[:, :, :4].sum(), found.maps[:, :, 4:].sum()
    assert left > right


def test_region_map_dispatches_by_preset_and_refuses_unknown_ones(trained) -> None:
    faces, result = trained
    assert set(EXPLAINERS) == {"fast", "paper", "artifacts"}
    found = region_map(result.model, faces.images[:2], preset="fast", threshold=0.5)
    assert found.maps.shape[0] == 2
    message = EXPLAIN_UNSUPPORTED.format(preset="future", choices=", ".join(EXPLAINERS))
    with pytest.raises(ModelError, match=re.escape(message)):
        region_map(result.model, faces.images[:2], preset="future")


def test_artifacts_map_is_each_patch_p_real_and_its_mean_logit_is_the_score() -> None:
    from core.model.artifacts import grid_scores
    from core.model.presets import build_model

    keras.utils.set_random_seed(0)
    model = build_model("artifacts", image_size=16)
    rng = np.random.default_rng(0)
    images = [
        rng.integers(0, 256, (40, 32, 3), dtype=np.uint8),
        rng.integers(0, 256, (16, 16, 3), dtype=np.uint8),
    ]
    found = region_map(model, images, preset="artifacts")
    assert found.kind == "patch_score" and found.maps[0].shape == (3, 2) and found.maps[1].shape == (1, 1)
    np.testing.assert_allclose(found.scores, grid_scores(model, images), atol=1e-6)
    logits = np.log(found.maps[0] / (1 - found.maps[0]))
    np.testing.assert_allclose(1 / (1 + np.exp(-logits.mean())), found.scores[0], atol=1e-6)


def test_grad_cam_refuses_a_model_without_convolution() -> None:
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs)))
    with pytest.raises(ModelError, match=re.escape(EXPLAIN_NO_CONV.format(name=model.name))):
        grad_cam(model, np.zeros((1, 4, 4, 3), np.uint8))


def test_explain_run_uses_the_saved_model_and_threshold(trained) -> None:
    faces, _ = trained
    info = pipeline.train_and_save(faces, TrainConfig(epochs=1, image_size=32, batch_size=8, seed=1))
    found = explain_run(info.run_id, faces.images[:3])
    assert found.maps.shape == (3, 8, 8)
    assert (info.path / "tensorboard").is_dir()  # the run kept its TensorBoard logs
    assert any((info.path / "tensorboard").rglob("events.out.tfevents.*"))
