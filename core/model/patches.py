"""Patches at native resolution: random training crops, degraded, and the fixed scoring grid.

The ``artifacts`` preset never resizes a whole image before the network: it trains on
random ``patch x patch`` crops of the images as decoded (:func:`core.data.images.decode_native`)
and scores an image by the patches of a fixed grid that covers it (:func:`grid_origins`).
Pure numpy and Pillow, no TensorFlow, so the data path can move (e.g. to a streaming
pipeline) without touching the model.

Degradation (:class:`Degradation`) is applied to both classes alike, so that no class
keeps a single compression or scaling history the model could learn instead of the
generator's traces: a mild re-scaling (the crop is taken around the patch, re-sampled
with a random filter, then cut to size), a Gaussian blur and a JPEG re-compression, each
with its own probability, in the order a photo meets them on its way to a file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

_FILTERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)


@dataclass(frozen=True)
class Degradation:
    """How training patches are degraded; each step happens with its own probability.

    ``rescale`` draws a factor uniformly from ``rescale_range`` (0.8 shrinks the content
    by 20%), ``blur`` a Gaussian radius from ``blur_sigma``, ``jpeg`` a quality from
    ``jpeg_quality`` (inclusive). ``flip`` mirrors half of the patches left to right.
    """

    rescale: float = 0.3
    rescale_range: tuple[float, float] = (0.75, 1.33)
    blur: float = 0.2
    blur_sigma: tuple[float, float] = (0.3, 1.2)
    jpeg: float = 0.6
    jpeg_quality: tuple[int, int] = (65, 98)
    flip: bool = True


#: What ``degrade=True`` applies (chosen by the experiments in bench/RESULTS.md, "Artifacts preset").
DEFAULT = Degradation()
#: No degradation: crops (and flips) only.
NONE = Degradation(rescale=0.0, blur=0.0, jpeg=0.0)
#: Weigh each class in the loss so that the model's P(real) crosses the run's threshold where the
#: evidence for the two classes balances, instead of at 0.5 (see :func:`class_weights`).
BALANCE_AT_THRESHOLD = True


def class_weights(threshold: float) -> tuple[float, float]:
    """Loss weights ``(real, fake)`` whose ratio is ``threshold / (1 - threshold)``, averaging 1.

    With classes drawn equally often, cross-entropy weighted so is minimised by a P(real)
    whose odds are that ratio times the evidence's: P(real) > ``threshold`` exactly where
    the patch looks more real than fake.

    Examples
    --------
    >>> class_weights(0.75), class_weights(0.5)
    ((1.5, 0.5), (1.0, 1.0))
    """
    return 2 * threshold, 2 * (1 - threshold)


def grid_origins(length: int, patch: int, *, stride: int | None = None) -> np.ndarray:
    """Start positions of ``patch``-long windows that cover ``0 .. length``, evenly spread.

    The fewest windows whose starts lie at most ``stride`` apart (default ``patch``: the
    fewest that cover it at all), from 0 to ``length - patch``.

    Examples
    --------
    >>> grid_origins(300, 96).tolist()
    [0, 68, 136, 204]
    >>> grid_origins(96, 96).tolist(), grid_origins(50, 96).tolist()
    ([0], [0])
    >>> grid_origins(300, 96, stride=48).tolist()
    [0, 41, 82, 122, 163, 204]
    """
    if length <= patch:
        return np.zeros(1, dtype=int)
    count = 1 + -(-(length - patch) // (stride or patch))
    return np.round(np.linspace(0, length - patch, count)).astype(int)


def fit_to_patch(image: np.ndarray, patch: int) -> np.ndarray:
    """``image`` itself if both sides are at least ``patch``, else padded by mirroring to reach it.

    Mirroring, not zeros: a black border would be an edge no photo has.
    """
    height, width = image.shape[:2]
    if height >= patch and width >= patch:
        return image
    pad = ((0, max(0, patch - height)), (0, max(0, patch - width)), (0, 0))
    return np.pad(image, pad, mode="symmetric")


def grid_patches(image: np.ndarray, patch: int, *, stride: int | None = None) -> np.ndarray:
    """The patches of the scoring grid of one ``(h, w, 3)`` image: ``(k, patch, patch, 3)``, row by row.

    ``stride`` as for :func:`grid_origins`.
    """
    image = fit_to_patch(image, patch)
    ys = grid_origins(image.shape[0], patch, stride=stride)
    xs = grid_origins(image.shape[1], patch, stride=stride)
    return np.stack([image[y : y + patch, x : x + patch] for y in ys for x in xs])


def sampling_weights(strata: Sequence[str] | np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-image probabilities that give each class half the patches, shared equally by its strata.

    ``strata`` names each image's source (or anything else to balance within a class);
    within a stratum, images are equally likely. The weights sum to 1.

    Examples
    --------
    >>> sampling_weights(["a", "a", "b", "a"], np.array([1, 1, 1, 0])).tolist()
    [0.125, 0.125, 0.25, 0.5]
    """
    strata = np.asarray(strata, dtype=str)
    labels = np.asarray(labels)
    weights = np.zeros(len(labels))
    classes = np.unique(labels)
    for label in classes:
        in_class = labels == label
        names = np.unique(strata[in_class])
        for name in names:
            members = in_class & (strata == name)
            weights[members] = 1.0 / (len(classes) * len(names) * members.sum())
    return weights


