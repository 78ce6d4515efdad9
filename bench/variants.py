"""The knobs an experiment turns on a preset, and the full settings a variant trains with.

A :class:`Variant` is data; :func:`apply_variant` sets it up in a fresh worker process
before anything trains, by replacing the preset's :class:`core.model.config.Architecture`
(filters, units, head, initializer, input scale), one module attribute of ``core`` (the
body, ``compile_model``, the tf.data pipeline) or one TensorFlow setting. Everything else
is the product's own code path (:func:`core.model.train.train`).

:func:`settings` resolves a variant against ``core``'s configuration *as it is now*; an
experiment stores that next to its figures, so a later reader can tell by comparing
whether the variant measured is what ``core`` uses (see :func:`bench.conclusions.adopted`).
This module does not import TensorFlow.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Literal

from core.model.config import ARCHITECTURES, PRESET_DEFAULTS, Head, Preset

Pipeline = Literal["tfdata", "nocache", "noprefetch"]
Precision = Literal["float32", "mixed_bfloat16"]
#: Fields of :class:`Variant` that replace a field of the preset's Architecture.
ARCHITECTURE_FIELDS = ("filters", "units", "kernel_initializer", "head", "input_scale")
#: Fields of :class:`Variant` that replace a training setting of TrainConfig.
CONFIG_FIELDS = ("batch_size", "learning_rate", "image_size")
#: Fields that change how TensorFlow runs the same model.
RUNTIME_FIELDS = ("stride2_first", "jit_compile", "threads", "pipeline", "precision")


@dataclass(frozen=True)
class Variant:
    """One change to a preset; fields left at their defaults change nothing.

    ``epochs`` is part of the trial, not of the settings: None trains the experiment's.
    """

    name: str
    description: str
    preset: Preset = "fast"
    epochs: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    image_size: int | None = None
    filters: tuple[int, ...] | None = None
    units: int | None = None
    kernel_initializer: str | None = None
    head: Head | None = None
    input_scale: float | None = None
    stride2_first: bool = False
    jit_compile: bool = False
    threads: tuple[int, int] | None = None  # (intra-op, inter-op); None leaves TensorFlow's choice
    pipeline: Pipeline = "tfdata"
    precision: Precision = "float32"

    def config_overrides(self) -> dict[str, Any]:
        """The :class:`core.model.config.TrainConfig` fields this variant sets."""
        return {k: getattr(self, k) for k in CONFIG_FIELDS if getattr(self, k) is not None}

    def architecture_overrides(self) -> dict[str, Any]:
        """The :class:`core.model.config.Architecture` fields this variant sets."""
        return {k: getattr(self, k) for k in ARCHITECTURE_FIELDS if getattr(self, k) is not None}


def settings(variant: Variant) -> dict[str, Any]:
    """Everything that decides what ``variant`` trains, resolved against ``core`` now, JSON-ready.

    The preset's defaults (:data:`core.model.config.PRESET_DEFAULTS`) and architecture
    (:data:`core.model.config.ARCHITECTURES`) with the variant's overrides, and the
    runtime fields. Two variants with equal settings train the same model the same way.
    """
    defaults = PRESET_DEFAULTS[variant.preset]
    config = {k: defaults[k] for k in CONFIG_FIELDS} | variant.config_overrides()
    architecture = ARCHITECTURES[variant.preset].to_dict() | variant.architecture_overrides()
    runtime = {k: getattr(variant, k) for k in RUNTIME_FIELDS}
    resolved = {"preset": variant.preset, **config, **architecture, **runtime}
    return json.loads(json.dumps(resolved))  # tuples as lists, as they come back from JSON


def preset_settings(preset: Preset) -> dict[str, Any]:
    """What ``core`` trains for ``preset`` today: the settings of a variant that changes nothing."""
    return settings(Variant(preset, "", preset=preset))


BASELINE = Variant("baseline", "fast preset as it is in core (core.model.config)")
PAPER = Variant("paper", "paper preset as it is in core (core.model.config)", preset="paper")

VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        BASELINE,
        Variant("filters16-32-64", "twice the filters: 16/32/64", filters=(16, 32, 64)),
        Variant("global_average", "global average pooling instead of Flatten", head="global_average"),
        Variant("batch64", "batch size 64", batch_size=64),
        Variant("batch128", "batch size 128", batch_size=128),
        Variant("lr1e-3", "Adam 1e-3", learning_rate=1e-3),
        Variant("lr5e-3", "Adam 5e-3", learning_rate=5e-3),
        Variant("size48", "48x48 input", image_size=48),
        Variant("size48_batch64", "48x48 input, batch size 64", image_size=48, batch_size=64),
        Variant("units16", "Dense(16) instead of Dense(32)", units=16),
        Variant("stride2_first", "first block: Conv2D stride 2, no pooling", stride2_first=True),
        Variant("xla", "jit_compile=True (XLA)", jit_compile=True),
        Variant("threads2x1", "intra-op 2, inter-op 1 threads", threads=(2, 1)),
        Variant("threads1x1", "intra-op 1, inter-op 1 threads", threads=(1, 1)),
        Variant("nocache", "tf.data without .cache()", pipeline="nocache"),
        Variant("noprefetch", "tf.data without .prefetch()", pipeline="noprefetch"),
        Variant("bf16", "mixed_bfloat16 precision (AMX/AVX512-BF16)", precision="mixed_bfloat16"),
        # The paper's design: what it takes to make it learn.
        Variant(
            "paper_raw_glorot_lr1e-3",
            "raw 0-255 pixels (no rescaling), Glorot init, Adam 1e-3",
            preset="paper",
            epochs=2,
            input_scale=1.0,
            kernel_initializer="glorot_uniform",
            learning_rate=1e-3,
        ),
        Variant(
            "paper_glorot_lr1e-3",
            "rescaled to 0-1, Glorot init, Adam 1e-3",
            preset="paper",
            epochs=2,
            kernel_initializer="glorot_uniform",
            learning_rate=1e-3,
        ),
        PAPER,
    )
}


def apply_variant(variant: Variant) -> None:
    """Set ``variant`` up in this process; call before the first TensorFlow op runs."""
    import core.model.config

    _apply_runtime(variant)
    architectures = core.model.config.ARCHITECTURES
    architectures[variant.preset] = dataclasses.replace(
        architectures[variant.preset], **variant.architecture_overrides()
    )
    if variant.stride2_first:
        import core.model.presets

        core.model.presets._body = _stride2_body
    if variant.jit_compile:
        import core.model.presets

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


def _stride2_body(x: Any, architecture: Any) -> Any:
    """The body with its first conv + pool replaced by one stride-2 conv (a quarter of the work)."""
    from keras import layers

    for i, filters in enumerate(architecture.filters):
        if i == 0:
            x = layers.Conv2D(filters, 3, strides=2, padding=architecture.padding, activation="relu")(x)
        else:
            x = layers.Conv2D(filters, 3, padding=architecture.padding, activation="relu")(x)
            x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    return layers.Dense(architecture.units, activation="relu")(x)


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
