"""Training across devices and machines with ``tf.distribute``. Imports TensorFlow.

``--distribute mirrored`` uses every local GPU (``MirroredStrategy``; on a machine without one it
runs on the CPU, one replica, and says so); ``--distribute multiworker`` uses
``MultiWorkerMirroredStrategy`` configured by the standard ``TF_CONFIG`` variable, one process per
machine, the chief (worker 0) saving the run.

Keras 3's ``Model.fit`` does not run under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585:
a ``PerReplica`` batch reaches its single-device path), so distributed training uses one short
custom loop for both strategies: a ``tf.function`` step run on every replica with
``strategy.run``, losses summed over the global batch, Keras' own optimizer applying the
gradients. Every worker steps together; a stop asked on any worker is all-reduced, so all stop at
the same step. A worker that dies or never comes ends the others with a sentence within
:func:`timeout_seconds`, never a hang.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from core.errors import (
    DISTRIBUTE_BAD_TF_CONFIG,
    DISTRIBUTE_NO_TF_CONFIG,
    DISTRIBUTE_PEER_LOST,
    DISTRIBUTE_TIMEOUT,
    ConfigError,
    ModelError,
)
from core.model.config import DISTRIBUTE_CHOICES, Distribute

__all__ = ["DISTRIBUTE_CHOICES", "Cluster", "check_peers_ended", "cluster_from_env", "fit", "make_strategy"]

#: Seconds a collective (or the cluster's start) may wait for a peer before the run ends with a sentence.
DEFAULT_TIMEOUT_S = 120
#: What TensorFlow raises when a peer of a collective is gone.
PEER_ERRORS = (
    tf.errors.UnavailableError,
    tf.errors.DeadlineExceededError,
    tf.errors.InternalError,
    tf.errors.CancelledError,
    tf.errors.AbortedError,
)


@dataclass(frozen=True)
class Cluster:
    """Where this process sits: its task, the number of workers, and whether it is the chief."""

    workers: int
    index: int
    task_type: str = "worker"

    @property
    def is_chief(self) -> bool:
        """Worker 0 (or a task named ``chief``) saves the run; the others only train."""
        return self.task_type == "chief" or (self.task_type == "worker" and self.index == 0)


def timeout_seconds() -> int:
    """``UNMASK_DISTRIBUTE_TIMEOUT`` (seconds), default :data:`DEFAULT_TIMEOUT_S`."""
    try:
        return max(5, int(os.environ.get("UNMASK_DISTRIBUTE_TIMEOUT", DEFAULT_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def cluster_from_env(environ: dict[str, str] | None = None) -> Cluster:
    """Read this process's place in the cluster from ``TF_CONFIG``.

    Raises
    ------
    ConfigError
        When ``TF_CONFIG`` is missing, not JSON, or names no ``worker`` list and task.

    Examples
    --------
    >>> config = '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}'
    >>> cluster_from_env({"TF_CONFIG": config})
    Cluster(workers=2, index=1, task_type='worker')
    """
    raw = (os.environ if environ is None else environ).get("TF_CONFIG")
    if not raw:
        raise ConfigError(DISTRIBUTE_NO_TF_CONFIG)
    try:
        config = json.loads(raw)
        cluster, task = config["cluster"], config["task"]
        workers = len(cluster.get("worker", [])) + len(cluster.get("chief", []))
        index, task_type = int(task["index"]), str(task["type"])
        if workers < 1 or task_type not in ("worker", "chief") or not 0 <= index < workers:
            raise ValueError(raw)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(DISTRIBUTE_BAD_TF_CONFIG.format(reason=str(exc)[:200])) from exc
    return Cluster(workers, index, task_type)


def make_strategy(kind: Distribute) -> tuple[tf.distribute.Strategy, dict[str, Any]]:
    """The strategy for ``kind`` and what to record about it (strategy, replicas, devices, chief).

    Raises
    ------
    ConfigError
        For ``multiworker`` without a usable ``TF_CONFIG``.
    """
    if kind == "none":
        strategy = tf.distribute.get_strategy()
        record = _record(kind, strategy, Cluster(1, 0))
        record["devices"] = local_devices()
        return strategy, record
    if kind == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        strategy = tf.distribute.MirroredStrategy() if gpus else tf.distribute.MirroredStrategy(["/cpu:0"])
        record = _record(kind, strategy, Cluster(1, 0))
        if not gpus:
            record["note"] = "no GPU found: mirrored training runs on the CPU, one replica"
        return strategy, record
    cluster = cluster_from_env()
    options = tf.distribute.experimental.CommunicationOptions(timeout_seconds=timeout_seconds())
    with watchdog(f"the {cluster.workers} workers of TF_CONFIG to start"):
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    return strategy, _record(kind, strategy, cluster)


def local_devices() -> list[str]:
    """This machine's accelerators by name (``GPU:0 NVIDIA H200``), or ``["CPU"]`` when it has none."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return ["CPU"]
    named = []
    for i, gpu in enumerate(gpus):
        details = tf.config.experimental.get_device_details(gpu)
        named.append(f"GPU:{i} {details.get('device_name', '')}".strip())
    return named


