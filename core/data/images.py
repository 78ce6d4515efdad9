"""Decode one image file, safely, into a square RGB array.

Every image that enters Unmask, from a data set or from the "try an image" box, goes
through :func:`decode_with_info`, so training and prediction see the same pixels.

What the decoder does, in order:

1. Refuse empty files, formats outside :data:`ALLOWED_FORMATS` (so no other decoder, such
   as Ghostscript for an EPS file named .jpg, or the full PNG inside an ICO whose header
   claims 256x256, ever runs), and images over :data:`MAX_PIXELS` (checked from the
   header, before any pixel is decoded, so a 20000x20000 "decompression bomb" costs
   nothing) or under :data:`MIN_SIDE` pixels a side. The allowed formats' headers state
   the size that is decoded.
2. Take the first frame of an animated GIF or WebP (``Image.open`` starts there).
3. Ask the JPEG decoder for a reduced-size decode (``Image.draft``) when the target is
   much smaller: DCT scaling is several times faster than decoding 300x300 and resizing.
4. Apply the EXIF orientation tag, so a phone photo comes out upright.
5. Convert to RGB: 16-bit grey (``I;16``, ``I``) is *scaled* to 0-255 (divided by 257),
   never clipped; anything with transparency (RGBA, LA, palette with a transparent colour)
   is composited onto white, because the colour under fully transparent pixels is
   arbitrary and often black; CMYK, palette, grey and 1-bit go through Pillow's converter.
   Embedded ICC colour profiles are not applied.
6. Centre-crop to a square and resize that square to ``size x size`` with Lanczos
   filtering. The face sets are square already, so the crop only matters for uploads,
   where it keeps faces undistorted instead of squashing them.

:func:`decode_native` does steps 1, 2, 4 and 5 and then, instead of step 6, keeps the image
at its own size and shape: a detector of pixel-level generation traces must see the pixels
as they are. With ``max_side``, an image with a side over it is reduced once by the
smallest integer factor k that brings it within (each output pixel the mean of a whole
k x k block, ``Image.reduce``; a last partial row or column of blocks is dropped), the one
re-scaling that keeps the pixel grid aligned; :func:`decode_native_with_info` also returns
the factor, so a caller can record it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from core.errors import (
    DECODE_FORM,
    IMAGE_CORRUPT,
    IMAGE_EMPTY,
    IMAGE_NOT_AN_IMAGE,
    IMAGE_TOO_LARGE,
    IMAGE_TOO_SMALL,
    IMAGE_TRUNCATED,
    IMAGE_UNREADABLE,
    IMAGE_UNSUPPORTED_MODE,
    IMAGE_UPLOAD_TOO_BIG,
    OUT_OF_RANGE,
    ConfigError,
    ImageError,
    UploadError,
)

#: Bump when decoding changes in any way that alters pixels or what is read: it is part of the cache key.
DECODER_VERSION = 2
#: The only formats Pillow may open (its plugin names). HEIC or AVIF would be added here on
#: purpose, with tests; every other plugin Pillow knows (EPS, ICO, PSD, ...) is never tried.
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
#: Largest image accepted, in pixels (40 megapixels), checked before decoding.
MAX_PIXELS = 40_000_000
#: Smallest side accepted, in pixels.
MIN_SIDE = 8
#: Largest output side that :func:`decode_image` produces.
MAX_SIZE = 1024
#: Largest file accepted by :func:`decode_upload`, in megabytes.
MAX_UPLOAD_IMAGE_MB = 20
#: File name endings read as images (lower case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")

Source = str | os.PathLike[str] | bytes

_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_UPLOAD_NAME = "The uploaded image"
# What Pillow's decoders raise on malformed input besides OSError (varies by plugin).
_DECODER_FAILURES = (ValueError, SyntaxError, EOFError, IndexError, TypeError, struct.error)


@dataclass(frozen=True)
class ImageInfo:
    """An image file as found on disk (before orientation or resizing)."""

    width: int
    height: int
    format: str
    mode: str
    bytes: int


def read_image_info(source: Source, *, name: str | None = None) -> ImageInfo:
    """Read an image's size, format and colour mode from its header only.

    Parameters
    ----------
    source : path or bytes
        The image file, or its content.
    name : str, optional
        What to call it in error messages; defaults to the file name.

    Returns
    -------
    ImageInfo

    Raises
    ------
    ImageError
        If the file is empty, missing, not an image, too large or too small.
    """
    name = name or _default_name(source)
    with _open(source, name) as image:
        return _info(image, source)


def decode_image(source: Source, *, size: int, name: str | None = None) -> np.ndarray:
    """Decode one image into RGB pixels of shape ``(size, size, 3)``, dtype uint8.

    See the module docstring for the exact steps (orientation, colour conversion,
    centre crop, Lanczos resize).

    Parameters
    ----------
    source : path or bytes
        The image file, or its content.
    size : int
        Side of the square output, between :data:`MIN_SIDE` and :data:`MAX_SIZE`.
    name : str, optional
        What to call it in error messages; defaults to the file name.

    Raises
    ------
    ImageError
        If the image cannot be used; the message says why in words.
    ConfigError
        If ``size`` is out of range.
    """
    return decode_with_info(source, size=size, name=name)[0]


def decode_with_info(source: Source, *, size: int, name: str | None = None) -> tuple[np.ndarray, ImageInfo]:
    """Like :func:`decode_image`, and also return the :class:`ImageInfo` read on the way."""
    _check_size(size)
    return _decode(source, name=name, draft=size, finish=lambda rgb: _square(rgb, size))


def square(pixels: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop RGB ``pixels`` (h, w, 3) to a square and resize it to ``size`` with Lanczos.

    Step 6 of the module docstring, for pixels already decoded by :func:`decode_native`:
    ``square(decode_native(f), s)`` equals ``decode_image(f, size=s)`` except for JPEG files,
    which :func:`decode_image` decodes at a reduced size first when ``s`` is much smaller.

    Raises
    ------
    ConfigError
        If ``size`` is out of range.
    """
    _check_size(size)
    return _square(Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="RGB"), size)


