"""Where the model looks: a score map over each image, per preset. Imports TensorFlow.

:func:`region_map` is the one entry point; it picks the method for the run's preset from
:data:`EXPLAINERS`:

``fast`` and ``paper``: Grad-CAM, in its HiResCAM form (Selvaraju et al., 2017; Draelos and Carin, 2020)
    The last convolution's feature maps times the gradient of the *called* class's logit
    at each position, summed over channels and passed through ReLU: the regions whose
    features pushed the model towards its call. Plain Grad-CAM first averages each
    channel's gradient over the map; both presets end in Flatten -> Dense, whose weights
    differ by position, so that average mixes regions that push opposite ways and often
    cancels to an empty map; keeping each position's own gradient is faithful to such a
    head. The logit, not P(real), is differentiated: a confident sigmoid saturates at 0
    or 1 and its gradient vanishes. The map has the last convolution's resolution (16 x 16
    for ``fast`` at 64 px) and is scaled to [0, 1] per image.

``artifacts``: the patch scores themselves (:func:`patch_scores`)
    The preset scores a whole image as the mean logit over a grid of patches, so the honest
    map is that grid: each patch coloured by its own P(real). No gradient is involved; the
    image's score is the sigmoid of the mean of exactly these patches' logits. Images of
    different sizes give grids of different shapes (``maps`` is then an object array).

Drawing the map over the image is :func:`core.evaluation.heatmaps.overlay` (no TensorFlow).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from core.errors import EXPLAIN_NO_CONV, EXPLAIN_UNSUPPORTED, ModelError
from core.labels import DEFAULT_THRESHOLD

MapKind = Literal["attention", "patch_score"]


@dataclass(frozen=True)
class RegionMap:
    """A map over each image of where the model's evidence lies.

    Attributes
    ----------
    maps : ndarray of float, shape (n, h, w)
        One map per image, in [0, 1]; ``h, w`` is the method's own grid (coarser than the image).
    scores : ndarray of float, shape (n,)
        P(real) of each image, from the same forward pass.
    kind : {"attention", "patch_score"}
        ``"attention"``: how much each region pushed the model towards its call (Grad-CAM);
        ``"patch_score"``: P(real) of each patch.
    method : str
        The method in words, for captions, e.g. ``"Grad-CAM on conv2d_2"``.
    """

    maps: np.ndarray
    scores: np.ndarray
    kind: MapKind
    method: str


Explainer = Callable[..., RegionMap]


def grad_cam(model: Any, images: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD) -> RegionMap:
    """Grad-CAM (HiResCAM form) of the called class at the model's last convolution.

    Parameters
    ----------
    model : keras.Model
        A functional model from :func:`core.model.presets.build_model` (a ``Conv2D`` layer, then
        a final ``Dense(1, sigmoid)``).
    images : ndarray of uint8, shape (n, s, s, 3)
        Raw 0-255 pixels at the model's input size.
    threshold : float, default 0.75
        Decides the called class: real when P(real) is above it. The map explains that call.

    Returns
    -------
    RegionMap
        ``kind="attention"``.

    Raises
    ------
    ModelError
        If the model has no convolution layer.
    """
    import keras
    import tensorflow as tf

    conv = _last_conv(model)
    head = model.layers[-1]
    probe = keras.Model(model.inputs, [conv.output, head.input])
    kernel, bias = (tf.convert_to_tensor(w) for w in head.get_weights())
    x = tf.convert_to_tensor(np.asarray(images, dtype="float32"))
    with tf.GradientTape() as tape:
        features, hidden = probe(x, training=False)
        logit = tf.reshape(tf.matmul(hidden, kernel) + bias, [-1])
        scores = tf.sigmoid(logit)
        # The called class's logit: +logit for a call of real, -logit for a call of fake.
        sign = tf.where(scores > threshold, 1.0, -1.0)
        target = tf.reduce_sum(sign * logit)
    grads = tape.gradient(target, features)
    cams = tf.nn.relu(tf.reduce_sum(grads * features, axis=-1)).numpy().astype(np.float64)
    peaks = cams.max(axis=(1, 2), keepdims=True)
    maps = np.divide(cams, peaks, out=np.zeros_like(cams), where=peaks > 0)
    return RegionMap(
        maps, scores.numpy().astype(np.float64), "attention", f"Grad-CAM (HiResCAM) on {conv.name}"
    )


def patch_scores(model: Any, images: Any, *, threshold: float = DEFAULT_THRESHOLD) -> RegionMap:
    """P(real) of each patch of each image's scoring grid (the ``artifacts`` preset's own evidence).

    ``images``: a stack or a list of ``(h, w, 3)`` uint8 arrays of any sizes. ``threshold`` is
    not used (a patch map does not depend on the call) but kept for the common signature.
    """
    from core.model.artifacts import _sigmoid, patch_logits, patch_size_of
    from core.model.patches import fit_to_patch, grid_origins

    patch = patch_size_of(model)
    images = [np.asarray(image) for image in images]
    maps = []
    scores = np.zeros(len(images))
    for i, (image, logits) in enumerate(zip(images, patch_logits(model, images), strict=True)):
        fitted = fit_to_patch(image, patch).shape
        rows, cols = len(grid_origins(fitted[0], patch)), len(grid_origins(fitted[1], patch))
        maps.append(_sigmoid(np.asarray(logits, dtype=np.float64).reshape(rows, cols)))
        scores[i] = _sigmoid(np.asarray(logits, dtype=np.float64).mean())
    shapes = {m.shape for m in maps}
    if len(shapes) == 1:
        stacked = np.stack(maps)
    else:
        stacked = np.empty(len(maps), dtype=object)
        stacked[:] = maps
    return RegionMap(stacked, scores, "patch_score", f"P(real) of each {patch} px patch")


#: The method per preset. Add a preset's own here (see the module's docstring).
EXPLAINERS: dict[str, Explainer] = {"fast": grad_cam, "paper": grad_cam, "artifacts": patch_scores}


def region_map(
    model: Any, images: np.ndarray, *, preset: str, threshold: float = DEFAULT_THRESHOLD
) -> RegionMap:
    """The region map of ``images`` for a model of ``preset``, by that preset's method.

    Raises
    ------
    ModelError
        If no method is registered for ``preset``, or the model does not fit it.
    """
    explainer = EXPLAINERS.get(preset)
    if explainer is None:
        raise ModelError(EXPLAIN_UNSUPPORTED.format(preset=preset, choices=", ".join(EXPLAINERS)))
    return explainer(model, images, threshold=threshold)


def explain_run(run_id: str, images: np.ndarray, *, threshold: float | None = None) -> RegionMap:
    """:func:`region_map` of ``images`` with a saved run's model, preset and (by default) threshold.

    Raises
    ------
    ModelError
        If the run or its model cannot be loaded.
    """
    from core.runs import store

    info = store.run_info(run_id)
    model = store.load_model(run_id)
    t = info.threshold if threshold is None else threshold
    return region_map(model, images, preset=str(info.config.get("preset", "fast")), threshold=t)


def _last_conv(model: Any) -> Any:
    import keras

    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    if not convs:
        raise ModelError(EXPLAIN_NO_CONV.format(name=model.name))
    return convs[-1]