def _record(kind: str, strategy: tf.distribute.Strategy, cluster: Cluster) -> dict[str, Any]:
    devices = list(getattr(strategy.extended, "worker_devices", ())) or ["default"]
    return {
        "strategy": kind,
        "replicas": int(strategy.num_replicas_in_sync),
        "workers": cluster.workers,
        "worker_index": cluster.index,
        "is_chief": cluster.is_chief,
        "devices": [str(d) for d in devices],
    }


#: The watchdog process: reads "arm SECONDS MESSAGE" and "disarm" lines; when an armed deadline
#: passes it prints the message and ends the trainer (SIGTERM, then SIGKILL); it ends with its pipe.
_WATCHDOG = r"""
import os, select, signal, sys, time
parent, deadline, message = int(sys.argv[1]), None, ""
while True:
    wait = None if deadline is None else max(0.0, deadline - time.monotonic())
    ready, _, _ = select.select([sys.stdin], [], [], wait)
    if ready:
        line = sys.stdin.readline()
        if not line:
            break
        command, _, rest = line.rstrip("\n").partition(" ")
        if command == "arm":
            seconds, _, message = rest.partition(" ")
            deadline = time.monotonic() + float(seconds)
        else:
            deadline = None
    elif deadline is not None:
        print("error: " + message, file=sys.stderr, flush=True)
        os.kill(parent, signal.SIGTERM)
        time.sleep(5)
        try:
            os.kill(parent, signal.SIGKILL)
        except ProcessLookupError:
            pass
        break
"""


