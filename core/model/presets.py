"""The model presets, built by pure functions. This module imports Keras.

Every preset takes raw 0-255 RGB pixels: rescaling (and augmentation, when on) is part
of the model, so a saved model needs no preprocessing and augmentation is inactive
at inference, as Keras layers are.

``paper``
    Exactly the paper's five layers on 300x300x3: Conv2D(3x3, ReLU) -> MaxPooling2D ->
    Flatten -> Dense(ReLU) -> Dense(1, sigmoid). The paper gives no filter or unit
    counts; we use 32 filters and 128 units (the Keras tutorial defaults the design
    comes from, ~91 M weights) with He-normal initialisation and Adam at 1e-4. On raw
    0-255 pixels the huge Flatten -> Dense layer's ReLUs die and the model stays at the
    majority class; rescaled inputs and the lower rate make it learn (99.4% at 0.75 on
    the Hard set in 10 epochs; see README, "Model presets").
``fast`` (default)
    Three Conv2D(3x3, ReLU) + MaxPooling2D blocks (8, 16, 32 filters) on 64x64, then
    Flatten -> Dense(32, ReLU) -> Dense(1, sigmoid): ~72 k weights. Half the filters of
    our first design (16, 32, 64) train in about 0.65 of the time and passed >= 99.5%
    at 0.75 on all six seeds tried (bench/RESULTS.md, "Experiments"). Flatten, not
    global pooling, on purpose: where the face sits in the frame is part of the
    signal (generated faces are aligned), and global pooling throws it away.
``artifacts``
    A detector of pixel-level generation traces on ``patch_size`` crops at native
    resolution, scored on whole images by a grid of patches: see :mod:`core.model.artifacts`.
"""

from __future__ import annotations

import os
from typing import Any

# TensorFlow's C++ start-up chatter (CUDA probing, CPU feature notes) is not for users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import layers  # noqa: E402

from core.errors import UNKNOWN_PRESET, ConfigError  # noqa: E402
from core.model.config import PRESETS, Preset  # noqa: E402

PAPER_FILTERS = 32
PAPER_UNITS = 128
FAST_FILTERS = (8, 16, 32)
FAST_UNITS = 32


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
    x = layers.Rescaling(1.0 / 255, name="rescale")(x)
    if preset == "artifacts":
        from core.model.artifacts import artifacts_outputs

        return keras.Model(inputs, artifacts_outputs(x), name=f"unmask_{preset}")
    body = _paper_body if preset == "paper" else _fast_body
    outputs = layers.Dense(1, activation="sigmoid", name="p_real")(body(x))
    return keras.Model(inputs, outputs, name=f"unmask_{preset}")


def _paper_body(x: Any) -> Any:
    x = layers.Conv2D(PAPER_FILTERS, 3, activation="relu", kernel_initializer="he_normal")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    return layers.Dense(PAPER_UNITS, activation="relu", kernel_initializer="he_normal")(x)


def _fast_body(x: Any) -> Any:
    for filters in FAST_FILTERS:
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    return layers.Dense(FAST_UNITS, activation="relu")(x)


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
    """Multiply-add FLOPs of one forward + backward pass per image, counted from the layers.

    Forward FLOPs are 2 x MACs of Conv2D and Dense layers; backward costs about twice
    the forward (gradients for inputs and for weights), so training is 3 x forward.
    """
    forward = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            k_h, k_w = layer.kernel_size
            c_in = layer.input.shape[-1]
            forward += 2 * h * w * c_out * k_h * k_w * c_in
        elif isinstance(layer, layers.Dense):
            forward += 2 * layer.input.shape[-1] * layer.units
    return 3 * int(forward)


def load_keras_model(path: os.PathLike[str] | str) -> keras.Model:
    """Load a ``.keras`` file in safe mode (no lambda or arbitrary code is run)."""
    return keras.models.load_model(path, safe_mode=True, compile=False)
