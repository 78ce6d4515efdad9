"""Background training jobs: observable, cancellable, independent of each other."""

import time

from support.factories import disk_full, make_tiny_faceset

from core.errors import DataError
from core.model.config import TrainConfig
from core.paths import models_dir
from core.runs import store
from core.runs.jobs import TrainingJob


def _wait(job: TrainingJob, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not job.snapshot().done:
        assert time.monotonic() < deadline, "job did not end in time"
        time.sleep(0.05)
    return job.snapshot()


def test_training_job_finishes_and_saves_a_run():
    config = TrainConfig(epochs=2, image_size=16, batch_size=8)
    job = TrainingJob(config, load=lambda progress: make_tiny_faceset()).start()
    snap = _wait(job)
    assert snap.state == "finished"
    assert [row["epoch"] for row in snap.history] == [1, 2]
    assert snap.fraction == 1.0
    assert store.run_info(snap.run_id).status == "finished"


def test_training_job_cancel_saves_a_cancelled_run():
    config = TrainConfig(epochs=200, image_size=16, batch_size=4)
    job = TrainingJob(config, load=lambda progress: make_tiny_faceset()).start()
    deadline = time.monotonic() + 60
    while job.snapshot().batch == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    job.cancel()
    snap = _wait(job)
    assert snap.state == "cancelled"
    assert snap.epoch < 200
    assert store.run_info(snap.run_id).status == "cancelled"


def test_training_job_reports_data_errors_as_sentences():
    def load(progress):
        raise DataError("The folder /x does not exist; check the path and try again.")

    snap = _wait(TrainingJob(TrainConfig(epochs=1), load=load).start())
    assert snap.state == "failed"
    assert snap.error == "The folder /x does not exist; check the path and try again."
    assert snap.run_id is None


def test_two_jobs_at_once_each_save_their_own_run():
    a = TrainingJob(
        TrainConfig(epochs=2, image_size=16, seed=1), load=lambda p: make_tiny_faceset(seed=1)
    ).start()
    b = TrainingJob(
        TrainConfig(epochs=3, image_size=16, seed=2), load=lambda p: make_tiny_faceset(seed=2)
    ).start()
    snap_a, snap_b = _wait(a), _wait(b)
    assert (snap_a.state, snap_b.state) == ("finished", "finished")
    assert snap_a.run_id != snap_b.run_id
    assert len(snap_a.history) == 2 and len(snap_b.history) == 3
    assert store.run_info(snap_a.run_id).config["seed"] == 1
    assert store.run_info(snap_b.run_id).config["epochs"] == 3


def test_training_job_on_a_full_disk_keeps_the_model_to_save_again(monkeypatch):
    real = store._write_json
    monkeypatch.setattr(store, "_write_json", disk_full)
    job = TrainingJob(TrainConfig(epochs=1, image_size=16), load=lambda p: make_tiny_faceset())
    snap = _wait(job.start())
    assert snap.state == "failed" and snap.run_id is None
    assert "could not be saved" in snap.error and "(No space left on device)" in snap.error
    assert store.list_runs() == [] and list(models_dir().iterdir()) == []
    monkeypatch.setattr(store, "_write_json", real)  # space freed
    info = snap.save_again()
    assert info.status == "finished" and [r.run_id for r in store.list_runs()] == [info.run_id]
    assert store.load_model(info.run_id).count_params() > 0  # the very model trained, not lost
