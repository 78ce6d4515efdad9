"""The model presets, built by pure functions. This module imports Keras.

Every preset takes raw 0-255 RGB pixels: rescaling (and augmentation, when on) is part
of the model, so a saved model needs no preprocessing and augmentation is inactive at
inference, as Keras layers are. ``fast`` and ``paper`` are built from
:data:`core.model.config.ARCHITECTURES`; ``artifacts`` by :mod:`core.model.artifacts`.

``paper``
    Exactly the paper's five layers: Conv2D(3x3, ReLU) -> MaxPooling2D -> Flatten ->
    Dense(ReLU) -> Dense(1, sigmoid). The paper gives no filter or unit counts; ours are
    the Keras tutorial defaults the design comes from, with He-normal initialisation, a
    lower learning rate than Adam's default, and the pixels rescaled inside the model.
``fast`` (default)
    Three Conv2D(3x3, ReLU) + MaxPooling2D blocks on a smaller input, then Flatten ->
    Dense(ReLU) -> Dense(1, sigmoid). Flatten, not global pooling: where the face sits
    in the frame is part of the signal (generated faces are aligned).
``artifacts``
    A detector of pixel-level generation traces on ``patch_size`` crops at native
    resolution, scored on whole images by a grid of patches: see :mod:`core.model.artifacts`.

The counts, sizes and rates are in :mod:`core.model.config`. Why these settings, with
the trials behind them and their figures: bench/RESULTS.md, "Experiments", written by
``python -m bench.experiments`` from bench/experiments.json (``artifacts``: "Artifacts
preset", from bench/artifacts.json).
"""

from __future__ import annotations

import os
from typing import Any

# TensorFlow's C++ start-up chatter (CUDA probing, CPU feature notes) is not for users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import layers  # noqa: E402

from core.errors import UNKNOWN_PRESET, ConfigError  # noqa: E402
from core.model.config import ARCHITECTURES, PRESETS, Architecture, Preset  # noqa: E402


def build_model(preset: Preset, *, image_size: int, augment: bool = False) -> keras.Model:
    """Build an untrained, uncompiled model that maps (n, s, s, 3) pixels 0-255 to P(real).

    Parameters
    ----------
    preset : {"fast", "paper", "artifacts"}
    image_size : int
        Side ``s`` of the square input: for ``artifacts``, the patch size.
    augment : bool, default False
        Add random horizontal flips and small brightness/contrast changes, active in
        training only.

    Raises
    ------
    ConfigError
        For an unknown preset.
    """
    if preset not in PRESETS:
        raise ConfigError(UNKNOWN_PRESET.format(preset=preset, choices=", ".join(PRESETS)))
    inputs = keras.Input(shape=(image_size, image_size, 3), name="pixels")
    x = inputs
    if augment:
        x = layers.RandomFlip("horizontal", name="augment_flip")(x)
        x = layers.RandomBrightness(0.1, value_range=(0, 255), name="augment_brightness")(x)
        x = layers.RandomContrast(0.1, name="augment_contrast")(x)
    if preset == "artifacts":
        from core.model.artifacts import artifacts_outputs

        x = layers.Rescaling(1.0 / 255, name="rescale")(x)
        return keras.Model(inputs, artifacts_outputs(x), name=f"unmask_{preset}")
    architecture = ARCHITECTURES[preset]
    x = layers.Rescaling(architecture.input_scale, name="rescale")(x)
    # Under mixed precision the last layer stays float32, so P(real) keeps its resolution near 0 and 1.
    mixed = keras.mixed_precision.global_policy().compute_dtype == "float16"
    p_real = layers.Dense(1, activation="sigmoid", name="p_real", dtype="float32" if mixed else None)
    outputs = p_real(_body(x, architecture))
    return keras.Model(inputs, outputs, name=f"unmask_{preset}")


