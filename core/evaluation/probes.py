"""Changes made to an image before it is scored, to see what a model's calls depend on.

Every transform is a pure function of RGB pixels at the image's own size, ``(h, w, 3)`` uint8,
to new pixels (uint8, the same size unless cropping or padding changes it). They run on the
decoded original file (:func:`core.data.images.decode_native`), and their output goes to the
run's normal scoring path (:func:`core.pipeline.score_images`), so they mean the same for
every model preset, including one that scores native-resolution patches.

Two families, listed in :data:`PROBES`:

- **re-framing** moves the face within the picture and keeps its pixels: crop to the top-left,
  centre or bottom-right 80% or 60% of each side, shift the content by 10% or 20% of each side
  (down and to the right), or pad 10% of each side around it. A detector of *how an image was
  made* should call these the same as the original; one that learned *where the face sits*
  (StyleGAN faces are aligned the same way every time) does not.
- **degradations** keep the framing and damage the pixels: JPEG at quality 90, 70 and 50,
  down-scaling to half size and back, Gaussian blur with sigma 1 pixel, Gaussian noise with
  sigma 5 (of 255), and a mirror image (horizontal flip).

Areas a shift or pad uncovers are filled with the image's mean colour, so no new colour or
hard black edge is added.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

import numpy as np
from PIL import Image

from core.errors import OUT_OF_RANGE, UNKNOWN_PROBE, ConfigError

Anchor = Literal["top-left", "centre", "bottom-right"]
Family = Literal["re-framing", "degradation"]
Transform = Callable[[np.ndarray], np.ndarray]

#: Seed of the noise probe, so two runs of the probes add the same noise.
NOISE_SEED = 0


def crop(pixels: np.ndarray, *, fraction: float, anchor: Anchor) -> np.ndarray:
    """Keep ``fraction`` of each side, at the top-left, centre or bottom-right of the picture.

    Sides are rounded to whole pixels; the centre crop puts any odd pixel on the bottom-right.

    Examples
    --------
    >>> x = np.arange(25, dtype=np.uint8).reshape(5, 5, 1).repeat(3, axis=2)
    >>> crop(x, fraction=0.6, anchor="top-left")[..., 0].tolist()
    [[0, 1, 2], [5, 6, 7], [10, 11, 12]]
    >>> crop(x, fraction=0.6, anchor="bottom-right")[..., 0].tolist()
    [[12, 13, 14], [17, 18, 19], [22, 23, 24]]
    """
    _check_fraction("fraction", fraction, low=0.0, high=1.0)
    height, width = pixels.shape[:2]
    h, w = max(1, round(height * fraction)), max(1, round(width * fraction))
    top, left = {"top-left": (0, 0), "centre": ((height - h) // 2, (width - w) // 2)}.get(
        anchor, (height - h, width - w)
    )
    return pixels[top : top + h, left : left + w].copy()


def shift(pixels: np.ndarray, *, fraction: float) -> np.ndarray:
    """Move the content down and to the right by ``fraction`` of each side; same size.

    What leaves the frame is lost; the strip it uncovers takes the image's mean colour.

    Examples
    --------
    >>> x = np.full((4, 4, 3), 8, dtype=np.uint8); x[0, 0] = 200
    >>> shift(x, fraction=0.25)[..., 0].tolist()
    [[20, 20, 20, 20], [20, 200, 8, 8], [20, 8, 8, 8], [20, 8, 8, 8]]
    """
    _check_fraction("fraction", fraction, low=0.0, high=1.0)
    height, width = pixels.shape[:2]
    dy, dx = round(height * fraction), round(width * fraction)
    out = np.empty_like(pixels)
    out[...] = _mean_colour(pixels)
    out[dy:, dx:] = pixels[: height - dy, : width - dx]
    return out


def pad(pixels: np.ndarray, *, fraction: float) -> np.ndarray:
    """Add a border of ``fraction`` of each side all round, in the image's mean colour.

    The picture grows by ``2 * fraction``; scoring shrinks it back, so the face gets smaller.

    Examples
    --------
    >>> x = np.zeros((2, 2, 3), dtype=np.uint8); x[:, 1] = 200
    >>> pad(x, fraction=0.5)[..., 0].tolist()
    [[100, 100, 100, 100], [100, 0, 200, 100], [100, 0, 200, 100], [100, 100, 100, 100]]
    """
    _check_fraction("fraction", fraction, low=0.0, high=1.0)
    height, width = pixels.shape[:2]
    dy, dx = round(height * fraction), round(width * fraction)
    out = np.empty((height + 2 * dy, width + 2 * dx, 3), dtype=np.uint8)
    out[...] = _mean_colour(pixels)
    out[dy : dy + height, dx : dx + width] = pixels
    return out


def jpeg(pixels: np.ndarray, *, quality: int) -> np.ndarray:
    """Save as a JPEG at ``quality`` (1-95, Pillow's default 4:2:0 chroma subsampling) and decode it."""
    if not 1 <= quality <= 95:
        raise ConfigError(OUT_OF_RANGE.format(name="JPEG quality", low=1, high=95, value=quality))
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def rescale(pixels: np.ndarray, *, factor: float) -> np.ndarray:
    """Resize by ``factor`` (bicubic), then back to the original size (bicubic): detail is lost.

    Examples
    --------
    >>> x = np.full((6, 6, 3), 77, dtype=np.uint8)
    >>> bool((rescale(x, factor=0.5) == 77).all())
    True
    """
    _check_fraction("factor", factor, low=0.0, high=1.0)
    height, width = pixels.shape[:2]
    small = (max(1, round(width * factor)), max(1, round(height * factor)))
    image = Image.fromarray(pixels, mode="RGB").resize(small, Image.Resampling.BICUBIC)
    return np.asarray(image.resize((width, height), Image.Resampling.BICUBIC), dtype=np.uint8)


def blur(pixels: np.ndarray, *, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels (scipy.ndimage, edges mirrored).

    Examples
    --------
    >>> x = np.zeros((9, 9, 3), dtype=np.uint8); x[4, 4] = 255
    >>> y = blur(x, sigma=1.0)
    >>> int(y[4, 4, 0]), int(y[4, 5, 0]), int(y[0, 0, 0])
    (41, 25, 0)
    """
    from scipy.ndimage import gaussian_filter

    blurred = gaussian_filter(pixels.astype(np.float64), sigma=(sigma, sigma, 0), mode="reflect")
    return np.clip(np.round(blurred), 0, 255).astype(np.uint8)


def noise(pixels: np.ndarray, *, sigma: float, seed: int = NOISE_SEED) -> np.ndarray:
    """Add Gaussian noise with standard deviation ``sigma`` (0-255 scale), seeded, clipped to 0-255."""
    rng = np.random.default_rng(seed)
    noisy = pixels.astype(np.float64) + rng.normal(0.0, sigma, size=pixels.shape)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def mirror(pixels: np.ndarray) -> np.ndarray:
    """The mirror image: left and right swapped (a horizontal flip).

    Examples
    --------
    >>> x = np.arange(3, dtype=np.uint8).reshape(1, 3, 1).repeat(3, axis=2)
    >>> mirror(x)[..., 0].tolist()
    [[2, 1, 0]]
    """
    return pixels[:, ::-1].copy()


@dataclass(frozen=True)
class Probe:
    """One change to make to every image: a short key, the words shown, its family and the transform."""

    key: str
    label: str
    family: Family
    transform: Transform


def _reframing() -> list[Probe]:
    probes = []
    for fraction in (0.8, 0.6):
        for anchor, short in (("top-left", "tl"), ("centre", "centre"), ("bottom-right", "br")):
            probes.append(
                Probe(
                    f"crop_{short}_{round(fraction * 100)}",
                    f"crop to the {anchor} {fraction:.0%}",
                    "re-framing",
                    partial(crop, fraction=fraction, anchor=anchor),
                )
            )
    for fraction in (0.1, 0.2):
        label = f"shift by {fraction:.0%} (down and right)"
        probes.append(
            Probe(f"shift_{round(fraction * 100)}", label, "re-framing", partial(shift, fraction=fraction))
        )
    probes.append(Probe("pad_10", "pad by 10% all round", "re-framing", partial(pad, fraction=0.1)))
    return probes


def _degradations() -> list[Probe]:
    probes = [
        Probe(f"jpeg_{q}", f"JPEG quality {q}", "degradation", partial(jpeg, quality=q)) for q in (90, 70, 50)
    ]
    probes += [
        Probe("rescale_50", "down-scale ×0.5 and back", "degradation", partial(rescale, factor=0.5)),
        Probe("blur_1", "Gaussian blur σ 1", "degradation", partial(blur, sigma=1.0)),
        Probe("noise_5", "Gaussian noise σ 5", "degradation", partial(noise, sigma=5.0)),
        Probe("mirror", "horizontal flip", "degradation", mirror),
    ]
    return probes


#: Every probe, re-framing first, in the order tables show them.
PROBES: tuple[Probe, ...] = (*_reframing(), *_degradations())
PROBE_KEYS: tuple[str, ...] = tuple(p.key for p in PROBES)
#: The keys of the re-framing probes: the ones the framing warning watches.
REFRAMING_KEYS: tuple[str, ...] = tuple(p.key for p in PROBES if p.family == "re-framing")


def probes_by_key(keys: list[str] | tuple[str, ...] | None = None) -> tuple[Probe, ...]:
    """The probes named by ``keys`` (all of them by default), in :data:`PROBES` order.

    Raises
    ------
    ConfigError
        If a key is not one of :data:`PROBE_KEYS`.
    """
    if keys is None:
        return PROBES
    unknown = [k for k in keys if k not in PROBE_KEYS]
    if unknown:
        raise ConfigError(UNKNOWN_PROBE.format(probe=unknown[0], choices=", ".join(PROBE_KEYS)))
    return tuple(p for p in PROBES if p.key in keys)


def _mean_colour(pixels: np.ndarray) -> np.ndarray:
    return np.round(pixels.reshape(-1, pixels.shape[-1]).mean(axis=0)).astype(np.uint8)


def _check_fraction(name: str, value: float, *, low: float, high: float) -> None:
    if not low < value <= high:
        raise ConfigError(OUT_OF_RANGE.format(name=name, low=low, high=high, value=value))