def sample_patch(
    image: np.ndarray, rng: np.random.Generator, *, patch: int, degradation: Degradation
) -> np.ndarray:
    """One random ``(patch, patch, 3)`` uint8 crop of ``image``, degraded as ``degradation`` says."""
    scale = rng.uniform(*degradation.rescale_range) if rng.random() < degradation.rescale else 1.0
    # Crop enough source pixels that the re-scaled region still holds a whole patch.
    side = patch if scale == 1.0 else int(np.ceil(patch / scale)) + 2
    region = _random_crop(fit_to_patch(image, side), side, rng)
    picture = Image.fromarray(region)
    if scale != 1.0:
        resized = max(patch, round(side * scale))
        picture = picture.resize((resized, resized), _FILTERS[rng.integers(len(_FILTERS))])
        picture = Image.fromarray(_random_crop(np.asarray(picture), patch, rng))
    if rng.random() < degradation.blur:
        picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(*degradation.blur_sigma)))
    if rng.random() < degradation.jpeg:
        low, high = degradation.jpeg_quality
        picture = _recompress(picture, int(rng.integers(low, high + 1)))
    pixels = np.asarray(picture, dtype=np.uint8)
    if degradation.flip and rng.random() < 0.5:
        pixels = pixels[:, ::-1]
    return pixels


def sample_batch(
    images: Sequence[np.ndarray],
    labels: np.ndarray,
    weights: np.ndarray,
    *,
    step: int,
    seed: int,
    batch_size: int,
    patch: int,
    degradation: Degradation,
    loss_weights: tuple[float, float] = (1.0, 1.0),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training batch ``step``: pixels float32 (b, patch, patch, 3), labels and loss weights float32 (b,).

    Images are drawn with probabilities ``weights`` (see :func:`sampling_weights`), with
    replacement; each gets one random crop. ``loss_weights`` are the (real, fake) weights
    of each patch in the loss (see :func:`class_weights`). The batch depends only on
    ``seed`` and ``step``, so batches can be made in any order, in parallel, and come
    out the same.
    """
    rng = np.random.default_rng([seed, step])
    chosen = rng.choice(len(labels), size=batch_size, p=weights)
    pixels = np.stack([sample_patch(images[i], rng, patch=patch, degradation=degradation) for i in chosen])
    targets = np.asarray(labels, dtype=np.float32)[chosen]
    weight = np.where(targets == 1, loss_weights[0], loss_weights[1]).astype(np.float32)
    return pixels.astype(np.float32), targets, weight


def fixed_patches(images: Sequence[np.ndarray], *, patch: int, seed: int) -> np.ndarray:
    """One seeded random crop per image, undegraded: ``(n, patch, patch, 3)`` uint8 (per-epoch validation)."""
    rng = np.random.default_rng([seed, 2**31 - 1])
    return np.stack([_random_crop(fit_to_patch(image, patch), patch, rng) for image in images])


def _random_crop(image: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    y = int(rng.integers(image.shape[0] - side + 1))
    x = int(rng.integers(image.shape[1] - side + 1))
    return image[y : y + side, x : x + side]


def _recompress(picture: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return decoded.convert("RGB")