def native_factor(width: int, height: int, *, max_side: int) -> int:
    """The smallest integer ``k`` with ``max(width, height) / k <= max_side`` (1 when it fits).

    Examples
    --------
    >>> native_factor(300, 300, max_side=512), native_factor(768, 704, max_side=512)
    (1, 2)
    >>> native_factor(2444, 1718, max_side=512)
    5
    """
    return max(1, -(-max(width, height) // max_side))


def decode_native(source: Source, *, name: str | None = None, max_side: int | None = None) -> np.ndarray:
    """Decode one image at its own size: upright RGB pixels of shape ``(height, width, 3)``, uint8.

    The same checks and colour handling as :func:`decode_image` (steps 1, 2, 4 and 5 of the
    module docstring), with no reduced-size decode, crop or resize: for changing an image
    before it is scored (see :mod:`core.evaluation.probes`), then :func:`square` it as
    :func:`decode_image` would have, or for a model that scores native-resolution patches.
    With ``max_side``, a larger image is reduced once by an integer factor (see
    :func:`decode_native_with_info`).

    Raises
    ------
    ImageError
        If the image cannot be used; the message says why in words.
    ConfigError
        If ``max_side`` is out of range.
    """
    if max_side is not None:
        return decode_native_with_info(source, max_side=max_side, name=name)[0]
    pixels, _ = _decode(source, name=name, draft=None, finish=lambda rgb: np.asarray(rgb, dtype=np.uint8))
    return pixels.reshape(pixels.shape[0], pixels.shape[1], 3)


def decode_native_with_info(
    source: Source, *, max_side: int, name: str | None = None
) -> tuple[np.ndarray, ImageInfo, int]:
    """Decode one image at its own size, reduced by an integer factor when a side is over ``max_side``.

    Steps 1, 2, 4 and 5 of the module docstring, then a reduction by :func:`native_factor`
    (box filter over whole k x k blocks, so the pixel grid stays aligned).

    Parameters
    ----------
    source : path or bytes
        The image file, or its content.
    max_side : int
        Largest side kept, between :data:`MIN_SIDE` and :data:`MAX_SIZE`.
    name : str, optional
        What to call it in error messages; defaults to the file name.

    Returns
    -------
    pixels : ndarray of uint8, shape (h, w, 3)
    info : ImageInfo
        The file as found on disk (before orientation or reduction).
    factor : int
        The integer reduction applied (1: none).

    Raises
    ------
    ImageError
        If the image cannot be used; the message says why in words.
    ConfigError
        If ``max_side`` is out of range.
    """
    if not MIN_SIDE <= max_side <= MAX_SIZE:
        raise ConfigError(OUT_OF_RANGE.format(name="max_side", low=MIN_SIDE, high=MAX_SIZE, value=max_side))
    found: list[int] = []

    def reduce(rgb: Image.Image) -> np.ndarray:
        reduced, factor = _reduce(rgb, max_side)
        found.append(factor)
        return np.asarray(reduced, dtype=np.uint8).reshape(reduced.size[1], reduced.size[0], 3)

    pixels, info = _decode(source, name=name, draft=None, finish=reduce)
    return pixels, info, found[0]


def reduce_native(pixels: np.ndarray, *, max_side: int) -> np.ndarray:
    """RGB ``pixels`` (h, w, 3) reduced as :func:`decode_native_with_info` reduces a file's.

    The same integer factor (:func:`native_factor`) over whole blocks; pixels that fit are
    returned as they are.

    Examples
    --------
    >>> x = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    >>> reduce_native(x, max_side=5) is x, reduce_native(x, max_side=3).shape
    (True, (2, 2, 3))
    """
    if native_factor(pixels.shape[1], pixels.shape[0], max_side=max_side) == 1:
        return pixels
    reduced, _ = _reduce(Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="RGB"), max_side)
    return np.asarray(reduced, dtype=np.uint8).reshape(reduced.size[1], reduced.size[0], 3)


def _reduce(rgb: Image.Image, max_side: int) -> tuple[Image.Image, int]:
    """Reduce by :func:`native_factor` over whole k x k blocks (a last partial row or column is dropped)."""
    factor = native_factor(*rgb.size, max_side=max_side)
    if factor == 1:
        return rgb, 1
    width, height = rgb.size
    return rgb.reduce(factor, box=(0, 0, width - width % factor, height - height % factor)), factor


def decode_upload(data: bytes, *, size: int | None = None, native_max_side: int | None = None) -> np.ndarray:
    """Decode an image a user uploaded ("try an image"), refusing files over the size limit.

    Parameters
    ----------
    data : bytes
        The uploaded file's content.
    size : int, optional
        Side of the square output.
    native_max_side : int, optional
        Instead of ``size``: keep the image's own size, as :func:`decode_native` does.

    Returns
    -------
    ndarray of uint8, shape (size, size, 3), or (h, w, 3) at native resolution

    Raises
    ------
    UploadError
        If the file is over :data:`MAX_UPLOAD_IMAGE_MB`.
    ImageError
        If it is not a usable image.
    """
    if len(data) > MAX_UPLOAD_IMAGE_MB * 1024 * 1024:
        raise UploadError(
            IMAGE_UPLOAD_TOO_BIG.format(size_mb=len(data) / 2**20, limit_mb=MAX_UPLOAD_IMAGE_MB)
        )
    if (size is None) == (native_max_side is None):
        raise ConfigError(DECODE_FORM.format(image_size=size, native_max_side=native_max_side))
    if native_max_side is not None:
        return decode_native(data, max_side=native_max_side, name=_UPLOAD_NAME)
    return decode_image(data, size=size, name=_UPLOAD_NAME)


def _check_size(size: int) -> None:
    if not MIN_SIDE <= size <= MAX_SIZE:
        raise ConfigError(OUT_OF_RANGE.format(name="size", low=MIN_SIDE, high=MAX_SIZE, value=size))


def _decode(
    source: Source, *, name: str | None, draft: int | None, finish: Callable[[Image.Image], np.ndarray]
) -> tuple[np.ndarray, ImageInfo]:
    """Open, check, decode (a JPEG at a reduced size near ``draft`` when given), orient, make RGB,
    then ``finish`` the RGB image into pixels while the file is still open."""
    name = name or _default_name(source)
    with _open(source, name) as image:
        info = _info(image, source)
        try:
            if draft is not None and image.format == "JPEG":
                image.draft("RGB", (draft, draft))
            # A truncated file is an error here, whatever another library set process-wide
            # (WeasyPrint, imported for the PDF report, turns Pillow's LOAD_TRUNCATED_IMAGES on).
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            image.load()
        except (OSError, *_DECODER_FAILURES) as error:
            raise _failure(name, error) from error
        return finish(_to_rgb(_upright(image), name)), info


def is_image_name(name: str) -> bool:
    """Whether a file name ends in one of :data:`IMAGE_EXTENSIONS` (any case)."""
    return name.lower().endswith(IMAGE_EXTENSIONS)


def _default_name(source: Source) -> str:
    return _UPLOAD_NAME if isinstance(source, bytes) else Path(source).name


def _n_bytes(source: Source) -> int:
    return len(source) if isinstance(source, bytes) else os.stat(source).st_size


def _open(source: Source, name: str) -> Image.Image:
    """Open the header, refusing empty, non-image, too large and too small files."""
    try:
        if _n_bytes(source) == 0:
            raise ImageError(IMAGE_EMPTY.format(name=name))
        file = io.BytesIO(source) if isinstance(source, bytes) else source
        image = Image.open(file, formats=ALLOWED_FORMATS)
    except Image.DecompressionBombError as error:
        # Pillow refuses before we see the size; its message carries the pixel count.
        found = re.search(r"\((\d+) pixels\)", str(error))
        raise _too_large(name, int(found.group(1)) if found else 2 * Image.MAX_IMAGE_PIXELS) from error
    except UnidentifiedImageError as error:
        raise ImageError(IMAGE_NOT_AN_IMAGE.format(name=name)) from error
    except (OSError, *_DECODER_FAILURES) as error:
        raise _failure(name, error) from error
    width, height = image.size
    if width * height > MAX_PIXELS:
        image.close()
        raise _too_large(name, width * height)
    if min(width, height) < MIN_SIDE:
        image.close()
        raise ImageError(IMAGE_TOO_SMALL.format(name=name, width=width, height=height, minimum=MIN_SIDE))
    return image


def _failure(name: str, error: Exception) -> ImageError:
    """Say why Pillow or the file system failed, in words."""
    if isinstance(error, OSError) and error.errno is not None:  # from the file system
        return ImageError(IMAGE_UNREADABLE.format(name=name, reason=error.strerror))
    if "truncated" in str(error).lower():
        return ImageError(IMAGE_TRUNCATED.format(name=name))
    return ImageError(IMAGE_CORRUPT.format(name=name, reason=error))


def _too_large(name: str, pixels: int) -> ImageError:
    return ImageError(
        IMAGE_TOO_LARGE.format(name=name, megapixels=pixels / 1e6, limit_mp=MAX_PIXELS // 10**6)
    )


def _info(image: Image.Image, source: Source) -> ImageInfo:
    width, height = image.size
    return ImageInfo(width, height, image.format or "", image.mode, _n_bytes(source))


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation; a malformed EXIF block leaves the image as stored."""
    with contextlib.suppress(ValueError, TypeError, KeyError, OSError, SyntaxError):
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _to_rgb(image: Image.Image, name: str) -> Image.Image:
    mode = image.mode
    transparent = mode in _ALPHA_MODES or "transparency" in image.info
    if mode == "RGB" and not transparent:
        return image
    if mode in _SIXTEEN_BIT_MODES:
        # Scale the full 16-bit range onto 0-255; convert("L") would clip at 255.
        grey = np.clip(np.asarray(image, dtype=np.float64), 0, 65535) / 257.0
        return Image.fromarray(np.round(grey).astype(np.uint8), mode="L").convert("RGB")
    try:
        if transparent:
            rgba = image.convert("RGBA")
            white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return Image.alpha_composite(white, rgba).convert("RGB")
        return image.convert("RGB")
    except ValueError as error:
        raise ImageError(IMAGE_UNSUPPORTED_MODE.format(name=name, mode=mode)) from error


def _square(image: Image.Image, size: int) -> np.ndarray:
    """Centre-crop to a square, then resize to ``size`` with Lanczos, as one Pillow call."""
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    resized = image.resize((size, size), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side))
    return np.asarray(resized, dtype=np.uint8).reshape(size, size, 3)
