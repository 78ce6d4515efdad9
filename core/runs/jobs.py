"""Training jobs on disk: submitted, queued, run in their own process, visible to every reader.

A job is a folder ``models/.jobs/<job-id>/`` holding

- ``job.json``: what to do, written once at submission (kind ``train`` or ``reproduce``, the
  settings, the data and bias folders);
- ``state.json``: where it is, rewritten atomically by its worker (state, phase, epoch, batch,
  history, time left, run id, error sentence, pid);
- ``heartbeat``: a file the worker touches every second while it lives;
- ``stop``: created by whoever asks the job to stop (any browser tab, the CLI);
- ``worker.log``: the worker's stderr, for a developer.

Each job runs in a worker process of its own (:mod:`core.runs.worker`, started by :func:`submit`,
detached from the caller), never in a thread of the web server: the server only reads these
files. Workers take their turn themselves: under a lock on ``models/.jobs/.lock`` a queued worker
starts when fewer than :func:`max_jobs` jobs run and no older job waits. A worker that died
(killed, crashed, machine restarted) is recognised by its pid and a stale heartbeat, and the job
reads as failed with a sentence instead of "running" forever.

This module never imports TensorFlow; the worker does, when it trains.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.disk import process_running
from core.errors import (
    BAD_JOB_ID,
    JOB_LOST,
    JOB_NOT_STOPPABLE,
    JOB_NOT_UNSAVED,
    JOB_START_FAILED,
    NO_SUCH_JOB,
    OUT_OF_RANGE,
    ConfigError,
    ModelError,
)
from core.model.config import TrainConfig
from core.paths import REPO_ROOT, models_dir
from core.runs.store import json_safe

JobKind = Literal["train", "reproduce"]
JobState = Literal["queued", "running", "finished", "cancelled", "failed"]
#: What a running job is doing, in the words the progress bar uses.
Phase = Literal[
    "queued", "starting", "decoding", "training", "validating", "saving", "unsaved", "checking bias", "done"
]
ENDED: tuple[str, ...] = ("finished", "cancelled", "failed")
#: How many jobs may train at once when ``UNMASK_MAX_JOBS`` is not set.
DEFAULT_MAX_JOBS = 1
#: A live worker touches its heartbeat this often (seconds)...
HEARTBEAT_S = 1.0
#: ...so one silent for this long has stopped responding, even if its pid still exists.
STALE_AFTER_S = 60.0
#: Ended jobs kept in the registry (the newest); older ones are removed when a job is submitted.
KEEP_ENDED = 50
#: How long a worker keeps a run the disk refused in memory, waiting to be asked to save it again (s).
UNSAVED_WAIT_S = 3600.0

_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}\Z")
_LOCK = ".lock"


@dataclass(frozen=True)
class JobSpec:
    """What a job does: written once, at submission.

    Attributes
    ----------
    kind : {"train", "reproduce"}
        ``train`` trains ``config`` on ``data``; ``reproduce`` runs the paper's protocol
        (:func:`core.reproduce.reproduce`) on ``data``, then its bias check on ``bias_data``.
    config : dict
        :meth:`TrainConfig.to_dict` of the settings.
    data, bias_data : str or None
        Folders; None is the built-in demo set.
    submitted : float
        Unix time of submission.
    """

    kind: JobKind
    config: dict[str, Any]
    data: str | None
    bias_data: str | None = None
    submitted: float = 0.0

    def train_config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.config)


@dataclass(frozen=True)
class Job:
    """A job as any reader sees it: its spec and its latest state, with a dead worker already failed.

    ``queue_position`` is 1 for the next queued job to start, 2 for the one after it, and 0 when
    the job is not queued.
    """

    job_id: str
    spec: JobSpec
    state: JobState
    phase: str = "queued"
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    n_batches: int = 0
    decoded: tuple[int, int] = (0, 0)
    history: list[dict[str, float]] = field(default_factory=list)
    n_val: int = 0
    seconds_left: float | None = None
    elapsed: float = 0.0
    run_id: str | None = None
    error: str | None = None
    result: dict[str, Any] | None = None
    pid: int | None = None
    queue_position: int = 0
    stop_requested: bool = False

    @property
    def done(self) -> bool:
        return self.state in ENDED

    @property
    def fraction(self) -> float:
        """Share of the training batches done, 0 to 1 (0 before the first batch)."""
        if not self.n_batches or not self.epochs or self.epoch < 1:
            return 1.0 if self.state == "finished" else 0.0
        return min(1.0, ((self.epoch - 1) * self.n_batches + self.batch) / (self.epochs * self.n_batches))

    def to_dict(self) -> dict[str, Any]:
        """The keys ``python -m core jobs --json`` promises, and a few more."""
        return {
            "job_id": self.job_id,
            "kind": self.spec.kind,
            "state": self.state,
            "phase": self.phase,
            "queue_position": self.queue_position,
            "epoch": self.epoch,
            "epochs": self.epochs,
            "batch": self.batch,
            "n_batches": self.n_batches,
            "seconds_left": self.seconds_left,
            "elapsed": self.elapsed,
            "run_id": self.run_id,
            "error": self.error,
            "data": self.spec.data,
            "preset": self.spec.config.get("preset"),
            "stop_requested": self.stop_requested,
        }


def jobs_dir() -> Path:
    """Where job folders live: ``models/.jobs`` (hidden, so the run store never lists it)."""
    return models_dir() / ".jobs"


def max_jobs() -> int:
    """How many jobs may train at once: ``UNMASK_MAX_JOBS``, default :data:`DEFAULT_MAX_JOBS`.

    Raises
    ------
    ConfigError
        If the variable is not a whole number from 1 to 16.
    """
    raw = os.environ.get("UNMASK_MAX_JOBS", str(DEFAULT_MAX_JOBS))
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= 16:
        raise ConfigError(OUT_OF_RANGE.format(name="UNMASK_MAX_JOBS", low=1, high=16, value=raw))
    return value


def validate_job_id(job_id: str) -> str:
    """Return ``job_id`` if it is a plain id, else raise :class:`ModelError` (no paths, no ``..``)."""
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        raise ModelError(BAD_JOB_ID.format(job_id=job_id))
    return job_id


def submit(spec: JobSpec, *, start: bool = True) -> str:
    """Register a job and start its worker process; returns the job id.

    The worker is detached (its own session), so it outlives the caller: a CLI that submitted
    with ``--background`` exits at once, and a restarted web server finds the job still going.

    Parameters
    ----------
    spec : JobSpec
        What to run (its ``submitted`` time is filled in).
    start : bool, default True
        Start the worker; tests pass False to look at a queued job without training.

    Raises
    ------
    ModelError
        ``JOB_START_FAILED`` when the worker process cannot be started.
    """
    max_jobs()  # a bad UNMASK_MAX_JOBS is refused here, with a sentence, not later in the worker
    root = jobs_dir()
    root.mkdir(parents=True, exist_ok=True)
    _prune(root)
    job_id = _new_job_id(spec.kind)
    folder = root / job_id
    folder.mkdir()
    spec = JobSpec(spec.kind, dict(spec.config), spec.data, spec.bias_data, time.time())
    write_json(folder / "job.json", _spec_dict(spec))
    write_json(
        folder / "state.json", {"state": "queued", "phase": "queued", "epochs": spec.config.get("epochs", 0)}
    )
    if start:
        _start_worker(folder)
    return job_id


def list_jobs(*, include_ended: bool = True) -> list[Job]:
    """Every job, oldest first, with dead workers read as failed and queue positions filled in."""
    root = jobs_dir()
    if not root.is_dir():
        return []
    ids = sorted(p.name for p in _entries(root) if _JOB_ID.match(p.name))
    jobs = [j for j in (_read(root / i) for i in ids) if j is not None]
    position = 0
    numbered = []
    for job in jobs:
        if job.state == "queued":
            position += 1
            job = _replace(job, queue_position=position)
        numbered.append(job)
    return [j for j in numbered if include_ended or not j.done]


def get_job(job_id: str) -> Job:
    """One job as :func:`list_jobs` shows it.

    Raises
    ------
    ModelError
        For a malformed id or a job that does not exist.
    """
    validate_job_id(job_id)
    for job in list_jobs():
        if job.job_id == job_id:
            return job
    raise ModelError(NO_SUCH_JOB.format(job_id=job_id))


def request_stop(job_id: str) -> Job:
    """Ask a queued or running job to stop; it saves its run as cancelled (a queued one just ends).

    Works from any process: it only creates the job's ``stop`` file, which the worker checks
    after every batch.

    Raises
    ------
    ModelError
        For an unknown job, or one that has already ended.
    """
    job = get_job(job_id)
    if job.done:
        raise ModelError(JOB_NOT_STOPPABLE.format(job_id=job_id, state=job.state))
    (jobs_dir() / job_id / "stop").touch()
    return get_job(job_id)


def stop_requested(folder: Path) -> bool:
    """Whether someone asked the job in ``folder`` to stop."""
    return (folder / "stop").exists()


def request_save(job_id: str) -> Job:
    """Ask a job whose run the disk refused (phase ``unsaved``) to save it again, once space is freed.

    Creates the job's ``save`` file, which takes no disk blocks; the worker tries once per request.

    Raises
    ------
    ModelError
        ``JOB_NOT_UNSAVED`` for a job that has no run waiting to be saved.
    """
    job = get_job(job_id)
    if job.done or job.phase != "unsaved":
        raise ModelError(JOB_NOT_UNSAVED.format(job_id=job_id))
    (jobs_dir() / job_id / "save").touch()
    return job


def take_save_request(folder: Path) -> bool:
    """Whether someone asked the job in ``folder`` to save its run again; the request is used up."""
    try:
        (folder / "save").unlink()
    except FileNotFoundError:
        return False
    return True


@contextlib.contextmanager
def queue_lock() -> Iterator[None]:
    """Hold the registry's lock (an exclusive ``flock`` on ``models/.jobs/.lock``)."""
    root = jobs_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / _LOCK, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def may_start(job_id: str) -> bool:
    """Whether the queued job ``job_id`` may start now: a free slot and no older job waiting.

    Call with :func:`queue_lock` held, and mark the job running before releasing it.
    """
    jobs = list_jobs(include_ended=False)
    running = sum(1 for j in jobs if j.state == "running")
    waiting = [j.job_id for j in jobs if j.state == "queued"]
    return running < max_jobs() and bool(waiting) and waiting[0] == job_id


