"""The knobs an experiment turns on the ``fast`` model, applied inside a training worker.

A :class:`Variant` is data; :func:`apply_variant` sets it up in a fresh worker process
before anything trains, by swapping one module attribute of ``core`` (the filter counts,
the body, ``compile_model``, the tf.data pipeline) or one TensorFlow setting. Everything
else is the product's own code path (:func:`core.model.train.train`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

Pipeline = Literal["tfdata", "nocache", "noprefetch"]
Precision = Literal["float32", "mixed_bfloat16"]


@dataclass(frozen=True)
class Variant:
    """One change to the ``fast`` preset; fields left at their defaults change nothing."""

    name: str
    description: str
    batch_size: int | None = None
    learning_rate: float | None = None
    image_size: int | None = None
    filters: tuple[int, ...] | None = None
    units: int | None = None
    stride2_first: bool = False
    jit_compile: bool = False
    threads: tuple[int, int] | None = None  # (intra-op, inter-op); None leaves TensorFlow's choice
    pipeline: Pipeline = "tfdata"
    precision: Precision = "float32"

    def config_overrides(self) -> dict[str, Any]:
        """The :class:`core.model.config.TrainConfig` fields this variant sets."""
        names = ("batch_size", "learning_rate", "image_size")
        return {k: getattr(self, k) for k in names if getattr(self, k) is not None}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


BASELINE = Variant("baseline", "fast preset as it is in core (see core.model.config / core.model.presets)")

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        BASELINE,
        Variant("batch64", "batch size 64", batch_size=64),
        Variant("batch128", "batch size 128", batch_size=128),
        Variant("batch64_lr5e-3", "batch size 64, Adam 5e-3", batch_size=64, learning_rate=5e-3),
        Variant("lr1e-3", "Adam 1e-3", learning_rate=1e-3),
        Variant("lr5e-3", "Adam 5e-3", learning_rate=5e-3),
        Variant("size48", "48x48 input", image_size=48),
        Variant("filters8-16-32", "half the filters: 8/16/32", filters=(8, 16, 32)),
        Variant("units16", "Dense(16) instead of Dense(32)", units=16),
        Variant("stride2_first", "first block: Conv2D stride 2, no pooling", stride2_first=True),
        Variant("xla", "jit_compile=True (XLA)", jit_compile=True),
        Variant("threads2x1", "intra-op 2, inter-op 1 threads", threads=(2, 1)),
        Variant("threads1x1", "intra-op 1, inter-op 1 threads", threads=(1, 1)),
        Variant("nocache", "tf.data without .cache()", pipeline="nocache"),
        Variant("noprefetch", "tf.data without .prefetch()", pipeline="noprefetch"),
        Variant("bf16", "mixed_bfloat16 precision (AMX/AVX512-BF16)", precision="mixed_bfloat16"),
        # Combinations of the first session's winners (size48, filters8-16-32, batch64).
        Variant("size48_filters8", "48x48 input, filters 8/16/32", image_size=48, filters=(8, 16, 32)),
        Variant("filters8_batch64", "filters 8/16/32, batch size 64", filters=(8, 16, 32), batch_size=64),
        Variant("size48_batch64", "48x48 input, batch size 64", image_size=48, batch_size=64),
        Variant(
            "size48_filters8_batch64",
            "48x48 input, filters 8/16/32, batch size 64",
            image_size=48,
            filters=(8, 16, 32),
            batch_size=64,
        ),
    )
}


def apply_variant(variant: Variant) -> None:
    """Set ``variant`` up in this process; call before the first TensorFlow op runs."""
    import core.model.presets

    _apply_runtime(variant)
    if variant.filters is not None:
        core.model.presets.FAST_FILTERS = variant.filters
    if variant.units is not None:
        core.model.presets.FAST_UNITS = variant.units
    if variant.stride2_first:
        core.model.presets._fast_body = _stride2_body
    if variant.jit_compile:
        core.model.presets.compile_model = _with_jit(core.model.presets.compile_model)
    if variant.pipeline != "tfdata":
        import core.model.tfdata

        core.model.tfdata.batches = _pipeline(variant.pipeline)


def _apply_runtime(variant: Variant) -> None:
    if variant.threads is not None:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(variant.threads[0])
        tf.config.threading.set_inter_op_parallelism_threads(variant.threads[1])
    if variant.precision != "float32":
        import keras

        keras.mixed_precision.set_global_policy(variant.precision)


def _stride2_body(x: Any) -> Any:
    """The fast body with its first conv + pool replaced by one stride-2 conv (a quarter of the work)."""
    from keras import layers

    import core.model.presets

    for i, filters in enumerate(core.model.presets.FAST_FILTERS):
        if i == 0:
            x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
        else:
            x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
            x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    return layers.Dense(core.model.presets.FAST_UNITS, activation="relu")(x)


def _with_jit(compile_model: Any) -> Any:
    def compile_with_jit(model: Any, **options: Any) -> None:
        compile_model(model, **options)
        model.jit_compile = True

    return compile_with_jit


def _pipeline(kind: Pipeline) -> Any:
    """``core.model.tfdata.batches`` with its cache or its prefetch left out."""
    import tensorflow as tf

    def batches(faceset: Any, index: Any, *, batch_size: int, shuffle_seed: int | None = None) -> Any:
        images, labels = faceset.images[index], faceset.labels[index].astype("float32")
        ds = tf.data.Dataset.from_tensor_slices((images, labels))
        ds = ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE)
        if kind != "nocache":
            ds = ds.cache()
        if shuffle_seed is not None:
            ds = ds.shuffle(len(index), seed=shuffle_seed, reshuffle_each_iteration=True)
        ds = ds.batch(batch_size)
        return ds if kind == "noprefetch" else ds.prefetch(tf.data.AUTOTUNE)

    return batches
