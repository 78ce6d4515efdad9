"""Train a preset on a face set: seeded, reported per epoch, cancellable. Imports TensorFlow.

The ``fast`` and ``paper`` presets train on the whole (resized) images. A patch preset
(``artifacts``) trains on random crops at native resolution, drawn so that each class,
and each source within a class, gets an equal share (:func:`core.model.patches.sampling_weights`);
an epoch is ``patches_per_image`` crops per training image, and the learning rate falls
along a cosine over the run. Its per-epoch ``val_`` figures are on one fixed crop per
validation image; the run's validation scores are whole images, scored by the grid
(:func:`predict_scores`).
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.data.faceset import FaceSet
from core.data.split import split_strata, three_way_split
from core.model.config import MICRO_ACTIVATION_BYTES, TrainConfig

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
    test_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    test_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))  # for test_index
    #: How it was spread (strategy, replicas, workers, this worker's index, chief, devices): see
    #: :func:`core.model.distributed.make_strategy`) and the precision policy.
    distribution: dict = field(default_factory=dict)

    @property
    def is_chief(self) -> bool:
        """Whether this process saves the run (always, unless it is a non-chief worker of a cluster)."""
        return bool(self.distribution.get("is_chief", True))

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
        Decoded at ``config.image_size`` (see :func:`core.data.datasets.load`), or for a
        patch preset at native resolution (any images are used as they are), both
        classes present.
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
    config = config.resolved()
    train_idx, val_idx, test_idx = three_way_split(
        faceset, val_fraction=config.val_fraction, test_fraction=config.test_fraction, seed=config.seed
    )
    splits = (train_idx, val_idx, test_idx)
    with _precision(config.mixed_precision):
        if config.distribute != "none":
            return _train_distributed(faceset, config, splits, on_epoch, on_batch, cancel)
        return _train_here(faceset, config, splits, on_epoch, on_batch, cancel, tensorboard_dir)


def _train_here(faceset, config, splits, on_epoch, on_batch, cancel, tensorboard_dir) -> TrainResult:
    """Keras' ``fit`` on this process's default device (every preset)."""
    import keras

    from core.model.presets import build_model, compile_model

    train_idx, val_idx, test_idx = splits
    side = config.patch_size if config.is_patch_preset else config.image_size
    with _SEED_LOCK:
        keras.utils.set_random_seed(config.seed)
        model = build_model(config.preset, image_size=side, augment=config.augment)
    train_ds, val_ds, steps = _inputs(faceset, train_idx, val_idx, config, val_batch=scoring_batch(model))
    decay = steps * config.epochs if config.is_patch_preset else None
    compile_model(model, learning_rate=config.learning_rate, threshold=config.threshold, decay_steps=decay)
    from core.model import lean

    step = "keras"
    if lean.applies(model):  # the paper preset at large sizes: the same update in bounded memory
        lean.install(model)
        step = "lean"
    progress = _Progress(config.epochs, steps, on_epoch, on_batch, cancel)
    progress.sizes = (len(train_idx), len(val_idx))
    callbacks: list[keras.callbacks.Callback] = [progress]
    if tensorboard_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=tensorboard_dir, write_graph=False))
    started = time.perf_counter()
    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        steps_per_epoch=steps if config.is_patch_preset else None,
        verbose=0,
        callbacks=callbacks,
        shuffle=False,
    )
    seconds = time.perf_counter() - started
    status: Status = "cancelled" if progress.cancelled else "finished"
    history = pd.DataFrame(progress.rows)
    del progress, callbacks  # they hold the trained model: with it go the optimizer's moments (lean)
    model = lean.finish(model)
    gc.collect()
    lean.fresh_matrix(model)
    scores = scores_at(predict_scores, model, faceset.images, val_idx)
    test_scores = scores_at(predict_scores, model, faceset.images, test_idx)
    from core.model.distributed import local_devices

    distribution = {"strategy": "none", "replicas": 1, "devices": local_devices(), "precision": _policy()}
    distribution["step"] = step
    return TrainResult(
        model,
        config,
        status,
        history,
        train_idx,
        val_idx,
        scores,
        seconds,
        test_idx,
        test_scores,
        distribution,
    )


def _policy() -> str:
    import keras

    return keras.mixed_precision.global_policy().name


@contextlib.contextmanager
def _precision(mixed: bool):
    """Keras' ``mixed_float16`` policy for the block when ``mixed`` (float16 maths, float32 weights)."""
    if not mixed:
        yield
        return
    import keras

    before = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def _train_distributed(faceset, config, splits, on_epoch, on_batch, cancel) -> TrainResult:
    """The fast or paper preset trained by :func:`core.model.distributed.fit` under ``config.distribute``.

    ``batch_size`` is per replica: each step takes ``batch_size x replicas`` images (the last,
    partial batch of an epoch is dropped so that every replica gets an equal share; the set is
    reshuffled every epoch). Every worker splits the data the same way (same files, same seed).
    """
    import keras

    from core.model import distributed, tfdata
    from core.model.presets import build_model, compile_model

    train_idx, val_idx, test_idx = splits
    strategy, record = distributed.make_strategy(config.distribute)
    record["precision"] = _policy()
    global_batch = config.batch_size * record["replicas"]
    # Creating the variables broadcasts them from the chief: every worker must be there.
    with _SEED_LOCK, distributed.watchdog("every worker of the cluster to join"), strategy.scope():
        keras.utils.set_random_seed(config.seed)
        model = build_model(config.preset, image_size=config.image_size, augment=config.augment)
        compile_model(model, learning_rate=config.learning_rate, threshold=config.threshold)
        model.optimizer.build(model.trainable_variables)
    train_ds = tfdata.batches(
        faceset, train_idx, batch_size=global_batch, shuffle_seed=config.seed, drop_remainder=True
    )
    steps = len(train_ds)
    if steps == 0:
        from core.errors import BATCH_TOO_LARGE, ConfigError

        raise ConfigError(BATCH_TOO_LARGE.format(batch=global_batch, n=len(train_idx)))
    val_labels = faceset.labels[val_idx]
    progress = _Progress(config.epochs, steps, on_epoch, on_batch, cancel)
    progress.sizes = (len(train_idx), len(val_idx))

    def validate() -> dict[str, float]:
        return _validation_metrics(
            val_labels, scores_at(_direct_scores, model, faceset.images, val_idx), config.threshold
        )

    started = time.perf_counter()
    stopped = distributed.fit(
        strategy,
        model,
        model.optimizer,
        train_ds,
        epochs=config.epochs,
        global_batch=global_batch,
        steps_per_epoch=steps,
        validate=validate,
        on_batch=on_batch,
        on_epoch_end=progress.epoch_ended,
        cancel=cancel,
    )
    if config.distribute == "multiworker":
        distributed.check_peers_ended(strategy)
    seconds = time.perf_counter() - started
    status: Status = "cancelled" if stopped else "finished"
    return TrainResult(
        model,
        config,
        status,
        pd.DataFrame(progress.rows),
        train_idx,
        val_idx,
        scores_at(_direct_scores, model, faceset.images, val_idx),
        seconds,
        test_idx,
        scores_at(_direct_scores, model, faceset.images, test_idx),
        record,
    )


