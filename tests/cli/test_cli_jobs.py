"""python -m core train --background, jobs, jobs stop: the same queue the dashboard uses."""

from __future__ import annotations

import json
import re
import time

import pytest
from support.factories import write_tiny_folder

from core.cli import EXIT_BAD_INPUT, main
from core.errors import JOB_ID_NEEDED, NO_SUCH_JOB, ONE_CLASS
from core.runs import jobs, store


def _json(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    return json.loads(out)


def test_background_train_refuses_a_one_class_folder_before_queueing(capsys, tmp_path):
    (tmp_path / "faces" / "real").mkdir(parents=True)
    write_tiny_folder(tmp_path / "tiny")
    for image in (tmp_path / "tiny" / "real").iterdir():
        image.rename(tmp_path / "faces" / "real" / image.name)
    code = main(["train", "--data", str(tmp_path / "faces"), "--background"])
    assert code == EXIT_BAD_INPUT
    expected = ONE_CLASS.format(present="real", path=(tmp_path / "faces").resolve())
    assert capsys.readouterr().err.strip() == f"error: {expected}"
    assert jobs.list_jobs() == []


def test_jobs_stop_needs_an_id_and_a_known_job(capsys):
    assert main(["jobs", "stop"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"error: {JOB_ID_NEEDED}"
    assert main(["jobs", "stop", "nope"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == f"error: {NO_SUCH_JOB.format(job_id='nope')}"


def test_jobs_lists_nothing_as_an_empty_list(capsys):
    assert _json(capsys, "jobs") == {"jobs": []}


@pytest.mark.slow
def test_background_train_then_jobs_then_stop(capsys, tmp_path):
    folder = write_tiny_folder(tmp_path / "faces")
    argv = ["train", "--data", str(folder), "--epochs", "300", "--image-size", "16", "--batch-size", "2"]
    submitted = _json(capsys, *argv, "--background")
    assert re.fullmatch(r"[0-9]{8}-[0-9]{6}-[0-9]{6}-train-[0-9a-f]{4}", submitted["job_id"])
    job_id = submitted["job_id"]
    deadline = time.monotonic() + 180
    while True:
        [listed] = _json(capsys, "jobs")["jobs"]
        if listed["state"] == "running" and listed["epoch"] >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {k: listed[k] for k in ("job_id", "state", "epochs", "run_id", "error")} == {
        "job_id": job_id, "state": "running", "epochs": 300, "run_id": None, "error": None,
    }  # fmt: skip
    stopped = _json(capsys, "jobs", "stop", job_id)
    assert stopped["stop_requested"] is True
    while not jobs.get_job(job_id).done:
        time.sleep(0.1)
    [ended] = _json(capsys, "jobs")["jobs"]
    assert ended["state"] == "cancelled" and store.run_info(ended["run_id"]).status == "cancelled"
