"""core.model.saving writes the .keras file Keras would, a large Dense matrix by blocks of rows."""

import zipfile

import numpy as np
import pytest

from core.model import saving
from core.model.presets import build_model, load_keras_model


@pytest.fixture
def small_limits(monkeypatch):
    """Limits small enough that a 40 px paper model's matrix (39,200 x 128) is written in 3 blocks."""
    monkeypatch.setattr(saving, "BLOCK_WRITE_BYTES", 1024)
    monkeypatch.setattr(saving, "BLOCK_ROWS", 16_000)


def _trained_like(size: int = 40):
    import keras

    keras.utils.set_random_seed(3)
    model = build_model("paper", image_size=size)
    dense = model.get_layer("dense")
    dense.bias.assign(np.linspace(-1, 1, dense.bias.shape[0]).astype("float32"))  # not Keras's zeros
    return model


def _h5_layout(path):
    """Every group and dataset of an HDF5 weights file: name -> (shape, dtype) or the group's attributes."""
    import h5py

    layout = {}
    with h5py.File(path, "r") as h5:
        h5.visititems(
            lambda name, item: layout.__setitem__(
                name, (item.shape, str(item.dtype)) if isinstance(item, h5py.Dataset) else dict(item.attrs)
            )
        )
    return layout


def test_a_large_matrix_is_written_by_blocks_into_keras_own_layout(tmp_path, small_limits):
    model = _trained_like()
    assert [layer.name for layer in saving._large_dense_layers(model)] == ["dense"]
    saving.save_keras(model, tmp_path / "ours.keras", scratch=tmp_path / "scratch")
    model.save(tmp_path / "keras.keras")
    assert not (tmp_path / "scratch").exists()
    ours, theirs = (zipfile.ZipFile(tmp_path / f"{n}.keras") for n in ("ours", "keras"))
    assert sorted(ours.namelist()) == sorted(theirs.namelist())
    for archive, name in ((ours, "ours"), (theirs, "keras")):
        archive.extract(saving.WEIGHTS_FILE, tmp_path / name)
    ours_h5, keras_h5 = (tmp_path / name / saving.WEIGHTS_FILE for name in ("ours", "keras"))
    assert _h5_layout(ours_h5) == _h5_layout(keras_h5)
    assert "save_own_variables" not in model.get_layer("dense").__dict__  # the stand-in is gone

    loaded = load_keras_model(tmp_path / "ours.keras")
    for mine, back in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(back), np.asarray(mine), err_msg=mine.path)
    x = np.random.default_rng(0).integers(0, 256, (3, 40, 40, 3)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_small_models_are_saved_by_keras_alone(tmp_path):
    model = build_model("fast", image_size=32)
    assert saving._large_dense_layers(model) == []
    saving.save_keras(model, tmp_path / "fast.keras", scratch=tmp_path / "scratch")
    loaded = load_keras_model(tmp_path / "fast.keras")
    for mine, back in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(back), np.asarray(mine))


def test_a_failed_save_leaves_no_scratch_folder_and_the_layer_as_it_was(tmp_path, small_limits, monkeypatch):
    model = _trained_like()

    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(saving, "_write_by_blocks", refuse)
    with pytest.raises(OSError):
        saving.save_keras(model, tmp_path / "x.keras", scratch=tmp_path / "scratch")
    assert not (tmp_path / "scratch").exists()
    assert "save_own_variables" not in model.get_layer("dense").__dict__
