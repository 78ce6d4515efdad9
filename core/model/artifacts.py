"""The ``artifacts`` preset's network, and whole-image scoring by a grid of patches. Imports Keras.

The model maps ``(n, patch, patch, 3)`` raw 0-255 RGB to P(real), like the other presets,
but it is trained on random crops at native resolution (:mod:`core.model.patches`) and an
image of any size is scored by :func:`grid_scores`: the mean of the patch *logits* over a
fixed grid that covers it, then the sigmoid. Averaging logits rather than probabilities
lets many mildly confident patches outvote one very confident one.

Front-ends (``FRONT_END``), all from ordinary Keras layers, so the saved ``.keras`` file
loads in safe mode:

``"npr"``
    The neighbouring-pixel residual of Tan et al. (CVPR 2024), x - up(down(x)) with
    nearest-neighbour down- and up-sampling: every pixel minus the top-left pixel of its
    2 x 2 block. Up-sampling in a generator leaves its trace in exactly these differences.
    Built as AveragePooling2D(pool 1, stride 2) (which keeps the top-left pixel),
    UpSampling2D(2) and Subtract.
``"npr_mean"``
    The same with the block *mean* (AveragePooling2D(2)): a smoother residual.
``"rgb"``
    No front-end: the pixels themselves (rescaled to 0-1).

The body: a 2 x 2, stride-2 convolution aligned with the residual's blocks (it sees each
block once), then ``FILTERS`` stages of two 3 x 3 convolutions with batch normalisation
(stride 2 at the start of every stage but the first), global average pooling, and
Dense(1) named ``logit`` followed by the sigmoid ``p_real``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from core.model.patches import grid_patches  # noqa: E402

FrontEnd = Literal["npr", "npr_mean", "rgb"]
FRONT_ENDS: tuple[str, ...] = ("npr", "npr_mean", "rgb")
#: The design chosen by the experiments in bench/RESULTS.md ("Artifacts preset").
FRONT_END: FrontEnd = "npr"
STEM_FILTERS = 16
FILTERS: tuple[int, ...] = (16, 32, 64)
#: Patches scored per ``predict`` call when scoring whole images.
SCORING_BATCH = 256
#: Patches cut and scored at once when scoring whole images (bounds memory: 4096 x 96² x 3 floats ~ 450 MB).
CHUNK_PATCHES = 2048
LOGIT_LAYER = "logit"


def artifacts_outputs(
    x: Any,
    *,
    front_end: FrontEnd | None = None,
    stem_filters: int | None = None,
    filters: Sequence[int] | None = None,
) -> Any:
    """The network from rescaled 0-1 pixels to P(real) (see the module docstring).

    :func:`core.model.presets.build_model` puts the input, optional augmentation and the
    rescaling in front, as for every preset.

    Parameters
    ----------
    x : tensor, shape (n, patch, patch, 3)
        Pixels 0-1; ``patch`` even, so that the 2 x 2 blocks tile it.
    front_end : {"npr", "npr_mean", "rgb"}, optional
        Default :data:`FRONT_END`.
    stem_filters : int, optional
        Filters of the 2 x 2 stride-2 stem; default :data:`STEM_FILTERS`.
    filters : sequence of int, optional
        Filters of each stage; default :data:`FILTERS`.
    """
    x = _front_end(x, front_end or FRONT_END)
    x = _conv_bn_relu(x, stem_filters or STEM_FILTERS, kernel=2, stride=2, name="stem")
    for stage, width in enumerate(filters or FILTERS):
        x = _conv_bn_relu(x, width, kernel=3, stride=1 if stage == 0 else 2, name=f"stage{stage}a")
        x = _conv_bn_relu(x, width, kernel=3, stride=1, name=f"stage{stage}b")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    logit = layers.Dense(1, name=LOGIT_LAYER)(x)
    return layers.Activation("sigmoid", name="p_real")(logit)


def _front_end(x: Any, kind: str) -> Any:
    if kind == "rgb":
        return x
    if kind == "npr":
        # A 1 x 1 window with stride 2 keeps the top-left pixel of each 2 x 2 block: nearest down-sampling.
        down = layers.AveragePooling2D(pool_size=1, strides=2, name="npr_down")(x)
    elif kind == "npr_mean":
        down = layers.AveragePooling2D(pool_size=2, strides=2, name="npr_down")(x)
    else:
        raise ValueError(f"unknown front-end {kind!r}")
    up = layers.UpSampling2D(2, interpolation="nearest", name="npr_up")(down)
    return layers.Subtract(name="npr")([x, up])


def _conv_bn_relu(x: Any, width: int, *, kernel: int, stride: int, name: str) -> Any:
    x = layers.Conv2D(width, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def patch_size_of(model: keras.Model) -> int:
    """The side of the square patches ``model`` takes."""
    return int(model.input_shape[1])


def logit_model(model: keras.Model) -> keras.Model | None:
    """A model sharing ``model``'s weights that outputs the ``logit`` layer, or None if it has none."""
    try:
        return keras.Model(model.inputs, model.get_layer(LOGIT_LAYER).output)
    except ValueError:
        return None


