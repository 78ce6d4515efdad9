"""Draw the demo set's faces: procedural portraits, "photographed" (real) or "generated" (fake).

Real and fake images come from the same distribution of faces and differ only in how they
were made (see :mod:`core.data.demo` for the set itself):

* real: rendered at full resolution, then photographed: a slight lens blur, per-channel gain,
  signal-dependent sensor noise and an in-camera JPEG;
* fake: rendered at a quarter of the resolution, then upsampled 2x twice, as a GAN generator's
  last blocks do: each stage injects per-pixel noise (as StyleGAN does) and is a transposed
  convolution (zero insertion and a fixed, slightly uneven 4x4 kernel), which leaves faint
  checkerboards: peaks at the Nyquist frequency of the spectrum and at half of it.

Each image is seeded by (seed, label, index) alone and drawn with exact arithmetic where it
matters, so a seed gives the same bytes on any machine with the same numpy and Pillow versions.
"""

from __future__ import annotations

import io
import math
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from core.labels import REAL

SKIN_TONES: tuple[str, ...] = ("light", "medium-light", "medium", "medium-dark", "dark")
#: The final encoding, identical for both classes (4:4:4, so chroma keeps full resolution).
JPEG_SETTINGS: dict[str, int] = {"quality": 95, "subsampling": 0}
#: Fakes are drawn this many times smaller, then upsampled 2x twice.
UPSAMPLE_FACTOR = 4
_SKIN_RGB = np.array([[236, 200, 172], [218, 168, 130], [188, 132, 94], [138, 88, 58], [86, 56, 40]]) / 255
_HAIR_RGB = np.array([[28, 22, 20], [72, 46, 30], [122, 82, 48], [196, 158, 100], [150, 66, 36]]) / 255
_IRIS_RGB = np.array([[72, 46, 26], [40, 26, 16], [62, 100, 140], [72, 110, 72]]) / 255
_EYE_WHITE = np.array([0.93, 0.91, 0.88])
_LIPS = np.array([0.85, 0.58, 0.58])
# A "learned" bilinear kernel that is slightly off: the two output phases get weights 0.98 and
# 1.02 instead of 1 and 1, which is what leaves the checkerboard in real GAN output.
_UPSAMPLE = np.outer([0.23, 0.76, 0.75, 0.26], [0.26, 0.74, 0.76, 0.24])


def make_jpeg(seed: int, label: int, index: int, size: int) -> bytes:
    """One image's file; seeded by (seed, label, index) alone, so any order gives the same bytes."""
    rng = np.random.default_rng([seed, label, index])
    face = _sample_face(rng, index % len(SKIN_TONES))
    pixels = _photograph(face, size, rng) if label == REAL else _generate(face, size, rng)
    return _jpeg(pixels, **JPEG_SETTINGS)


def _jpeg(pixels: np.ndarray, *, quality: int, subsampling: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8)).save(
        out, "JPEG", quality=quality, subsampling=subsampling
    )
    return out.getvalue()


def _photograph(face: dict[str, Any], size: int, rng: np.random.Generator) -> np.ndarray:
    from scipy import ndimage  # here, not at import: 0.2 s that a page drawing no face need not pay

    img = _render(face, size)
    blur = rng.uniform(0.35, 0.8)
    img = ndimage.gaussian_filter(img, sigma=(blur, blur, 0)) * (1 + rng.normal(0, 0.02, 3))
    shot, read = rng.uniform(3e-4, 1.5e-3), rng.uniform(0.004, 0.01)
    img = img + rng.standard_normal(img.shape) * np.sqrt(shot * np.clip(img, 0, 1) + read**2)
    camera = _jpeg(img, quality=int(rng.integers(88, 97)), subsampling=2)
    return np.asarray(Image.open(io.BytesIO(camera)).convert("RGB"), dtype=np.float64) / 255


