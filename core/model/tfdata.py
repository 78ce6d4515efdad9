"""tf.data input pipelines. Imports TensorFlow."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from core.data.faceset import FaceSet
from core.model.patches import Degradation, sample_batch


def batches(
    faceset: FaceSet,
    index: np.ndarray,
    *,
    batch_size: int,
    shuffle_seed: int | None = None,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Batches of (float32 pixels 0-255, float32 label) for the images at ``index``.

    Held as uint8 (the set's own copy) and cast to float32 a batch at a time, prefetched;
    shuffled every epoch, reproducibly, when ``shuffle_seed`` is given;
    ``drop_remainder`` leaves out the last, partial batch.

    A set kept on disk (:class:`core.data.ondisk.DiskImages`) is not cached: each batch's
    rows are read from the file when the batch is made (two batches ahead), so memory does
    not grow with the set.
    """
    from core.data.ondisk import DiskImages

    if isinstance(faceset.images, DiskImages):
        return _disk_batches(faceset, index, batch_size, shuffle_seed, drop_remainder)
    images = faceset.images[index]
    labels = faceset.labels[index].astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(index), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    # Cast each batch as it is made: a float32 cache of the whole set would take 4x its uint8 pixels.
    return ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )


def _disk_batches(
    faceset: FaceSet, index: np.ndarray, batch_size: int, shuffle_seed: int | None, drop_remainder: bool
) -> tf.data.Dataset:
    images = faceset.images
    side = images.shape[1]
    labels = tf.constant(faceset.labels.astype("float32"))
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(index, dtype=np.int64))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(index), seed=shuffle_seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)

    def read(rows: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        pixels = tf.numpy_function(lambda r: images[r], [rows], tf.uint8, stateful=False)
        pixels = tf.ensure_shape(pixels, [None, side, side, 3])
        return tf.cast(pixels, tf.float32), tf.gather(labels, rows)

    return ds.map(read, num_parallel_calls=2).prefetch(2)


def patch_batches(
    images: Sequence[np.ndarray],
    labels: np.ndarray,
    weights: np.ndarray,
    *,
    steps: int,
    seed: int,
    batch_size: int,
    patch: int,
    degradation: Degradation,
    loss_weights: tuple[float, float] = (1.0, 1.0),
) -> tf.data.Dataset:
    """``steps`` batches of (pixels, labels, loss weights) of random native-resolution patches.

    See :func:`core.model.patches.sample_batch`.

    Batch ``i`` depends only on ``seed`` and ``i``, so the batches are made in parallel
    threads (Pillow releases the GIL while it re-compresses and re-samples) and still
    come out the same, in order, every time.
    """

    def make(step: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return sample_batch(
            images,
            labels,
            weights,
            step=int(step),
            seed=seed,
            batch_size=batch_size,
            patch=patch,
            degradation=degradation,
            loss_weights=loss_weights,
        )

    def to_tensors(step: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        kinds = (tf.float32, tf.float32, tf.float32)
        pixels, targets, weights = tf.numpy_function(make, [step], kinds, stateful=False)
        pixels.set_shape((batch_size, patch, patch, 3))
        targets.set_shape((batch_size,))
        weights.set_shape((batch_size,))
        return pixels, targets, weights

    ds = tf.data.Dataset.range(steps)
    ds = ds.map(to_tensors, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def array_batches(pixels: np.ndarray, labels: np.ndarray, *, batch_size: int) -> tf.data.Dataset:
    """Batches of (float32 pixels, float32 labels) from arrays already in memory, in order."""
    ds = tf.data.Dataset.from_tensor_slices((pixels, labels.astype("float32")))
    return ds.map(lambda x, y: (tf.cast(x, tf.float32), y)).batch(batch_size).prefetch(tf.data.AUTOTUNE)
