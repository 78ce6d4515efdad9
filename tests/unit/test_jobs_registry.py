"""The on-disk job registry: ids, queue order, stop requests, and workers that died."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from core.errors import (
    BAD_JOB_ID,
    JOB_LOST,
    JOB_NOT_STOPPABLE,
    NO_SUCH_JOB,
    OUT_OF_RANGE,
    ConfigError,
    ModelError,
)
from core.model.config import TrainConfig
from core.runs import jobs


def _spec(epochs: int = 2) -> jobs.JobSpec:
    return jobs.JobSpec("train", TrainConfig(epochs=epochs).to_dict(), None)


def _set_state(job_id: str, **values) -> None:
    folder = jobs.jobs_dir() / job_id
    state = jobs.read_json(folder / "state.json")
    jobs.write_json(folder / "state.json", {**state, **values})
    (folder / "heartbeat").touch()


def test_submitted_jobs_queue_in_order_with_positions():
    first, second, third = (jobs.submit(_spec(), start=False) for _ in range(3))
    listed = jobs.list_jobs()
    assert [j.job_id for j in listed] == [first, second, third]
    assert [(j.state, j.queue_position) for j in listed] == [("queued", 1), ("queued", 2), ("queued", 3)]
    assert listed[0].spec.config["epochs"] == 2 and listed[0].epochs == 2


def test_may_start_only_the_oldest_queued_job_while_a_slot_is_free(monkeypatch):
    first, second = jobs.submit(_spec(), start=False), jobs.submit(_spec(), start=False)
    assert jobs.may_start(first) and not jobs.may_start(second)
    _set_state(first, state="running", pid=os.getpid())
    assert not jobs.may_start(second)  # the one slot is taken
    monkeypatch.setenv("UNMASK_MAX_JOBS", "2")
    assert jobs.may_start(second)
    assert [j.queue_position for j in jobs.list_jobs()] == [0, 1]


@pytest.mark.parametrize("value", ["0", "17", "two", ""])
def test_max_jobs_out_of_range_is_a_sentence(monkeypatch, value):
    monkeypatch.setenv("UNMASK_MAX_JOBS", value)
    with pytest.raises(
        ConfigError, match=re.escape(OUT_OF_RANGE.format(name="UNMASK_MAX_JOBS", low=1, high=16, value=value))
    ):
        jobs.submit(_spec(), start=False)


def test_request_stop_marks_the_job_and_refuses_an_ended_one():
    job_id = jobs.submit(_spec(), start=False)
    assert jobs.request_stop(job_id).stop_requested
    _set_state(job_id, state="cancelled", phase="done")
    with pytest.raises(
        ModelError, match=re.escape(JOB_NOT_STOPPABLE.format(job_id=job_id, state="cancelled"))
    ):
        jobs.request_stop(job_id)


@pytest.mark.parametrize("bad", ["../x", "a/b", "job\n", "", ".jobs"])
def test_job_ids_are_plain(bad):
    with pytest.raises(ModelError, match=re.escape(BAD_JOB_ID.format(job_id=bad))):
        jobs.get_job(bad)


def test_unknown_job_is_a_sentence():
    with pytest.raises(ModelError, match=re.escape(NO_SUCH_JOB.format(job_id="nope"))):
        jobs.get_job("nope")


def test_a_running_job_whose_process_is_gone_reads_as_failed():
    job_id = jobs.submit(_spec(), start=False)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid no longer exists
    _set_state(job_id, state="running", phase="training", pid=gone.pid)
    job = jobs.get_job(job_id)
    assert (job.state, job.error) == ("failed", JOB_LOST.format(job_id=job_id))


def test_a_job_whose_heartbeat_stopped_reads_as_failed(monkeypatch):
    job_id = jobs.submit(_spec(), start=False)
    _set_state(job_id, state="running", pid=os.getpid())  # alive, but silent:
    old = time.time() - jobs.STALE_AFTER_S - 5
    os.utime(jobs.jobs_dir() / job_id / "heartbeat", (old, old))
    assert jobs.get_job(job_id).state == "failed"


def test_a_live_running_job_stays_running():
    job_id = jobs.submit(_spec(), start=False)
    _set_state(job_id, state="running", pid=os.getpid())
    assert jobs.get_job(job_id).state == "running"


def test_fraction_counts_batches_across_epochs():
    job = jobs.Job("j", _spec(), "running", epoch=2, epochs=4, batch=5, n_batches=10)
    assert job.fraction == pytest.approx((10 + 5) / 40)
    assert jobs.Job("j", _spec(), "queued").fraction == 0.0


def test_ended_jobs_beyond_the_limit_are_pruned(monkeypatch):
    monkeypatch.setattr(jobs, "KEEP_ENDED", 2)
    ids = [jobs.submit(_spec(), start=False) for _ in range(3)]
    for job_id in ids:
        _set_state(job_id, state="finished", phase="done")
    newest = jobs.submit(_spec(), start=False)
    assert [j.job_id for j in jobs.list_jobs()] == [ids[1], ids[2], newest]


def test_to_dict_has_the_promised_keys():
    job_id = jobs.submit(_spec(), start=False)
    assert {"job_id", "state", "epoch", "epochs", "run_id", "error"} <= set(jobs.get_job(job_id).to_dict())


def test_write_json_turns_nan_into_null_and_leaves_no_temporary_file(tmp_path):
    jobs.write_json(tmp_path / "state.json", {"p_value": float("nan"), "ok": 1.5})
    assert jobs.read_json(tmp_path / "state.json") == {"p_value": None, "ok": 1.5}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