def write_json(path: Path, value: Any) -> None:
    """Write JSON atomically, NaN as null: a temporary file renamed over ``path``, so no reader sees half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(json_safe(value), allow_nan=False), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """A JSON file's value, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def process_alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists and is not a zombie (see :func:`core.disk.process_running`)."""
    return process_running(pid)


def _new_job_id(kind: str) -> str:
    now = time.time()
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return f"{stamp}-{int(now * 1e6) % 1_000_000:06d}-{kind}-{secrets.token_hex(2)}"


def _spec_dict(spec: JobSpec) -> dict[str, Any]:
    return {
        "kind": spec.kind,
        "config": spec.config,
        "data": spec.data,
        "bias_data": spec.bias_data,
        "submitted": spec.submitted,
    }


def _start_worker(folder: Path) -> None:
    log = open(folder / "worker.log", "ab")  # noqa: SIM115 - the child owns it after the fork
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "core.runs.worker", str(folder)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # not killed with the caller's terminal or server
        )
    except OSError as exc:
        write_json(
            folder / "state.json",
            {"state": "failed", "phase": "done", "error": JOB_START_FAILED.format(reason=exc.strerror)},
        )
        raise ModelError(JOB_START_FAILED.format(reason=exc.strerror)) from exc
    finally:
        log.close()
    # Reap the child when it exits, so a long-lived caller (the web server) keeps no zombie.
    threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()