def _generate(face: dict[str, Any], size: int, rng: np.random.Generator) -> np.ndarray:
    # Like a GAN generator's last blocks: draw at a quarter size, then two upsampling stages,
    # each with noise injection. The last stage's checkerboard sits at the Nyquist frequency;
    # the one before survives a 2x downscale (the fast model's 64 px input).
    img = _render(face, size // UPSAMPLE_FACTOR)
    for _ in range(2):
        noise = rng.standard_normal(img.shape[:2])[..., None] * rng.uniform(0.0, 0.03)
        img = _upsample(img + noise * rng.uniform(0.8, 1.2, 3))
    return img


def _upsample(low: np.ndarray) -> np.ndarray:
    """Transposed convolution, stride 2: pixels on every other row and column, zeros between."""
    from scipy import ndimage

    size = 2 * low.shape[0]
    low = np.pad(low, ((1, 1), (1, 1), (0, 0)), mode="edge")
    sparse = np.zeros((2 * low.shape[0], 2 * low.shape[1], 3))
    sparse[::2, ::2] = low
    kernel = _UPSAMPLE * (4 / _UPSAMPLE.sum())
    return ndimage.convolve(sparse, kernel[:, :, None], mode="constant")[2 : 2 + size, 2 : 2 + size]


def _sample_face(rng: np.random.Generator, tone: int) -> dict[str, Any]:
    """Face parameters; real and fake images draw them the same way."""
    scale = rng.uniform(0.85, 1.08)
    return {
        "skin": _SKIN_RGB[tone] * rng.uniform(0.93, 1.07) + rng.normal(0, 0.012, 3),
        "hair": _HAIR_RGB[rng.integers(len(_HAIR_RGB))] * rng.uniform(0.8, 1.2),
        "iris": _IRIS_RGB[rng.integers(len(_IRIS_RGB))],
        "shirt": rng.uniform(0.05, 0.9, 3),
        "bg": rng.uniform(0.1, 0.9, (2, 3)),
        "bg_angle": rng.uniform(0, 2 * math.pi),
        "cx": 0.5 + rng.normal(0, 0.03),
        "cy": 0.47 + rng.normal(0, 0.03),
        "a": 0.22 * scale * rng.uniform(0.92, 1.06),
        "b": 0.29 * scale,
        "roll": rng.normal(0, 0.1),
        "yaw": rng.uniform(-0.2, 0.2),
        "hair_len": rng.uniform(0, 1),
        "hairline": rng.uniform(-0.62, -0.42),
        "eye_open": rng.uniform(0.65, 1.0),
        "mouth_w": rng.uniform(0.28, 0.42),
        "smile": rng.uniform(0, 1),
        "light": rng.uniform(-1, 1, 2) * rng.uniform(0.05, 0.25),
        "exposure": rng.uniform(0.85, 1.1),
    }


class _Grid(NamedTuple):
    """Pixel centres in head units (the head is the unit circle) and the head's radii in pixels."""

    u: np.ndarray
    v: np.ndarray
    a_px: float
    b_px: float


def _ellipse(g: _Grid, cu: float, cv: float, ru: float, rv: float) -> np.ndarray:
    """Coverage (0..1, anti-aliased over about a pixel) of an axis-aligned ellipse in head units."""
    r = np.sqrt(((g.u - cu) / ru) ** 2 + ((g.v - cv) / rv) ** 2)
    return np.clip((1.0 - r) * min(ru * g.a_px, rv * g.b_px) + 0.5, 0.0, 1.0)


def _arc(g: _Grid, cu: float, cv: float, ru: float, rv: float, shift: float) -> np.ndarray:
    """What a copy of the ellipse moved down by ``shift`` leaves uncovered: an arch (a cup if < 0)."""
    return _ellipse(g, cu, cv, ru, rv) * (1 - _ellipse(g, cu, cv + shift, ru, rv))


def _paint(img: np.ndarray, cover: np.ndarray, colour: np.ndarray | float) -> None:
    """Blend ``colour`` (RGB, or an image like ``img``) over ``img`` where ``cover`` > 0, in place."""
    rows, cols = np.flatnonzero(cover.any(axis=1)), np.flatnonzero(cover.any(axis=0))
    if rows.size:  # only the bounding box: painting is most of the drawing time
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        paint = colour[box] if np.ndim(colour) == 3 else colour
        img[box] += cover[box][..., None] * (paint - img[box])


def _render(face: dict[str, Any], size: int) -> np.ndarray:
    """The portrait as float RGB in [0, 1], shape (size, size, 3)."""
    centres = (np.arange(size) + 0.5) / size
    x, y = np.meshgrid(centres - face["cx"], centres - face["cy"])
    cos, sin = math.cos(face["roll"]), math.sin(face["roll"])
    a, b = face["a"], face["b"]
    g = _Grid((x * cos + y * sin) / a, (y * cos - x * sin) / b, a * size, b * size)
    gradient = np.clip(0.5 + x * math.cos(face["bg_angle"]) + y * math.sin(face["bg_angle"]), 0, 1)
    img = face["bg"][0] + gradient[..., None] * (face["bg"][1] - face["bg"][0])
    hair = face["hair"] * (0.9 + 0.4 * np.abs((g.u * 3.0) % 1.0 - 0.5))[..., None]
    _paint(img, _ellipse(g, 0, 0.45 * face["hair_len"] - 0.15, 1.2, 1 + 0.45 * face["hair_len"]), hair)
    _paint(img, _ellipse(g, 0, 0.95, 0.5, 0.55), face["skin"] * 0.8)
    _paint(img, _ellipse(g, 0, 2.3, 2.3, 1.0), face["shirt"])
    for side in (-1, 1):
        _paint(img, _ellipse(g, side * 0.97, 0.05, 0.14, 0.2), face["skin"] * 0.9)
    head = _ellipse(g, 0, 0, 1, 1)
    _paint(img, head, face["skin"])
    _draw_features(img, g, face)
    # The fringe: the hair's outline above a hairline that dips at the temples.
    hairline = np.clip((face["hairline"] + 0.4 * g.u**2 - g.v) * g.b_px + 0.5, 0, 1)
    _paint(img, _ellipse(g, 0, -0.08, 1.08, 1.02) * hairline, hair)
    rim = np.sqrt(np.clip(1 - g.u**2 - g.v**2, 0, 1))
    light = np.clip(1 + face["light"][0] * g.u + face["light"][1] * g.v, 0.7, 1.3)
    return np.clip(img * ((1 - 0.25 * head * (1 - rim)) * light * face["exposure"])[..., None], 0, 1)


def _draw_features(img: np.ndarray, g: _Grid, face: dict[str, Any]) -> None:
    skin, yaw, opening = face["skin"], face["yaw"], face["eye_open"]
    k = face["b"] / face["a"]  # a length in head heights, in head widths: for circles
    for side in (-1, 1):
        cu, cv = side * 0.38 + yaw, -0.08
        white = _ellipse(g, cu, cv, 0.17, 0.075 * opening)
        _paint(img, white, _EYE_WHITE)
        for radius, colour, du, dv in (
            (0.075, face["iris"], 0, 0),
            (0.032, 0.03, 0, 0),
            (0.015, 1.0, -0.02, -0.025),
        ):
            _paint(img, white * _ellipse(g, cu + 0.3 * yaw + du * k, cv + dv, radius * k, radius), colour)
        _paint(img, _arc(g, cu, cv, 0.18, 0.085 * opening, 0.025), skin * 0.35)
        _paint(img, _arc(g, cu, -0.3, 0.22, 0.07, 0.035), face["hair"] * 0.7)
        _paint(img, _ellipse(g, 1.1 * yaw + side * 0.07, 0.27, 0.04, 0.022), skin * 0.45)
    _paint(img, _ellipse(g, 1.15 * yaw + 0.05, 0.12, 0.06, 0.17), skin * 0.88)
    mouth, width, smile = 0.95 * yaw, face["mouth_w"], face["smile"]
    _paint(img, _ellipse(g, mouth, 0.52, width, 0.08), skin * _LIPS)
    _paint(img, _arc(g, mouth, 0.52 - 0.1 * smile, 0.95 * width, 0.1 * smile + 0.02, -0.02), skin * 0.3)
