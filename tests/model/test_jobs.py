"""Training jobs end to end: each in a worker process of its own, queued, stoppable, honest when killed."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest
from support.factories import disk_full, write_tiny_folder

from core.errors import JOB_LOST, JOB_NOT_UNSAVED, ModelError
from core.model.config import TrainConfig
from core.paths import models_dir
from core.runs import jobs, store, worker


def _spec(folder, **settings) -> jobs.JobSpec:
    config = TrainConfig(**{"epochs": 2, "image_size": 16, "batch_size": 8, **settings})
    return jobs.JobSpec("train", config.to_dict(), str(folder))


def _wait(job_id: str, until=lambda j: j.done, timeout: float = 240.0) -> jobs.Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get_job(job_id)
        if until(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not get there in {timeout} s: {jobs.get_job(job_id)}")


def test_a_job_trains_in_its_own_process_and_saves_its_run(tmp_path):
    job_id = jobs.submit(_spec(write_tiny_folder(tmp_path / "faces")))
    running = _wait(job_id, lambda j: j.state == "running")
    assert running.pid not in (None, os.getpid())
    job = _wait(job_id)
    assert job.state == "finished", job.error
    assert [row["epoch"] for row in job.history] == [1, 2]
    assert job.fraction == 1.0 and job.n_val == 12
    info = store.run_info(job.run_id)
    assert (info.status, info.config["epochs"], info.config["image_size"]) == ("finished", 2, 16)


def test_stop_from_anywhere_saves_a_cancelled_run(tmp_path):
    job_id = jobs.submit(_spec(write_tiny_folder(tmp_path / "faces"), epochs=300, batch_size=2))
    _wait(job_id, lambda j: j.batch > 0)
    jobs.request_stop(job_id)
    job = _wait(job_id)
    assert job.state == "cancelled" and job.epoch < 300
    assert store.run_info(job.run_id).status == "cancelled"


def test_three_jobs_at_once_queue_and_all_finish_one_at_a_time(tmp_path):
    folder = write_tiny_folder(tmp_path / "faces")
    ids = [jobs.submit(_spec(folder, seed=seed, epochs=1)) for seed in range(3)]
    most_running = 0
    while not all(jobs.get_job(i).done for i in ids):
        most_running = max(most_running, sum(j.state == "running" for j in jobs.list_jobs()))
        time.sleep(0.05)
    finished = [jobs.get_job(i) for i in ids]
    assert [j.state for j in finished] == ["finished"] * 3, [j.error for j in finished]
    assert most_running == 1
    assert len({j.run_id for j in finished}) == 3
    assert sorted(store.run_info(j.run_id).config["seed"] for j in finished) == [0, 1, 2]


def test_a_killed_worker_becomes_failed_with_a_sentence(tmp_path):
    job_id = jobs.submit(_spec(write_tiny_folder(tmp_path / "faces"), epochs=300, batch_size=2))
    job = _wait(job_id, lambda j: j.batch > 0)
    os.kill(job.pid, signal.SIGKILL)
    failed = _wait(job_id, timeout=30)
    assert (failed.state, failed.error) == ("failed", JOB_LOST.format(job_id=job_id))
    assert store.list_runs() == []


def test_two_jobs_at_once_keep_their_own_data_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("UNMASK_MAX_JOBS", "2")
    a = jobs.submit(_spec(write_tiny_folder(tmp_path / "a", n_per_class=12, seed=1), epochs=1, seed=1))
    b = jobs.submit(_spec(write_tiny_folder(tmp_path / "b", n_per_class=16, size=24, seed=2), image_size=24))
    job_a, job_b = _wait(a), _wait(b)
    assert (job_a.state, job_b.state) == ("finished", "finished"), (job_a.error, job_b.error)
    run_a, run_b = store.run_info(job_a.run_id), store.run_info(job_b.run_id)
    assert (run_a.config["seed"], run_a.config["image_size"], run_a.metrics["n_val"]) == (1, 16, 6)
    assert (run_b.config["epochs"], run_b.config["image_size"], run_b.metrics["n_val"]) == (2, 24, 8)
    for run, folder in ((run_a, tmp_path / "a"), (run_b, tmp_path / "b")):
        assert run.config["dataset"]["root"] == str(folder.resolve())
        scores = store.load_run(run.run_id).scores
        assert all((folder / path).is_file() for path in scores["path"])  # none of the other job's images


def test_a_failing_job_reports_the_sentence(tmp_path):
    (tmp_path / "empty" / "real").mkdir(parents=True)
    job_id = jobs.submit(jobs.JobSpec("train", TrainConfig(epochs=1).to_dict(), str(tmp_path / "empty")))
    job = _wait(job_id)
    assert job.state == "failed"
    assert job.error and "\n" not in job.error and "Traceback" not in job.error


def test_an_artifacts_job_trains_on_the_files_at_native_resolution(tmp_path):
    folder = write_tiny_folder(tmp_path / "faces", n_per_class=8, size=40)
    spec = jobs.JobSpec(
        "train",
        TrainConfig(preset="artifacts", epochs=1, patch_size=16, patches_per_image=1, batch_size=8).to_dict(),
        str(folder),
    )
    job = _wait(jobs.submit(spec), timeout=300)
    assert job.state == "finished", job.error
    dataset = store.run_info(job.run_id).config["dataset"]
    assert dataset["native_max_side"] == 512 and dataset["native_factors"] == {"1": 16}


# --- a full disk at the end: the worker keeps the model until someone asks it to save again ----------


def _worker_in_this_process(spec: jobs.JobSpec) -> tuple[str, threading.Thread]:
    """Submit without a worker process and run the worker in a thread here, so a monkeypatch reaches it."""
    job_id = jobs.submit(spec, start=False)
    thread = threading.Thread(target=worker.main, args=([str(jobs.jobs_dir() / job_id)],), daemon=True)
    thread.start()
    return job_id, thread


def test_a_run_the_disk_refused_is_kept_and_saved_again_when_asked(tmp_path, monkeypatch):
    writer = store._write_json
    monkeypatch.setattr(store, "_write_json", disk_full)
    job_id, thread = _worker_in_this_process(_spec(write_tiny_folder(tmp_path / "faces"), epochs=1))
    unsaved = _wait(job_id, lambda j: j.phase == "unsaved" or j.done)
    assert (unsaved.state, unsaved.run_id) == ("running", None)
    assert "could not be saved" in unsaved.error and "(No space left on device)" in unsaved.error
    assert store.list_runs() == [] and not any(p.name.startswith(".partial") for p in models_dir().iterdir())
    jobs.request_save(job_id)  # pressed before any space was freed: refused again, still kept
    _wait(job_id, lambda j: not (jobs.jobs_dir() / job_id / "save").exists())
    assert jobs.get_job(job_id).phase == "unsaved"
    monkeypatch.setattr(store, "_write_json", writer)  # space freed
    jobs.request_save(job_id)
    job = _wait(job_id)
    thread.join(timeout=30)
    assert job.state == "finished", job.error
    assert store.run_info(job.run_id).status == "finished"
    assert store.load_model(job.run_id).count_params() > 0  # the very model trained, not lost


def test_a_run_the_disk_refused_is_discarded_by_stop(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "_write_json", disk_full)
    job_id, thread = _worker_in_this_process(_spec(write_tiny_folder(tmp_path / "faces"), epochs=1))
    assert _wait(job_id, lambda j: j.phase == "unsaved" or j.done).phase == "unsaved"
    jobs.request_stop(job_id)
    job = _wait(job_id)
    thread.join(timeout=30)
    assert job.state == "failed" and "could not be saved" in job.error
    assert store.list_runs() == []
    with pytest.raises(ModelError, match=re.escape(JOB_NOT_UNSAVED.format(job_id=job_id))):
        jobs.request_save(job_id)
