"""The bounded-memory training step (core.model.lean) makes Keras's update, and training uses it."""

import gc
import weakref

import numpy as np
import pytest

from core.model import lean
from core.model.config import TrainConfig
from core.model.presets import build_model, compile_model
from core.model.train import train


def _model(*, size: int = 40, augment: bool = False):
    import keras

    keras.utils.set_random_seed(0)
    model = build_model("paper", image_size=size, augment=augment)
    compile_model(model, learning_rate=1e-3, threshold=0.75)
    return model


@pytest.mark.parametrize("augment", [False, True])
def test_lean_step_gives_the_weights_keras_step_gives(monkeypatch, augment):
    """Three steps of each on the same batches: every weight agrees to float32 rounding, as do the
    loss and metrics Keras reports (micro-batches of 3 over a batch of 10, blocks of 1,000 rows,
    so the last micro-batch and the last block are partial)."""
    import keras

    monkeypatch.setattr(lean, "LEAN_ABOVE_WEIGHTS", 1)
    monkeypatch.setattr(lean, "BLOCK_ROWS", 1000)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (10, 40, 40, 3)).astype("float32")
    y = np.array([0, 1] * 5, dtype="float32")
    keras_model, lean_model = _model(augment=augment), _model(augment=augment)
    assert lean.applies(lean_model)
    lean.install(lean_model)
    lean_model.train_step.micro = 3
    assert lean_model.get_layer("dense").kernel.shape[0] > 3 * lean.BLOCK_ROWS
    before = np.asarray(lean_model.get_layer("dense").kernel).copy()
    for i in range(3):
        keras.utils.set_random_seed(10 + i)  # the same random flips and contrast for both
        said_keras = keras_model.train_on_batch(x, y, return_dict=True)
        keras.utils.set_random_seed(10 + i)
        said_lean = lean_model.train_on_batch(x, y, return_dict=True)
        assert said_lean == pytest.approx(said_keras, rel=1e-4, abs=1e-6)
    # Sums in another order differ in the last bits; Adam divides a gradient by its own size, so
    # where a gradient is near 0 that can move a weight by a little of one step (1e-3): 1% at most.
    for ours, theirs in zip(lean_model.weights, keras_model.weights, strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-4, atol=1e-5)
    said_keras, said_lean = (m.test_on_batch(x, y, return_dict=True) for m in (keras_model, lean_model))
    assert said_lean == pytest.approx(said_keras, rel=1e-4, abs=1e-6)  # the validation step too
    moved = np.abs(np.asarray(lean_model.get_layer("dense").kernel) - before)
    assert moved.max() > 1e-4  # the matrix did move: the comparison is not of two untouched copies


def test_applies_only_to_a_huge_hidden_dense_layer(monkeypatch):
    assert not lean.applies(_model())  # 40 px: 51,200 x 128 weights, far under the limit
    assert lean.LEAN_ABOVE_WEIGHTS < 710_432 * 128  # the paper preset at 300 px is over it
    monkeypatch.setattr(lean, "LEAN_ABOVE_WEIGHTS", 1)
    assert lean.applies(_model())
    assert not lean.applies(build_model("artifacts", image_size=32))  # no Flatten -> Dense head


def test_micro_batch_keeps_activations_under_the_limit():
    model = build_model("paper", image_size=300)
    micro = lean.micro_batch(model)
    per_image = 2 * 4 * (2 * 300 * 300 * 3 + 298 * 298 * 32 + 2 * 149 * 149 * 32)
    assert micro >= 1 and micro * per_image <= lean.MICRO_ACTIVATION_BYTES < (micro + 1) * per_image


def test_training_uses_the_lean_step_and_records_it(monkeypatch, tiny_faceset):
    monkeypatch.setattr(lean, "LEAN_ABOVE_WEIGHTS", 1)
    config = TrainConfig(preset="paper", epochs=3, image_size=16, batch_size=8, learning_rate=0.01, seed=1)
    result = train(tiny_faceset, config)
    assert result.distribution["step"] == "lean"
    assert "train_step" not in result.model.__dict__ and not result.model.run_eagerly  # lean.finish ran
    assert getattr(result.model, "optimizer", None) is None
    assert result.history["loss"].iloc[-1] < result.history["loss"].iloc[0]
    monkeypatch.setattr(lean, "LEAN_ABOVE_WEIGHTS", 10**12)
    assert train(tiny_faceset, config).distribution["step"] == "keras"


def test_finish_drops_the_optimizer_and_fresh_matrix_keeps_the_values(monkeypatch):
    monkeypatch.setattr(lean, "LEAN_ABOVE_WEIGHTS", 1)
    model = _model()
    lean.install(model)
    x = np.random.default_rng(2).integers(0, 256, (6, 40, 40, 3)).astype("float32")
    model.train_on_batch(x, np.array([0, 1] * 3, dtype="float32"))
    kernel = model.get_layer("dense").kernel
    before, old = np.asarray(kernel).copy(), kernel.value
    scores = np.asarray(model(x))
    optimizer = weakref.ref(model.optimizer)
    scored = lean.finish(model)
    assert "train_step" not in scored.__dict__ and getattr(scored, "optimizer", None) is None
    assert scored.get_layer("dense") is model.get_layer("dense")  # the same layers, not copies
    del model
    gc.collect()
    assert optimizer() is None, "the optimizer (Adam's moments: twice the matrix) outlives the trained model"
    lean.fresh_matrix(scored)
    assert kernel.value is not old
    np.testing.assert_array_equal(np.asarray(kernel), before)
    np.testing.assert_array_equal(np.asarray(scored(x)), scores)
    assert lean.finish(scored) is scored  # a second call, or one on a model trained by Keras's step
