"""Train a preset on a face set: seeded, reported per epoch, cancellable. Imports TensorFlow."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.data.faceset import FaceSet
from core.data.split import split_indices
from core.model.config import TrainConfig

# Seeding is process-global in Keras; building two models at once must not interleave.
_SEED_LOCK = threading.Lock()

Status = Literal["finished", "cancelled"]


@dataclass(frozen=True)
class EpochReport:
    """What one finished epoch measured; ``metrics`` holds train and ``val_`` keys."""

    epoch: int  # 1-based
    epochs: int
    seconds: float
    elapsed: float
    metrics: dict[str, float]
    n_train: int = 0
    n_val: int = 0

    @property
    def seconds_left(self) -> float:
        return self.elapsed / self.epoch * (self.epochs - self.epoch)


@dataclass(frozen=True)
class TrainResult:
    """A trained model with everything needed to save and evaluate the run."""

    model: object  # keras.Model; typed loosely so this module's users need not import Keras
    config: TrainConfig
    status: Status
    history: pd.DataFrame  # one row per finished epoch
    train_index: np.ndarray
    val_index: np.ndarray
    val_scores: np.ndarray  # P(real) for faceset positions val_index
    train_seconds: float

    @property
    def n_train(self) -> int:
        return len(self.train_index)

    @property
    def n_val(self) -> int:
        return len(self.val_index)


def train(
    faceset: FaceSet,
    config: TrainConfig,
    *,
    on_epoch: Callable[[EpochReport], None] | None = None,
    on_batch: Callable[[int, int, int], None] | None = None,
    cancel: threading.Event | None = None,
    tensorboard_dir: str | None = None,
) -> TrainResult:
    """Train ``config.preset`` on ``faceset`` with a stratified, seeded validation split.

    Parameters
    ----------
    faceset : FaceSet
        Decoded at ``config.image_size`` (see :func:`core.data.datasets.load`), both classes present.
    config : TrainConfig
        Resolved or not; preset defaults fill the gaps.
    on_epoch : callable, optional
        Called with an :class:`EpochReport` after every epoch.
    on_batch : callable, optional
        Called as ``on_batch(epoch, batch, n_batches)`` (1-based) after every batch.
    cancel : threading.Event, optional
        Set it from any thread to stop within the current batch; the result's status
        is then ``"cancelled"``.
    tensorboard_dir : str, optional
        Also write TensorBoard logs there (Keras's TensorBoard callback: losses and metrics per
        epoch), so a run opens in ``tensorboard --logdir``.

    Returns
    -------
    TrainResult
    """
    import keras

    from core.model.presets import build_model, compile_model
    from core.model.tfdata import batches

    config = config.resolved()
    train_idx, val_idx = split_indices(faceset.labels, val_fraction=config.val_fraction, seed=config.seed)
    with _SEED_LOCK:
        keras.utils.set_random_seed(config.seed)
        model = build_model(config.preset, image_size=config.image_size, augment=config.augment)
    compile_model(model, learning_rate=config.learning_rate, threshold=config.threshold)
    train_ds = batches(faceset, train_idx, batch_size=config.batch_size, shuffle_seed=config.seed)
    val_ds = batches(faceset, val_idx, batch_size=256)
    progress = _Progress(config.epochs, len(train_ds), on_epoch, on_batch, cancel)
    progress.sizes = (len(train_idx), len(val_idx))
    callbacks: list[keras.callbacks.Callback] = [progress]
    if tensorboard_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=tensorboard_dir, write_graph=False))
    started = time.perf_counter()
    model.fit(
        train_ds, validation_data=val_ds, epochs=config.epochs, verbose=0, callbacks=callbacks, shuffle=False
    )
    seconds = time.perf_counter() - started
    scores = predict_scores(model, faceset.images[val_idx])
    status: Status = "cancelled" if progress.cancelled else "finished"
    return TrainResult(
        model, config, status, pd.DataFrame(progress.rows), train_idx, val_idx, scores, seconds
    )


def predict_scores(model: object, images: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """P(real) for each image of a (n, s, s, 3) uint8 array, as float64 in [0, 1]."""
    if len(images) == 0:
        return np.zeros(0)
    out = model.predict(images.astype("float32"), batch_size=batch_size, verbose=0)
    return np.clip(np.asarray(out, dtype=np.float64).reshape(-1), 0.0, 1.0)


def _keras_callback_base() -> type:
    import keras

    return keras.callbacks.Callback


class _Progress(_keras_callback_base()):  # type: ignore[misc]
    """Reports epochs and batches, and stops training when ``cancel`` is set."""

    def __init__(self, epochs, n_batches, on_epoch, on_batch, cancel) -> None:
        super().__init__()
        self.epochs, self.n_batches = epochs, n_batches
        self.on_epoch, self.on_batch, self.cancel = on_epoch, on_batch, cancel
        self.rows: list[dict[str, float]] = []
        self.cancelled = False
        self.started = self.epoch_started = time.perf_counter()
        self.epoch = 0
        self.sizes = (0, 0)  # training and validation images, for the reports

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch = epoch + 1
        self.epoch_started = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None) -> None:
        if self.on_batch is not None:
            self.on_batch(self.epoch, batch + 1, self.n_batches)
        if self.cancel is not None and self.cancel.is_set():
            self.cancelled = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None) -> None:
        if self.cancelled:  # a partial epoch is not an epoch
            return
        now = time.perf_counter()
        metrics = {k: float(v) for k, v in (logs or {}).items()}
        self.rows.append({"epoch": epoch + 1, **metrics})
        if self.on_epoch is not None:
            report = EpochReport(
                epoch + 1, self.epochs, now - self.epoch_started, now - self.started, metrics, *self.sizes
            )
            self.on_epoch(report)
