"""Training from a set kept on disk gives the run that training from memory gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.factories import write_tiny_folder

from core.data import datasets
from core.data.ondisk import DiskImages, load_on_disk
from core.model.config import TrainConfig
from core.model.train import train


def test_training_from_disk_matches_training_from_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNMASK_DATA_DIR", str(tmp_path / "data"))
    folder = write_tiny_folder(tmp_path / "faces", n_per_class=30, size=16)
    config = TrainConfig(preset="fast", epochs=2, image_size=16, batch_size=8)
    in_memory = train(datasets.load(folder, image_size=16, use_cache=False), config)
    streamed_set = load_on_disk(datasets.scan(folder), image_size=16)
    assert isinstance(streamed_set.images, DiskImages)
    streamed = train(streamed_set, config)
    np.testing.assert_array_equal(streamed.val_index, in_memory.val_index)
    np.testing.assert_allclose(streamed.val_scores, in_memory.val_scores, atol=1e-5)
    np.testing.assert_allclose(streamed.history["loss"], in_memory.history["loss"], rtol=1e-5)


def test_cli_train_streams_a_large_set_and_saves_an_ordinary_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import json

    from core.cli import main
    from core.runs import store

    monkeypatch.setenv("UNMASK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("UNMASK_STREAM_ABOVE_MB", "1")  # 60 images at 128 px: 2.9 MB, so streamed
    folder = write_tiny_folder(tmp_path / "faces", n_per_class=30, size=16)
    argv = ["train", "--data", str(folder), "--epochs", "1", "--image-size", "128", "--json"]
    assert main(argv) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert list((tmp_path / "data" / "cache").glob("*.u8"))  # it went through the file
    assert store.load_run(run_id).scores.shape[0] == store.run_info(run_id).metrics["n_val"]
