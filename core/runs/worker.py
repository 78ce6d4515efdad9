"""The process that runs one job: ``python -m core.runs.worker models/.jobs/<job-id>``.

Started by :func:`core.runs.jobs.submit`, never by hand. It keeps a heartbeat, waits for its
turn in the queue, then runs the same code as the CLI — :func:`core.pipeline.train_and_save`
for ``train`` jobs, :func:`core.reproduce.reproduce` for ``reproduce`` jobs — reporting its
progress to ``state.json`` at most :data:`WRITES_PER_S` times a second (and at every epoch and
phase change), and stopping within a batch when the job's ``stop`` file appears.

When the trained run cannot be saved (a full disk), the worker keeps the model in memory
and waits, in phase ``unsaved``, for the job's ``save`` file (the app's *Save again*, see
:func:`core.runs.jobs.request_save`) to try again, or for ``stop`` to give it up; after
:data:`core.runs.jobs.UNSAVED_WAIT_S` it gives up by itself.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import JOB_UNEXPECTED, RunNotSaved, UnmaskError
from core.runs import jobs

#: Progress is written at most this often (writes per second); epochs and phases always are.
WRITES_PER_S = 4
#: How often a queued worker asks whether it may start (seconds).
QUEUE_POLL_S = 0.5


class Reporter:
    """Collects a job's progress and writes it to ``state.json``, throttled.

    The callbacks (:meth:`decoding`, :meth:`batch`, :meth:`epoch`, :meth:`phase`) are the ones
    :func:`core.pipeline.train_and_save` and :func:`core.reproduce.reproduce` take.
    """

    def __init__(self, folder: Path, epochs: int) -> None:
        self.folder = folder
        self.values: dict[str, Any] = {
            "state": "queued",
            "phase": "queued",
            "pid": os.getpid(),
            "epoch": 0,
            "epochs": epochs,
            "batch": 0,
            "n_batches": 0,
            "decoded": [0, 0],
            "history": [],
            "seconds_left": None,
            "elapsed": 0.0,
            "run_id": None,
            "error": None,
        }
        self.started = time.monotonic()
        self.training_started: float | None = None
        self.last_write = 0.0
        self.lock = threading.Lock()
        self.cancel = threading.Event()

    def write(self, *, force: bool = False, **values: Any) -> None:
        """Update and write the state (skipped when written less than 1/WRITES_PER_S ago, unless forced)."""
        with self.lock:
            self.values.update(values)
            now = time.monotonic()
            if not force and now - self.last_write < 1 / WRITES_PER_S:
                return
            self.values["elapsed"] = round(now - self.started, 2)
            self.last_write = now
            jobs.write_json(self.folder / "state.json", self.values)

    def phase(self, name: str) -> None:
        self.write(force=True, phase=name)

    def decoding(self, done: int, total: int) -> None:
        self.write(force=done == total, phase="decoding", decoded=[done, total])
        self._check_stop()

    def batch(self, epoch: int, batch: int, n_batches: int) -> None:
        if self.training_started is None:
            self.training_started = time.monotonic()
        done = ((epoch - 1) * n_batches + batch) / max(1, self.values["epochs"] * n_batches)
        spent = time.monotonic() - self.training_started
        # Time left from the batches done so far: TensorFlow's start-up and decoding are not in it.
        left = spent * (1 - done) / done if done > 0 and (epoch > 1 or batch >= 5) else None
        last = batch == n_batches
        self.write(
            force=last,
            phase="validating" if last else "training",
            epoch=epoch,
            batch=batch,
            n_batches=n_batches,
            seconds_left=None if left is None else round(left, 1),
        )
        self._check_stop()

    def epoch(self, report: Any) -> None:
        with self.lock:
            self.values["history"] = [*self.values["history"], {"epoch": report.epoch, **report.metrics}]
        self.write(force=True, phase="training", n_train=report.n_train, n_val=report.n_val)

    def _check_stop(self) -> None:
        if not self.cancel.is_set() and jobs.stop_requested(self.folder):
            self.cancel.set()
            self.write(force=True, phase="saving")


def main(argv: list[str] | None = None) -> int:
    """Run the job in the folder given as the only argument; returns the exit status."""
    folder = Path((argv or sys.argv[1:])[0])
    spec_values = jobs.read_json(folder / "job.json")
    if not isinstance(spec_values, dict):
        return 2
    spec = jobs.JobSpec(**{k: spec_values[k] for k in ("kind", "config", "data", "bias_data", "submitted")})
    reporter = Reporter(folder, int(spec.config.get("epochs", 0)))
    beating = threading.Event()
    threading.Thread(target=_heartbeat, args=(folder, beating), daemon=True).start()
    try:
        reporter.write(force=True)
        if not _wait_for_turn(folder, reporter):
            reporter.write(force=True, state="cancelled", phase="done")
            return 0
        reporter.phase("starting")
        run_id, result = _run(spec, reporter)
        state = "cancelled" if reporter.cancel.is_set() else "finished"
        reporter.write(force=True, state=state, phase="done", run_id=run_id, result=result, seconds_left=0)
    except UnmaskError as exc:
        reporter.write(force=True, state="failed", phase="done", error=str(exc))
    except BaseException as exc:  # a worker must say why it ended, whatever happened
        detail = str(exc).splitlines()[0][:300] if str(exc) else ""
        error = JOB_UNEXPECTED.format(kind=type(exc).__name__, detail=detail)
        reporter.write(force=True, state="failed", phase="done", error=error, result=None)
        if not isinstance(exc, Exception):
            raise
    finally:
        beating.set()
    return 0


def _heartbeat(folder: Path, stop: threading.Event) -> None:
    beat = folder / "heartbeat"
    while not stop.is_set():
        beat.touch()
        stop.wait(jobs.HEARTBEAT_S)


def _wait_for_turn(folder: Path, reporter: Reporter) -> bool:
    """Wait until the queue lets this job start (True), or until it is asked to stop (False)."""
    job_id = folder.name
    while True:
        if jobs.stop_requested(folder):
            return False
        with jobs.queue_lock():
            if jobs.may_start(job_id):
                reporter.write(force=True, state="running", phase="starting")
                return True
        time.sleep(QUEUE_POLL_S)


def _run(spec: jobs.JobSpec, reporter: Reporter) -> tuple[str, dict[str, Any] | None]:
    """Train or reproduce as the CLI does; returns the run id and, for a reproduction, its result."""
    from core import pipeline
    from core.reproduce import protocol_result, reproduce

    config = spec.train_config()
    callbacks = {"on_batch": reporter.batch, "on_epoch": reporter.epoch, "cancel": reporter.cancel}
    if spec.kind == "reproduce":
        try:
            result = reproduce(
                data=spec.data,
                bias_data=spec.bias_data,
                config=config,
                decode_progress=reporter.decoding,
                on_phase=reporter.phase,
                **callbacks,
            )
        except RunNotSaved as unsaved:
            info = _save_when_asked(reporter, unsaved)
            reporter.phase("checking bias")
            result = protocol_result(info, bias_data=spec.bias_data, progress=reporter.decoding)
        return result["train"]["run_id"], result
    faces = pipeline.load_training_faces(spec.data, config, progress=reporter.decoding)
    reporter.phase("training")
    try:
        info = pipeline.train_and_save(faces, config, on_phase=reporter.phase, **callbacks)
    except RunNotSaved as unsaved:
        info = _save_when_asked(reporter, unsaved)
    return info.run_id, None


def _save_when_asked(reporter: Reporter, unsaved: RunNotSaved) -> Any:
    """Keep a run the disk refused in memory, and save it again each time someone asks, until it works.

    Its state is written when it can be: on a disk too full even for that, it is written
    once space is freed, and the app then offers *Save again*.

    Returns
    -------
    RunInfo
        The run, saved.

    Raises
    ------
    RunNotSaved
        The last refusal, when the job is stopped or nobody asks within ``UNSAVED_WAIT_S``.
    """
    folder = reporter.folder
    deadline = time.monotonic() + jobs.UNSAVED_WAIT_S
    reported = False
    while time.monotonic() < deadline and not jobs.stop_requested(folder):
        if not reported:
            reported = _try_write(reporter, phase="unsaved", error=str(unsaved))
        if jobs.take_save_request(folder):
            try:
                info = unsaved.save_again()
            except RunNotSaved as again:
                unsaved, reported = again, False
                continue
            reporter.write(force=True, phase="saving", error=None)
            return info
        time.sleep(QUEUE_POLL_S)
    raise unsaved


def _try_write(reporter: Reporter, **values: Any) -> bool:
    """Write the job's state; False when the disk refuses (it is tried again later)."""
    try:
        reporter.write(force=True, **values)
    except OSError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