class _StallGuard:
    """Ends this process with a sentence when a wait on peers outlasts :func:`timeout_seconds`.

    TensorFlow's own timeouts cover collectives, but not every wait: a worker that never joins
    blocks the cluster's start, holding Python's GIL, so no thread of this process could act.
    The guard is therefore a small separate process (started on the first wait), told over a
    pipe when a wait begins and ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None

    def waiting(self, what: str) -> None:
        message = DISTRIBUTE_TIMEOUT.format(what=what, seconds=timeout_seconds()).replace("\n", " ")
        self._send(f"arm {timeout_seconds()} {message}")

    def done(self) -> None:
        self._send("disarm")

    def _send(self, line: str) -> None:
        with self._lock:
            if self._process is None:
                argv = [sys.executable, "-c", _WATCHDOG, str(os.getpid())]
                self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, text=True)
            assert self._process.stdin is not None
            self._process.stdin.write(line + "\n")
            self._process.stdin.flush()


_GUARD = _StallGuard()


@contextlib.contextmanager
def watchdog(waiting_for: str) -> Iterator[None]:
    """Bound the block (a wait on peers) by :func:`timeout_seconds`; past it the process ends, saying why."""
    _GUARD.waiting(waiting_for)
    try:
        yield
    finally:
        _GUARD.done()


def fit(
    strategy: tf.distribute.Strategy,
    model: Any,
    optimizer: Any,
    dataset: tf.data.Dataset,
    *,
    epochs: int,
    global_batch: int,
    steps_per_epoch: int,
    validate: Callable[[], dict[str, float]],
    on_batch: Callable[[int, int, int], None] | None = None,
    on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
    cancel: threading.Event | None = None,
) -> bool:
    """Train ``model`` (built in ``strategy.scope()``) on ``dataset`` for ``epochs``; True if stopped early.

    Parameters
    ----------
    dataset : tf.data.Dataset
        Batches of ``(pixels, label)`` of ``global_batch`` images (the per-replica batch times the
        replicas); each worker feeds its share of every batch.
    steps_per_epoch : int
        Batches per epoch (the same on every worker).
    validate : callable
        Called after every epoch on every worker; returns the ``val_`` metrics for the history.
    on_batch, on_epoch_end, cancel
        Progress callbacks (1-based epoch and batch) and a stop request; a stop on any worker
        stops all of them at the same step.
    """
    loss_fn = tf.keras.losses.BinaryCrossentropy(reduction="none")
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    batches = strategy.experimental_distribute_dataset(dataset.with_options(options))

    @tf.function
    def step(batch: Any, stop: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        def replica(images: tf.Tensor, labels: tf.Tensor, stop: tf.Tensor) -> tuple[tf.Tensor, ...]:
            labels = tf.reshape(tf.cast(labels, tf.float32), (-1, 1))
            with tf.GradientTape() as tape:
                scores = model(images, training=True)
                loss = tf.reduce_sum(loss_fn(labels, scores)) / global_batch
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            correct = tf.reduce_sum(tf.cast(tf.equal(tf.cast(scores > 0.5, tf.float32), labels), tf.float32))
            return loss, correct, stop

        loss, correct, stops = strategy.run(replica, args=(*batch, stop))
        total = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
        right = strategy.reduce(tf.distribute.ReduceOp.SUM, correct, axis=None)
        any_stop = strategy.reduce(tf.distribute.ReduceOp.SUM, stops, axis=None)  # > 0: someone asked
        return total, right, any_stop

    for epoch in range(1, epochs + 1):
        iterator = iter(batches)
        loss_sum, correct_sum = 0.0, 0.0
        for batch_number in range(1, steps_per_epoch + 1):
            asked = 1.0 if cancel is not None and cancel.is_set() else 0.0
            try:
                with watchdog("the other workers to finish a training step"):
                    loss, correct, stop = step(next(iterator), tf.constant(asked))
            except PEER_ERRORS as exc:
                raise ModelError(DISTRIBUTE_PEER_LOST.format(reason=type(exc).__name__)) from exc
            loss_sum, correct_sum = loss_sum + float(loss), correct_sum + float(correct)
            if on_batch is not None:
                on_batch(epoch, batch_number, steps_per_epoch)
            if float(stop) > 0:
                return True
        seen = steps_per_epoch * global_batch
        metrics = {"loss": loss_sum / steps_per_epoch, "accuracy": correct_sum / seen, **validate()}
        if on_epoch_end is not None:
            on_epoch_end(epoch, metrics)
    return False


def check_peers_ended(strategy: tf.distribute.Strategy) -> None:
    """A last all-reduce every worker joins, so none leaves while another still needs it.

    Raises
    ------
    ModelError
        When a peer is gone (its sentence names the wait).
    """
    try:
        with watchdog("the other workers to finish"):
            strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(lambda: tf.constant(1.0)), axis=None)
    except PEER_ERRORS as exc:
        raise ModelError(DISTRIBUTE_PEER_LOST.format(reason=type(exc).__name__)) from exc