#: Images read and scored at once by :func:`scores_at` (bounds memory for a set kept on disk)...
SCORING_CHUNK = 1024
#: ...and fewer when they would take more bytes than this (242 images at 300 px, not 276 MB of them).
SCORING_CHUNK_BYTES = 64 * 2**20


def scores_at(score: Callable, model: object, images: Any, index: np.ndarray) -> np.ndarray:
    """``score(model, images[chunk])`` over ``index``, a chunk of at most :data:`SCORING_CHUNK` images
    and :data:`SCORING_CHUNK_BYTES` at a time, joined."""
    index = np.asarray(index, dtype=int)
    if len(index) == 0:
        return np.zeros(0)
    chunk = scoring_chunk(images)
    parts = [score(model, images[index[i : i + chunk]]) for i in range(0, len(index), chunk)]
    return np.concatenate(parts)


def scoring_chunk(images: Any) -> int:
    """Images per chunk of :func:`scores_at`: :data:`SCORING_CHUNK`, fewer for large images.

    ``images`` with a 4-D ``shape`` (an array, :class:`~core.data.ondisk.DiskImages`) are sized by
    it; images of their own sizes each (native resolution) are counted at :data:`SCORING_CHUNK`.
    """
    shape = getattr(images, "shape", ())
    if len(shape) != 4:
        return SCORING_CHUNK
    per_image = int(np.prod(shape[1:])) * np.dtype(getattr(images, "dtype", np.uint8)).itemsize
    return max(1, min(SCORING_CHUNK, SCORING_CHUNK_BYTES // max(per_image, 1)))


def _direct_scores(model: object, images: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """P(real) per image by calling the model batch by batch (``predict`` is not used under a strategy)."""
    out = [
        np.asarray(model(images[i : i + batch_size].astype("float32"), training=False), dtype=np.float64)
        for i in range(0, len(images), batch_size)
    ]
    return np.clip(np.concatenate(out).reshape(-1), 0.0, 1.0) if out else np.zeros(0)


def _validation_metrics(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    """The ``val_`` figures Keras' ``fit`` reports (loss, accuracy at 0.5 and at ``threshold``, AUC)."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels, dtype=np.float64)
    p = np.clip(scores, 1e-7, 1 - 1e-7)
    metrics = {
        "val_loss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        "val_accuracy": float(np.mean((scores > 0.5) == (y == 1))),
        "val_accuracy_at_threshold": float(np.mean((scores > threshold) == (y == 1))),
    }
    if 0 < y.sum() < len(y):
        metrics["val_auc"] = float(roc_auc_score(y, scores))
    return metrics


def _inputs(
    faceset: FaceSet, train_idx: np.ndarray, val_idx: np.ndarray, config: TrainConfig, *, val_batch: int = 256
) -> tuple:
    """Training and per-epoch validation datasets, and the training batches per epoch.

    ``val_batch``: images per validation batch (:func:`scoring_batch`: 256 at 64 px, far fewer at
    300 px, where 256 images' activations alone would take about 3 GB).
    """
    from core.model import tfdata

    if not config.is_patch_preset:
        train_ds = tfdata.batches(faceset, train_idx, batch_size=config.batch_size, shuffle_seed=config.seed)
        return train_ds, tfdata.batches(faceset, val_idx, batch_size=val_batch), len(train_ds)
    from core.model import patches

    images = [faceset.images[i] for i in train_idx]
    labels = faceset.labels[train_idx]
    steps = -(-config.patches_per_image * len(train_idx) // config.batch_size)
    train_ds = tfdata.patch_batches(
        images,
        labels,
        patches.sampling_weights(split_strata(faceset)[train_idx], labels),
        steps=steps * config.epochs,
        seed=config.seed,
        batch_size=config.batch_size,
        patch=config.patch_size,
        degradation=patches.DEFAULT if config.degrade else patches.NONE,
        loss_weights=patches.class_weights(config.threshold) if patches.BALANCE_AT_THRESHOLD else (1.0, 1.0),
    )
    val_images = [faceset.images[i] for i in val_idx]
    val_pixels = patches.fixed_patches(val_images, patch=config.patch_size, seed=config.seed)
    val_ds = tfdata.array_batches(val_pixels, faceset.labels[val_idx], batch_size=256)
    return train_ds, val_ds, steps


#: Float32 activations of one scoring batch, summed over the model's layers, are kept under this,
#: so scoring memory does not grow with the image size (see :func:`scoring_batch`).
SCORING_ACTIVATION_BYTES = 256 * 2**20


def predict_scores(model: object, images: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
    """P(real) for each image, as float64 in [0, 1].

    ``images`` is a (n, s, s, 3) uint8 array, or one ``(h, w, 3)`` array per image
    (native resolution). Images the model's input side fits are scored whole, in batches of
    at most ``batch_size`` (fewer for large images, :func:`scoring_batch`), each converted
    to float32 on its own; any other (a patch model given whole images) by the grid of
    patches that covers each (:func:`core.model.artifacts.grid_scores`).
    """
    if len(images) == 0:
        return np.zeros(0)
    if _needs_grid(model, images):
        from core.model.artifacts import grid_scores

        return np.clip(grid_scores(model, images), 0.0, 1.0)
    batch = scoring_batch(model, largest=batch_size)
    out = [
        model.predict_on_batch(images[i : i + batch].astype("float32")) for i in range(0, len(images), batch)
    ]
    return np.clip(np.concatenate([np.asarray(o, dtype=np.float64).reshape(-1) for o in out]), 0.0, 1.0)


def scoring_batch(model: object, *, largest: int = 256) -> int:
    """Images per scoring batch: at most ``largest``, fewer when a batch's activations would pass
    :data:`SCORING_ACTIVATION_BYTES` (summed over every layer's output, so an over-estimate: at
    inference a layer's input is freed once its output is made). ``python -m bench.throughput``
    measures the peak memory this gives.

    A model trained by the lean step (:mod:`core.model.lean`, a huge Dense layer) is scored within
    that step's budget, :data:`~core.model.config.MICRO_ACTIVATION_BYTES`: its training is bounded
    that way, and its scoring should not be what passes the bound.
    """
    from core.model import lean

    huge = hasattr(model, "get_layer") and lean.applies(model)  # type: ignore[arg-type]
    budget = MICRO_ACTIVATION_BYTES if huge else SCORING_ACTIVATION_BYTES
    per_image = 0
    for layer in model.layers:  # type: ignore[attr-defined]
        shape = getattr(layer, "output", None) is not None and tuple(layer.output.shape[1:])
        if not shape or any(d is None for d in shape):
            return largest  # a shape known only at run time: no estimate
        per_image += int(np.prod(shape)) * 4
    return max(1, min(largest, budget // max(per_image, 1)))


def _needs_grid(model: object, images: np.ndarray) -> bool:
    if not isinstance(images, np.ndarray) or images.dtype == object or images.ndim != 4:
        return True
    return tuple(images.shape[1:3]) != tuple(model.input_shape[1:3])


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

    def epoch_ended(self, epoch: int, metrics: dict[str, float]) -> None:
        """The custom loop's end of epoch ``epoch`` (1-based), reported as Keras' would be."""
        self.epoch = epoch
        self.on_epoch_end(epoch - 1, metrics)
        self.epoch_started = time.perf_counter()

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