def _read(folder: Path) -> Job | None:
    spec_values = read_json(folder / "job.json")
    state = read_json(folder / "state.json")
    if not isinstance(spec_values, dict) or not isinstance(state, dict):
        return None  # being written, or not a job
    try:
        spec = JobSpec(
            spec_values["kind"],
            dict(spec_values["config"]),
            spec_values.get("data"),
            spec_values.get("bias_data"),
            float(spec_values.get("submitted", 0.0)),
        )
        job = Job(
            job_id=folder.name,
            spec=spec,
            state=state.get("state", "failed"),
            phase=str(state.get("phase", "queued")),
            epoch=int(state.get("epoch", 0)),
            epochs=int(state.get("epochs", spec.config.get("epochs", 0)) or 0),
            batch=int(state.get("batch", 0)),
            n_batches=int(state.get("n_batches", 0)),
            decoded=tuple(state.get("decoded", (0, 0))),  # type: ignore[arg-type]
            history=list(state.get("history", [])),
            n_val=int(state.get("n_val", 0) or 0),
            seconds_left=state.get("seconds_left"),
            elapsed=float(state.get("elapsed", 0.0)),
            run_id=state.get("run_id"),
            error=state.get("error"),
            result=state.get("result"),
            pid=state.get("pid"),
            stop_requested=stop_requested(folder),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return _with_liveness(job, folder)


def _with_liveness(job: Job, folder: Path) -> Job:
    """A queued or running job whose worker is gone reads as failed, with a sentence."""
    if job.done:
        return job
    try:
        beat = (folder / "heartbeat").stat().st_mtime
    except OSError:
        beat = None
    age = time.time() - (beat if beat is not None else job.spec.submitted)
    if job.pid is not None and not process_alive(job.pid):
        return _replace(job, state="failed", phase="done", error=JOB_LOST.format(job_id=job.job_id))
    if age > STALE_AFTER_S:  # never started, or stopped responding
        return _replace(job, state="failed", phase="done", error=JOB_LOST.format(job_id=job.job_id))
    return job


def _replace(job: Job, **changes: Any) -> Job:
    import dataclasses

    return dataclasses.replace(job, **changes)


def _entries(root: Path) -> list[Path]:
    try:
        return [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return []


def _prune(root: Path) -> None:
    """Keep the newest :data:`KEEP_ENDED` ended jobs; remove older ended ones."""
    ended = [j for j in list_jobs() if j.done]
    for job in ended[: max(0, len(ended) - KEEP_ENDED)]:
        shutil.rmtree(root / job.job_id, ignore_errors=True)