# Every layer is named: Keras numbers unnamed layers with a per-thread counter that
# ``keras.backend.clear_session()`` resets, and Streamlit calls that after every script run, so a
# model built in a background thread while a page reran could get two layers called "conv2d".
def _body(x: Any, architecture: Architecture) -> Any:
    """Conv2D + MaxPooling2D blocks, the head, and the hidden Dense layer."""
    init = architecture.kernel_initializer
    for i, filters in enumerate(architecture.filters, start=1):
        x = layers.Conv2D(
            filters,
            3,
            padding=architecture.padding,
            activation="relu",
            kernel_initializer=init,
            name=f"conv_{i}",
        )(x)
        x = layers.MaxPooling2D(name=f"pool_{i}")(x)
    if architecture.head == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    return layers.Dense(architecture.units, activation="relu", kernel_initializer=init, name="dense")(x)


def compile_model(
    model: keras.Model, *, learning_rate: float, threshold: float, decay_steps: int | None = None
) -> None:
    """Compile with Adam and binary cross-entropy, tracking accuracy at 0.5 and at ``threshold``, and AUC.

    With ``decay_steps``, the rate falls from ``learning_rate`` to 0 along a cosine over
    that many steps (the whole run), instead of staying constant.
    """
    rate: Any = learning_rate
    if decay_steps:
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps)
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss="binary_crossentropy",
        metrics=[
            keras.metrics.BinaryAccuracy(threshold=0.5, name="accuracy"),
            keras.metrics.BinaryAccuracy(threshold=threshold, name="accuracy_at_threshold"),
            keras.metrics.AUC(name="auc"),
        ],
    )


def training_flops_per_image(model: keras.Model) -> int:
    """FLOPs of one training step per image (forward + backward), counted from the layers.

    Forward: 2 FLOPs per multiply-add of every Conv2D and Dense layer (Conv2D: output
    height x width x filters x kernel height x width x input channels; Dense: inputs x
    units). Backward: each such layer computes the gradient of its weights (1 x its
    forward) and of its input (1 x its forward), except the first one, whose input is
    the data and needs no gradient. See :func:`training_flops` for the sum.

    Biases of the count, all of which it leaves out: bias adds, activations, pooling,
    rescaling, augmentation, Flatten, the loss and the metrics (all O(activations), not
    O(weights x positions)); the optimizer's update (Adam: a few FLOPs per weight per
    batch); the validation pass after each epoch and any scoring. It counts every
    output position of a "same"-padded convolution with the whole kernel, zeros at the
    border included, and assumes the layers form a chain, as both presets do. Dividing
    a ``fit`` time, which includes the validation passes, by this count errs low.

    Examples
    --------
    A Conv2D(2, 3x3, same) on a 4x4x1 input (576 forward FLOPs), Flatten, Dense(3) (192)
    and Dense(1) (6): 3 x 774 - 576 = 1746.
    """
    forward = []
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            k_h, k_w = layer.kernel_size
            forward.append(2 * h * w * c_out * k_h * k_w * layer.input.shape[-1])
        elif isinstance(layer, layers.Dense):
            forward.append(2 * layer.input.shape[-1] * layer.units)
    return training_flops([int(f) for f in forward])


def training_flops(forward: list[int]) -> int:
    """Forward + backward FLOPs from each weighted layer's forward FLOPs, first layer first.

    Every layer costs 3 x its forward (forward, weight gradient, input gradient), but the
    first needs no input gradient: 2 x its forward.

    Examples
    --------
    >>> training_flops([576, 192, 6])
    1746
    >>> training_flops([10])
    20
    >>> training_flops([])
    0
    """
    return 3 * sum(forward) - (forward[0] if forward else 0)


def load_keras_model(path: os.PathLike[str] | str) -> keras.Model:
    """Load a ``.keras`` file in safe mode (no lambda or arbitrary code is run)."""
    return keras.models.load_model(path, safe_mode=True, compile=False)