def grid_scores(
    model: keras.Model, images: Sequence[np.ndarray], *, batch_size: int = SCORING_BATCH
) -> np.ndarray:
    """P(real) per image: sigmoid of the mean patch logit over each image's grid (see module docstring).

    Parameters
    ----------
    model : keras.Model
        Takes ``(n, p, p, 3)`` patches.
    images : sequence of ndarray of uint8, shape (h, w, 3)
        Any sizes; an image smaller than a patch is padded by mirroring.
    batch_size : int, default SCORING_BATCH

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    if len(images) == 0:
        return np.zeros(0)
    return _sigmoid(grid_logits(model, images, batch_size=batch_size))


def grid_logits(
    model: keras.Model, images: Sequence[np.ndarray], *, batch_size: int = SCORING_BATCH
) -> np.ndarray:
    """Mean patch logit per image over its grid (the score before the sigmoid), float64 (n,)."""
    return np.array([logits.mean() for logits in patch_logits(model, images, batch_size=batch_size)])


def patch_logits(
    model: keras.Model,
    images: Sequence[np.ndarray],
    *,
    batch_size: int = SCORING_BATCH,
    stride: int | None = None,
    mirror: bool = False,
) -> list[np.ndarray]:
    """The logit of every grid patch, per image (row by row, as :func:`~core.model.patches.grid_patches`).

    ``stride`` spaces the grid (default: the patch side, the fewest patches that cover the
    image); with ``mirror``, each patch's mirror image is scored too (its logits follow).
    Patches are cut and scored a chunk of images at a time, so memory stays bounded
    whatever the number of images.
    """
    patch = patch_size_of(model)
    predict = _logit_function(model, batch_size)
    out: list[np.ndarray] = []
    chunk: list[np.ndarray] = []
    for i, image in enumerate(images):
        cut = grid_patches(np.asarray(image), patch, stride=stride)
        chunk.append(np.concatenate([cut, cut[:, :, ::-1]]) if mirror else cut)
        if sum(len(c) for c in chunk) >= CHUNK_PATCHES or i == len(images) - 1:
            scores = predict(np.concatenate(chunk).astype(np.float32))
            bounds = np.cumsum([0, *(len(c) for c in chunk)])
            out += [scores[bounds[j] : bounds[j + 1]] for j in range(len(chunk))]
            chunk = []
    return out


def _logit_function(model: keras.Model, batch_size: int) -> Any:
    logits = logit_model(model)
    if logits is not None:
        return lambda x: logits.predict(x, batch_size=batch_size, verbose=0).reshape(-1).astype(np.float64)

    def inverted(x: np.ndarray) -> np.ndarray:  # a model without a logit layer: invert its probabilities
        p = np.clip(
            model.predict(x, batch_size=batch_size, verbose=0).reshape(-1).astype(np.float64), 1e-7, 1
        )
        return np.log(p) - np.log1p(-np.minimum(p, 1 - 1e-7))

    return inverted


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the sigmoid without overflow for large |z|
