"""Tests for core.data.images: one file in, a square RGB array (or a clear error) out."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import EpsImagePlugin, Image, ImageFile

from core.data import images
from core.data.images import decode_image, decode_upload, decode_with_info, is_image_name, read_image_info
from core.errors import (
    IMAGE_EMPTY,
    IMAGE_NOT_AN_IMAGE,
    IMAGE_TOO_LARGE,
    IMAGE_TOO_SMALL,
    IMAGE_TRUNCATED,
    IMAGE_UNREADABLE,
    IMAGE_UPLOAD_TOO_BIG,
    OUT_OF_RANGE,
    ConfigError,
    ImageError,
    UploadError,
)

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _noise_jpeg(side: int = 64) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    return _encode(Image.fromarray(pixels), "JPEG", quality=90)


def _png_claiming(width: int, height: int) -> bytes:
    """A valid 8x8 PNG whose header is patched to claim ``width x height``: nothing is allocated."""
    data = bytearray(_encode(Image.new("L", (8, 8)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _two_halves(width: int, height: int, left: tuple, right: tuple) -> Image.Image:
    image = Image.new("RGB", (width, height), left)
    image.paste(right, (width // 2, 0, width, height))
    return image


def _message(template: str, **fields: object) -> str:
    return re.escape(template.format(**fields))


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_decode_image_jpeg_gives_uint8_square():
    array = decode_image(_noise_jpeg(64), size=32)
    assert array.shape == (32, 32, 3)
    assert array.dtype == np.uint8


def test_decode_image_path_and_bytes_agree(tmp_path):
    data = _noise_jpeg(64)
    path = _write(tmp_path, "face.jpg", data)
    np.testing.assert_array_equal(decode_image(path, size=16), decode_image(data, size=16))


def test_decode_image_same_size_keeps_pixels_exactly():
    pixels = np.random.default_rng(1).integers(0, 256, (12, 12, 3), dtype=np.uint8)
    array = decode_image(_encode(Image.fromarray(pixels), "PNG"), size=12)
    np.testing.assert_array_equal(array, pixels)


def test_decode_image_non_square_is_centre_cropped():
    image = Image.new("RGB", (30, 10), RED)
    image.paste(BLUE, (10, 0, 20, 10))
    array = decode_image(_encode(image, "PNG"), size=10)
    assert (array == BLUE).all()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("empty.jpg", b"", _message(IMAGE_EMPTY, name="empty.jpg")),
        ("truncated.jpg", _noise_jpeg(64)[:1500], _message(IMAGE_TRUNCATED, name="truncated.jpg")),
        ("random.jpg", bytes(range(256)) * 8, _message(IMAGE_NOT_AN_IMAGE, name="random.jpg")),
        ("notes.txt", b"these are not pixels\n" * 20, _message(IMAGE_NOT_AN_IMAGE, name="notes.txt")),
        (
            "dot.png",
            _encode(Image.new("RGB", (1, 1)), "PNG"),
            _message(IMAGE_TOO_SMALL, name="dot.png", width=1, height=1, minimum=images.MIN_SIDE),
        ),
        (
            "bomb.png",
            _png_claiming(20000, 20000),
            _message(IMAGE_TOO_LARGE, name="bomb.png", megapixels=400, limit_mp=40),
        ),
        (
            "big.png",
            _png_claiming(7000, 7000),
            _message(IMAGE_TOO_LARGE, name="big.png", megapixels=49, limit_mp=40),
        ),
    ],
)
def test_decode_image_bad_file_raises_with_reason(tmp_path, name, data, expected):
    path = _write(tmp_path, name, data)
    with pytest.raises(ImageError, match=expected):
        decode_image(path, size=16)


def test_decode_image_missing_file_raises_unreadable(tmp_path):
    expected = _message(IMAGE_UNREADABLE, name="gone.jpg", reason="No such file or directory")
    with pytest.raises(ImageError, match=expected):
        decode_image(tmp_path / "gone.jpg", size=16)


@pytest.mark.parametrize("size", [0, images.MIN_SIDE - 1, images.MAX_SIZE + 1])
def test_decode_image_size_out_of_range_raises(size):
    expected = _message(OUT_OF_RANGE, name="size", low=images.MIN_SIDE, high=images.MAX_SIZE, value=size)
    with pytest.raises(ConfigError, match=expected):
        decode_image(_noise_jpeg(16), size=size)


def test_decode_image_alpha_is_composited_on_white():
    rgba = Image.new("RGBA", (8, 8), (255, 0, 0, 0))  # fully transparent red
    rgba.paste((0, 0, 0, 255), (0, 0, 4, 8))  # opaque black left half
    rgba.paste((0, 0, 255, 128), (4, 0, 8, 4))  # half-transparent blue
    array = decode_image(_encode(rgba, "PNG"), size=8)
    assert tuple(array[6, 6]) == WHITE
    assert tuple(array[0, 0]) == (0, 0, 0)
    assert tuple(array[0, 6]) == (127, 127, 255)


def test_decode_image_sixteen_bit_grey_is_scaled_not_clipped():
    grey = np.array([[0, 257 * 128, 65535, 65535]] * 8, dtype=np.uint16).repeat(2, axis=1)
    data = _encode(Image.fromarray(grey), "PNG")
    assert Image.open(io.BytesIO(data)).mode in ("I;16", "I")
    array = decode_image(data, size=8)
    assert array[0, :, 0].tolist() == [0, 0, 128, 128, 255, 255, 255, 255]
    assert (array[..., 0] == array[..., 2]).all()


def test_decode_image_cmyk_jpeg_becomes_rgb():
    data = _encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)
    array = decode_image(data, size=16).astype(int)
    np.testing.assert_allclose(array[8, 8], RED, atol=8)


def test_decode_image_palette_gif_becomes_rgb():
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    array = decode_image(_encode(palette, "GIF"), size=8)
    assert (array == (0, 200, 0)).all()


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_decode_image_animated_takes_first_frame(fmt):
    frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, BLUE, (0, 255, 0))]
    data = _encode(frames[0], fmt, save_all=True, append_images=frames[1:], lossless=True, duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    assert (decode_image(data, size=16) == RED).all()


@pytest.mark.parametrize(
    ("orientation", "top", "bottom"),
    [(1, RED, BLUE), (6, RED, BLUE), (8, BLUE, RED)],
)
def test_decode_image_exif_orientation_comes_out_upright(orientation, top, bottom):
    # Stored 32x16, red left half. Tag 6 (rotate 90 clockwise to view) puts red on top,
    # tag 8 (90 counter-clockwise) puts it at the bottom; tag 1 leaves it on the left.
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = _encode(_two_halves(32, 16, RED, BLUE), "JPEG", quality=95, exif=exif)
    array = decode_image(data, size=16).astype(int)
    if orientation == 1:
        top_colour, bottom_colour = array[8, 2], array[8, 13]
    else:
        top_colour, bottom_colour = array[2, 8], array[13, 8]
    np.testing.assert_allclose(top_colour, top, atol=30)
    np.testing.assert_allclose(bottom_colour, bottom, atol=30)


def test_read_image_info_reports_file_as_stored(tmp_path):
    path = _write(tmp_path, "wide.png", _encode(Image.new("LA", (20, 10)), "PNG"))
    info = read_image_info(path)
    assert info == images.ImageInfo(width=20, height=10, format="PNG", mode="LA", bytes=path.stat().st_size)


def test_decode_with_info_returns_both():
    array, info = decode_with_info(_noise_jpeg(40), size=8)
    assert array.shape == (8, 8, 3)
    assert (info.width, info.height, info.format, info.mode) == (40, 40, "JPEG", "RGB")


def test_decode_upload_names_the_upload_in_errors():
    with pytest.raises(ImageError, match=_message(IMAGE_NOT_AN_IMAGE, name="The uploaded image")):
        decode_upload(b"hello", size=16)


def test_decode_upload_over_limit_raises(monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_IMAGE_MB", 1)
    data = b"\0" * (2 * 1024 * 1024)
    with pytest.raises(UploadError, match=_message(IMAGE_UPLOAD_TOO_BIG, size_mb=2.0, limit_mb=1)):
        decode_upload(data, size=16)


def test_decode_upload_good_image():
    assert decode_upload(_noise_jpeg(32), size=24).shape == (24, 24, 3)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.jpg", True), ("B.JPEG", True), ("c.Png", True), ("d.tif", True), ("e.txt", False), ("jpg", False)],
)
def test_is_image_name_cases(name, expected):
    assert is_image_name(name) is expected


# --- formats: an allow-list, and no decoder runs before the size is known ---------------------


def _icon(payload: bytes, *, kind: int) -> bytes:
    """An .ico (``kind`` 1) or .cur (2) file whose one entry claims 256x256 and holds ``payload``."""
    header = struct.pack("<HHH", 0, kind, 1)
    entry = struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(payload), 6 + 16)
    return header + entry + payload


@pytest.fixture(scope="module")
def huge_png() -> bytes:
    """A 13000 x 13000 one-bit PNG: 20 kB on disk, 169 megapixels once decoded."""
    return _encode(Image.new("1", (13_000, 13_000)), "PNG", optimize=False)


@pytest.fixture()
def no_decoding(monkeypatch):
    """Fail the test if any Pillow decoder starts."""

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a {self.format} decoder ran")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


SIX_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")


def test_allowed_formats_are_the_six_named_in_the_errors():
    assert images.ALLOWED_FORMATS == SIX_FORMATS


@pytest.mark.parametrize("fmt", SIX_FORMATS)
def test_decode_image_every_allowed_format_decodes(fmt):
    pixels = decode_image(_encode(Image.new("RGB", (16, 16), RED), fmt), size=8)
    assert np.abs(pixels.astype(int) - RED).max() <= 2  # JPEG and WebP are lossy


@pytest.mark.parametrize("kind", [1, 2], ids=["ico", "cur"])
@pytest.mark.parametrize("name", ["icon.ico", "photo.jpg"])
def test_icon_holding_a_huge_png_is_refused_before_decoding(huge_png, no_decoding, kind, name, tmp_path):
    path = tmp_path / name
    path.write_bytes(_icon(huge_png, kind=kind))
    expected = re.escape(IMAGE_NOT_AN_IMAGE.format(name=name))
    with pytest.raises(ImageError, match=expected):
        read_image_info(path)
    with pytest.raises(ImageError, match=expected):
        decode_image(path, size=64)


@pytest.mark.parametrize("fmt", ["PPM", "TGA", "PCX", "SGI", "DDS", "IM", "QOI", "EPS"])
def test_formats_outside_the_allow_list_are_not_images(fmt, no_decoding, tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(_encode(Image.new("RGB", (16, 16), RED), fmt))
    with pytest.raises(ImageError, match=re.escape(IMAGE_NOT_AN_IMAGE.format(name="photo.jpg"))):
        decode_image(path, size=8)


def test_eps_named_jpg_never_reaches_ghostscript(monkeypatch, tmp_path):
    def ghostscript(*args, **kwargs):
        raise AssertionError("Ghostscript was started")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript)
    monkeypatch.setattr(EpsImagePlugin, "has_ghostscript", lambda: True)
    path = tmp_path / "face.jpg"
    path.write_bytes(_encode(Image.new("RGB", (16, 16), RED), "EPS"))
    with pytest.raises(ImageError, match=re.escape(IMAGE_NOT_AN_IMAGE.format(name="The uploaded image"))):
        decode_upload(path.read_bytes(), size=8)
    with pytest.raises(ImageError, match=re.escape(IMAGE_NOT_AN_IMAGE.format(name="face.jpg"))):
        read_image_info(path)
