"""Background training jobs: observable, cancellable, independent of each other."""

import time

import pytest
from support.factories import make_tiny_faceset

from core.errors import DataError
from core.model.config import TrainConfig
from core.runs import store
from core.runs.jobs import TrainingJob

pytest.importorskip("tensorflow")


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


@pytest.mark.slow
def test_training_job_artifacts_given_squares_trains_on_the_files_at_native_resolution(tmp_path):
    """The dashboard decodes a set at the run's image size first; artifacts reads the files again."""
    import numpy as np
    from PIL import Image

    from core import pipeline

    rng = np.random.default_rng(0)
    for label in ("real", "fake"):
        (tmp_path / label).mkdir()
        for i in range(8):
            Image.fromarray(rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)).save(
                tmp_path / label / f"{i}.png"
            )
    config = TrainConfig(preset="artifacts", epochs=1, patch_size=16, patches_per_image=1, batch_size=8)
    size = config.resolved().image_size
    job = TrainingJob(config, load=lambda progress: pipeline.load_faces(tmp_path, image_size=size)).start()
    snap = _wait(job, timeout=300)
    assert snap.state == "finished", snap.error
    dataset = store.run_info(snap.run_id).config["dataset"]
    assert dataset["native_max_side"] == 512 and dataset["native_factors"] == {"1": 16}
