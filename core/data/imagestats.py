"""What a set of face images looks like on average, and which images to show.

Pure numpy and pandas, for the Data and Confusion pages:

* :func:`mean_image` and :func:`mean_log_spectrum` summarise each class. Generators that
  upsample 2x leave a faint checkerboard, which is invisible in one image but shows in the
  class's mean spectrum as bright points at the Nyquist frequency (the corners and edge
  midpoints of the shifted spectrum);
* :func:`file_summary` counts the images by size, format and colour mode as found on disk;
* :func:`pick_positions` draws a seeded sample of images for a grid;
* :func:`images_in_cell` lists the images in one cell of the confusion matrix, the most
  confident first, so the worst mistakes come first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.evaluation.checks import MetricsError, check_labels, check_labels_scores, check_threshold
from core.labels import REAL

#: ITU-R BT.601 luma weights; they sum to 1, so a grey pixel keeps its value.
LUMA = np.array([0.299, 0.587, 0.114])

IMAGES_SHAPE = "images must have the shape (n, height, width) or (n, height, width, 3); got {shape}."
LABELS_LENGTH = "Got {n_labels} labels for {n_images} images; pass exactly one label per image."


def mean_image(images: np.ndarray, labels: Any) -> dict[int, np.ndarray]:
    """The pixel-wise mean image of each class present.

    Parameters
    ----------
    images : ndarray, shape (n, h, w, 3) or (n, h, w)
        Pixels in any units (uint8 0-255 or floats).
    labels : array-like of int, shape (n,)
        1 real, 0 fake.

    Returns
    -------
    dict
        label -> float64 array of shape ``images.shape[1:]``, in the images' units; only
        labels that occur are keys.

    Raises
    ------
    MetricsError
        If the shapes do not fit or a label is not 0 or 1.
    """
    x, y = _check(images, labels)
    return {int(label): x[y == label].mean(axis=0, dtype=np.float64) for label in np.unique(y)}


def mean_log_spectrum(images: np.ndarray, labels: Any) -> dict[int, np.ndarray]:
    """The mean log-power spectrum of each class present, zero frequency in the centre.

    Each image is turned to grey (:data:`LUMA`; uint8 pixels are first scaled to 0-1),
    transformed with a 2-D FFT, shifted with ``fftshift`` so the zero frequency sits at
    ``(h // 2, w // 2)`` and the Nyquist frequency at row and column 0, and its power
    ``|F|^2`` taken as ``log(1 + power)``; the logs are then averaged over the class.
    ``log1p`` keeps a frequency with no energy at exactly 0.

    Parameters
    ----------
    images : ndarray, shape (n, h, w, 3) or (n, h, w)
    labels : array-like of int, shape (n,)
        1 real, 0 fake.

    Returns
    -------
    dict
        label -> float64 array of shape (h, w).

    Raises
    ------
    MetricsError
        If the shapes do not fit or a label is not 0 or 1.
    """
    import scipy.fft  # threaded FFTs: the Data page's 128 px spectra took over a second with numpy's

    x, y = _check(images, labels)
    grey = _grey(x)
    out = {}
    for label in np.unique(y):
        spectrum = scipy.fft.fft2(grey[y == label], workers=-1)
        power = np.abs(np.fft.fftshift(spectrum, axes=(-2, -1))) ** 2
        out[int(label)] = np.log1p(power).mean(axis=0)
    return out


def to_uint8(image: np.ndarray, *, stretch: bool = False) -> np.ndarray:
    """An array ready for display: rounded and clipped to 0-255, or stretched to fill that range.

    ``stretch=True`` maps the minimum to 0 and the maximum to 255 (for a spectrum); a
    constant array then becomes all 0.
    """
    values = np.asarray(image, dtype=np.float64)
    if stretch:
        span = values.max() - values.min()
        values = (values - values.min()) * (255 / span) if span > 0 else np.zeros_like(values)
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def file_summary(info: pd.DataFrame) -> pd.DataFrame:
    """Images per (width x height, format, colour mode) as found on disk, most common first.

    Parameters
    ----------
    info : DataFrame with columns ``width``, ``height``, ``format``, ``mode``, ``bytes``
        As :attr:`core.data.faceset.FaceSet.info` of a decoded set.

    Returns
    -------
    DataFrame with columns ``size``, ``format``, ``mode``, ``images``, ``mean_kb``.
    """
    columns = ["size", "format", "mode", "images", "mean_kb"]
    if len(info) == 0:
        return pd.DataFrame(columns=columns)
    frame = info.assign(size=info["width"].astype(str) + "x" + info["height"].astype(str))
    grouped = frame.groupby(["size", "format", "mode"], sort=False)
    summary = grouped.agg(images=("bytes", "size"), mean_kb=("bytes", "mean")).reset_index()
    summary["mean_kb"] = summary["mean_kb"] / 1024
    return summary.sort_values(["images", "size"], ascending=[False, True], ignore_index=True)[columns]


def source_summary(labels: Any, sources: Any, info: pd.DataFrame) -> pd.DataFrame:
    """Per source: its real and fake images and the sizes its files have on disk.

    Sources differ in size, framing and JPEG history; a model can learn to tell them apart
    instead of real from fake, so these are worth seeing before training on several.

    Returns
    -------
    DataFrame with columns ``source``, ``real``, ``fake``, ``images``, ``most_common_size``,
    ``sizes`` (how many distinct width x height), ``mean_kb``; one row per source, largest first.

    Examples
    --------
    >>> info = pd.DataFrame({"width": [300, 300, 150], "height": [300, 300, 150], "bytes": [2048] * 3})
    >>> summary = source_summary([1, 0, 1], ["hard", "hard", "lfw"], info)
    >>> summary[["source", "real", "fake", "most_common_size"]]
      source  real  fake most_common_size
    0   hard     1     1          300x300
    1    lfw     1     0          150x150
    """
    frame = pd.DataFrame(
        {
            "source": np.asarray(sources, dtype=object),
            "label": np.asarray(labels),
            "size": info["width"].astype(str).to_numpy() + "x" + info["height"].astype(str).to_numpy(),
            "bytes": info["bytes"].to_numpy(),
        }
    )
    rows = []
    for name, part in frame.groupby("source", sort=False):
        rows.append(
            {
                "source": name,
                "real": int((part["label"] == 1).sum()),
                "fake": int((part["label"] == 0).sum()),
                "images": len(part),
                "most_common_size": part["size"].value_counts().index[0],
                "sizes": int(part["size"].nunique()),
                "mean_kb": float(part["bytes"].mean() / 1024),
            }
        )
    return pd.DataFrame(rows).sort_values(["images", "source"], ascending=[False, True], ignore_index=True)


def pick_positions(
    labels: Any,
    *,
    groups: pd.Series | None = None,
    label: int | None = None,
    group: str | None = None,
    n: int = 24,
    seed: int = 0,
) -> np.ndarray:
    """Positions of up to ``n`` images drawn at random (seeded) among those matching the filters.

    Parameters
    ----------
    labels : array-like of int, shape (N,)
    groups : Series, length N, optional
        One group value per image; needed when ``group`` is given.
    label : int, optional
        Keep only this class (1 real, 0 fake).
    group : str, optional
        Keep only images whose group value is this.
    n : int, default 24
    seed : int, default 0
        The same inputs and seed give the same positions.

    Returns
    -------
    ndarray of int, sorted ascending; all matches when there are ``n`` or fewer.
    """
    y = check_labels(labels)
    keep = np.ones(len(y), dtype=bool)
    if label is not None:
        keep &= y == label
    if group is not None and groups is not None:
        keep &= groups.astype(str).to_numpy() == str(group)
    matches = np.flatnonzero(keep)
    if len(matches) <= n:
        return matches
    return np.sort(np.random.default_rng(seed).choice(matches, size=n, replace=False))


def images_in_cell(labels: Any, scores: Any, *, threshold: float, actual: int, called: int) -> np.ndarray:
    """Positions of the images in one confusion-matrix cell, the most confident call first.

    An image is called real when its score is above ``threshold`` (:mod:`core.labels`).
    Images called real are ordered by score, highest first; images called fake by score,
    lowest first; so in a mistake cell the most confident mistakes lead. Ties keep the
    images' order.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
    scores : array-like of float, shape (n,)
        P(real), in [0, 1].
    threshold : float
    actual, called : {0, 1}
        The cell: the images' true class and the call.

    Raises
    ------
    MetricsError
        If labels, scores or threshold are invalid.
    """
    y, s = check_labels_scores(labels, scores)
    threshold = check_threshold(threshold)
    members = np.flatnonzero((y == actual) & ((s > threshold) == (called == REAL)))
    key = -s[members] if called == REAL else s[members]
    return members[np.argsort(key, kind="stable")]


def _check(images: np.ndarray, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(images)
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] != 3):
        raise MetricsError(IMAGES_SHAPE.format(shape=x.shape))
    y = check_labels(labels)
    if len(y) != len(x):
        raise MetricsError(LABELS_LENGTH.format(n_labels=len(y), n_images=len(x)))
    return x, y


def _grey(x: np.ndarray) -> np.ndarray:
    if x.ndim == 3:
        return x.astype(np.float64) / 255 if x.dtype == np.uint8 else x.astype(np.float64)
    weights = LUMA / 255 if x.dtype == np.uint8 else LUMA
    # tensordot, not ``values @ LUMA``: a 4-D matmul by a vector is several times slower here.
    return np.tensordot(x, weights, axes=([-1], [0]))
