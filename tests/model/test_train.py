"""Training properties on a tiny learnable set: loss falls, runs save and load, Stop stops."""

import threading

import numpy as np
import pytest

from core import pipeline
from core.errors import DataError
from core.model.config import TrainConfig
from core.model.train import predict_scores, train  # noqa: E402
from core.runs import store

TINY = TrainConfig(epochs=3, image_size=16, batch_size=8, learning_rate=0.01, seed=1)


def test_train_loss_falls_and_reports_every_epoch(tiny_faceset):
    reports = []
    result = train(tiny_faceset, TINY, on_epoch=reports.append)
    assert result.status == "finished"
    assert [r.epoch for r in reports] == [1, 2, 3]
    assert list(result.history["epoch"]) == [1, 2, 3]
    assert result.history["loss"].iloc[-1] < result.history["loss"].iloc[0]
    for key in (
        "accuracy",
        "accuracy_at_threshold",
        "auc",
        "val_loss",
        "val_accuracy_at_threshold",
        "val_auc",
    ):
        assert key in result.history.columns
    assert result.n_train + result.n_val == len(tiny_faceset)
    assert reports[-1].seconds_left == 0


def test_train_same_seed_same_scores(tiny_faceset):
    first = train(tiny_faceset, TINY)
    second = train(tiny_faceset, TINY)
    np.testing.assert_array_equal(first.val_index, second.val_index)
    np.testing.assert_allclose(first.val_scores, second.val_scores, rtol=0, atol=1e-6)


def test_train_cancel_stops_within_a_batch(tiny_faceset):
    cancel = threading.Event()
    batches = []

    def on_batch(epoch, batch, n_batches):
        batches.append((epoch, batch))
        if len(batches) == 2:
            cancel.set()

    result = train(
        tiny_faceset, TrainConfig(epochs=20, image_size=16, batch_size=4), on_batch=on_batch, cancel=cancel
    )
    assert result.status == "cancelled"
    assert batches == [(1, 1), (1, 2)]
    assert len(result.history) == 0  # a partial epoch is not recorded as an epoch


def test_train_and_save_round_trip_gives_identical_scores(tiny_faceset):
    info = pipeline.train_and_save(tiny_faceset, TINY)
    assert info.status == "finished"
    run = store.load_run(info.run_id)
    assert run.info.metrics["n"] == len(run.scores) == info.metrics["n_val"]
    model = store.load_model(info.run_id)
    val = run.scores
    index = [tiny_faceset.paths.index(p) for p in val["path"]]
    np.testing.assert_allclose(predict_scores(model, tiny_faceset.images[index]), val["score"], atol=1e-6)
    assert list(val.columns) == ["path", "label", "score", "skin_tone"]


def test_train_and_save_cancelled_run_lists_as_cancelled(tiny_faceset):
    cancel = threading.Event()
    cancel.set()
    info = pipeline.train_and_save(tiny_faceset, TINY, cancel=cancel)
    assert info.status == "cancelled"
    assert [r.status for r in store.list_runs()] == ["cancelled"]


def test_train_and_save_one_class_is_an_error(tiny_faceset):
    reals = tiny_faceset.subset(np.flatnonzero(tiny_faceset.labels == 1))
    with pytest.raises(DataError, match="Only real images were found"):
        pipeline.train_and_save(reals, TINY)
