"""Draw a region map over its image: pure numpy and Pillow, no TensorFlow.

The maps come from :func:`core.model.explain.region_map` (a coarse grid in [0, 1] per
image); :func:`overlay` stretches one over its image and colours it, and :func:`side_by_side`
puts the image as the model saw it beside the overlay, the picture ``python -m core explain``
writes and the app shows.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from core.errors import OUT_OF_RANGE
from core.evaluation.checks import MetricsError

#: Anchors of the colour map, low to high: dark blue, teal, yellow, red ("where it looks" is hot).
_ANCHORS = np.array(
    [[0.0, 20, 30, 90], [0.35, 30, 140, 160], [0.7, 250, 220, 60], [1.0, 220, 40, 30]], dtype=np.float64
)
#: Side, in pixels, of each panel that :func:`side_by_side` draws.
PANEL = 256


def colorize(heat: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB colours (dark blue for 0 to red for 1).

    Parameters
    ----------
    heat : ndarray of float, any shape
        Values outside [0, 1] are clipped; NaN counts as 0.

    Returns
    -------
    ndarray of uint8, shape ``heat.shape + (3,)``

    Examples
    --------
    >>> colorize(np.array([0.0, 1.0])).tolist()
    [[20, 30, 90], [220, 40, 30]]
    """
    values = np.clip(np.nan_to_num(np.asarray(heat, dtype=np.float64)), 0.0, 1.0)
    channels = [np.interp(values, _ANCHORS[:, 0], _ANCHORS[:, c]) for c in (1, 2, 3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def overlay(image: np.ndarray, heat: np.ndarray, *, alpha: float = 0.45, size: int = PANEL) -> np.ndarray:
    """``image`` with ``heat`` stretched over it (bilinear) and blended in, at ``size`` x ``size``.

    Parameters
    ----------
    image : ndarray of uint8, shape (s, s, 3)
    heat : ndarray of float, shape (h, w)
        A region map in [0, 1]; any grid, it is stretched to the image.
    alpha : float, default 0.45
        Weight of the colours: 0 shows the image alone, 1 the map alone.
    size : int, default 256
        Side of the result.

    Returns
    -------
    ndarray of uint8, shape (size, size, 3)

    Raises
    ------
    MetricsError
        If ``alpha`` is outside [0, 1] or ``heat`` is not two-dimensional.
    """
    if not 0.0 <= alpha <= 1.0:
        raise MetricsError(OUT_OF_RANGE.format(name="alpha", low=0, high=1, value=alpha))
    heat = np.asarray(heat, dtype=np.float32)
    if heat.ndim != 2:
        raise MetricsError(OUT_OF_RANGE.format(name="heat map dimensions", low=2, high=2, value=heat.ndim))
    base = np.asarray(
        Image.fromarray(np.asarray(image, dtype=np.uint8)).resize((size, size), Image.Resampling.LANCZOS)
    )
    stretched = np.asarray(Image.fromarray(heat).resize((size, size), Image.Resampling.BILINEAR))
    blended = (1 - alpha) * base.astype(np.float64) + alpha * colorize(stretched).astype(np.float64)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def side_by_side(image: np.ndarray, heat: np.ndarray, *, alpha: float = 0.45) -> np.ndarray:
    """The image as the model saw it (left) beside :func:`overlay` (right), each :data:`PANEL` px.

    A non-square image (native resolution, e.g. the ``artifacts`` preset's) is shown by its
    centred square, with the map stretched over the whole image first and cut the same way,
    so each patch's colour stays over its own pixels.

    Returns
    -------
    ndarray of uint8, shape (PANEL, 2 * PANEL + 8, 3)
        A white 8 px gap between the two panels.
    """
    image = np.asarray(image, dtype=np.uint8)
    height, width = image.shape[:2]
    if height != width:
        heat = np.asarray(heat, dtype=np.float32)
        whole = np.asarray(Image.fromarray(heat).resize((width, height), Image.Resampling.BILINEAR))
        side = min(height, width)
        top, left_edge = (height - side) // 2, (width - side) // 2
        image = image[top : top + side, left_edge : left_edge + side]
        heat = whole[top : top + side, left_edge : left_edge + side]
    left = np.asarray(Image.fromarray(image).resize((PANEL, PANEL), Image.Resampling.LANCZOS))
    gap = np.full((PANEL, 8, 3), 255, dtype=np.uint8)
    return np.concatenate([left, gap, overlay(image, heat, alpha=alpha)], axis=1)


def png_bytes(picture: np.ndarray) -> bytes:
    """An RGB uint8 array as PNG file bytes."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(picture, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
