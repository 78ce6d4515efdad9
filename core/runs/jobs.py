"""Training in a background thread, observable and cancellable from another thread.

The dashboard keeps one :class:`TrainingJob` per browser session and polls it; the
job never touches Streamlit. Two jobs in one process run side by side, each with its
own data, settings and run folder.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from core.data.faceset import FaceSet
from core.errors import RunNotSaved, UnmaskError
from core.model.config import TrainConfig

JobState = Literal["starting", "decoding", "training", "saving", "finished", "cancelled", "failed"]
UNEXPECTED_FAILURE = "Training stopped with an unexpected error ({kind}: {detail}); try again, or report it."


@dataclass
class JobSnapshot:
    """A consistent copy of a job's progress, safe to read from the page."""

    state: JobState
    epoch: int
    epochs: int
    batch: int
    n_batches: int
    elapsed: float
    seconds_left: float | None
    history: list[dict[str, float]]
    run_id: str | None
    error: str | None
    decoded: tuple[int, int] = (0, 0)
    #: For a run trained but not saved (a full disk): saves it again, returns its RunInfo.
    save_again: Callable[[], Any] | None = None

    @property
    def fraction(self) -> float:
        if not self.n_batches:
            return 0.0
        return min(1.0, ((self.epoch - 1) * self.n_batches + self.batch) / (self.epochs * self.n_batches))

    @property
    def done(self) -> bool:
        return self.state in ("finished", "cancelled", "failed")


@dataclass
class TrainingJob:
    """Train ``config`` on the data ``load()`` returns, in a daemon thread.

    ``load`` is called inside the thread (decoding can take seconds) with a progress
    callback ``(done, total)``.
    """

    config: TrainConfig
    load: Callable[[Callable[[int, int], None]], FaceSet]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _state: dict[str, Any] = field(default_factory=dict, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> TrainingJob:
        config = self.config.resolved()
        self._state = {
            "state": "starting",
            "epoch": 1,
            "epochs": config.epochs,
            "batch": 0,
            "n_batches": 0,
            "history": [],
            "run_id": None,
            "error": None,
            "decoded": (0, 0),
            "started": time.perf_counter(),
            "ended": None,
        }
        self._thread = threading.Thread(target=self._run, name=f"train-{os.getpid()}", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the job to stop within the current batch; the run is saved as cancelled."""
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            s = dict(self._state)
            history = list(s["history"])
        end = s["ended"] or time.perf_counter()
        elapsed = end - s["started"]
        snap = JobSnapshot(
            s["state"],
            s["epoch"],
            s["epochs"],
            s["batch"],
            s["n_batches"],
            elapsed,
            None,
            history,
            s["run_id"],
            s["error"],
            s["decoded"],
            s.get("save_again"),
        )
        if s["state"] == "training" and snap.fraction > 0:
            snap.seconds_left = elapsed * (1 - snap.fraction) / snap.fraction
        return snap

    def _set(self, **values: Any) -> None:
        with self._lock:
            self._state.update(values)

    def _run(self) -> None:
        from core.pipeline import train_and_save

        try:
            self._set(state="decoding")
            faces = self.load(lambda done, total: self._set(decoded=(done, total)))
            self._set(state="training")
            info = train_and_save(
                faces, self.config, on_batch=self._on_batch, on_epoch=self._on_epoch, cancel=self._cancel
            )
            self._set(state=info.status, run_id=info.run_id)
        except RunNotSaved as exc:  # trained, but the disk refused: keep the model to save again
            self._set(state="failed", error=str(exc), save_again=exc.save_again)
        except UnmaskError as exc:
            self._set(state="failed", error=str(exc))
        except Exception as exc:  # a background thread must report, never die silently
            self._set(state="failed", error=UNEXPECTED_FAILURE.format(kind=type(exc).__name__, detail=exc))
        finally:
            self._set(ended=time.perf_counter())

    def _on_batch(self, epoch: int, batch: int, n_batches: int) -> None:
        self._set(epoch=epoch, batch=batch, n_batches=n_batches)
        if self._cancel.is_set():
            self._set(state="saving")

    def _on_epoch(self, report: Any) -> None:
        with self._lock:
            self._state["history"].append({"epoch": report.epoch, **report.metrics})
