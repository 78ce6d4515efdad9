"""tf.data input pipelines. Imports TensorFlow."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from core.data.faceset import FaceSet


def batches(
    faceset: FaceSet, index: np.ndarray, *, batch_size: int, shuffle_seed: int | None = None
) -> tf.data.Dataset:
    """Batches of (float32 pixels 0-255, float32 label) for the images at ``index``.

    Cached in memory after the first pass and prefetched, so later epochs cost only
    the model; shuffled every epoch, reproducibly, when ``shuffle_seed`` is given.
    """
    images = faceset.images[index]
    labels = faceset.labels[index].astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE).cache()
    if shuffle_seed is not None:
        ds = ds.shuffle(len(index), seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
