"""Native-resolution decoding: one image (core.data.images), a folder, and the cache of ragged sets."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data.cache import NATIVE_FACTOR, cache_dir, read_cache
from core.data.datasets import decoded_form, load
from core.data.images import decode_native_with_info, decode_upload, native_factor
from core.errors import DECODE_FORM, OUT_OF_RANGE, ConfigError


def _png(path: Path, size: tuple[int, int], seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


@pytest.mark.parametrize(
    ("width", "height", "max_side", "factor"),
    [(300, 300, 512, 1), (512, 100, 512, 1), (513, 100, 512, 2), (768, 704, 512, 2), (2444, 1718, 512, 5)],
)
def test_native_factor_is_the_smallest_integer_that_fits(width, height, max_side, factor):
    assert native_factor(width, height, max_side=max_side) == factor
    assert max(width, height) / factor <= max_side < max(width, height) / max(factor - 1, 0.5)


def test_decode_native_keeps_size_and_pixels(tmp_path):
    path = _png(tmp_path / "a.png", (30, 20))
    pixels, info, factor = decode_native_with_info(path, max_side=64)
    assert (pixels.shape, factor, info.width, info.height) == ((20, 30, 3), 1, 30, 20)
    np.testing.assert_array_equal(pixels, np.asarray(Image.open(path)))


def test_decode_native_reduces_large_images_by_an_integer_factor_block_means(tmp_path):
    path = _png(tmp_path / "big.png", (21, 13))
    pixels, _, factor = decode_native_with_info(path, max_side=10)
    assert factor == 3 and pixels.shape == (4, 7, 3)  # 13 // 3 whole blocks down, 21 // 3 across
    original = np.asarray(Image.open(path)).astype(float)
    for y, x in ((0, 0), (3, 6)):
        block = original[3 * y : 3 * y + 3, 3 * x : 3 * x + 3].reshape(-1, 3).mean(axis=0)
        np.testing.assert_allclose(pixels[y, x], block, atol=1)  # each output pixel is a 3x3 block's mean


def test_decode_native_max_side_out_of_range():
    expected = OUT_OF_RANGE.format(name="max_side", low=8, high=1024, value=4)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        decode_native_with_info(b"x", max_side=4)


def test_decode_upload_native_keeps_the_uploads_shape():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 24), (10, 20, 30)).save(buffer, "PNG")
    assert decode_upload(buffer.getvalue(), native_max_side=512).shape == (24, 40, 3)
    assert decode_upload(buffer.getvalue(), size=16).shape == (16, 16, 3)
    with pytest.raises(
        ConfigError, match=re.escape(DECODE_FORM.format(image_size=None, native_max_side=None))
    ):
        decode_upload(buffer.getvalue())


@pytest.mark.parametrize(("image_size", "native_max_side"), [(None, None), (64, 512)])
def test_decoded_form_needs_exactly_one(image_size, native_max_side):
    expected = DECODE_FORM.format(image_size=image_size, native_max_side=native_max_side)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        decoded_form(image_size=image_size, native_max_side=native_max_side)


def test_load_native_keeps_each_size_records_factors_and_caches(tmp_path):
    root = tmp_path / "faces"
    _png(root / "real" / "a.png", (30, 20), 1)
    _png(root / "fake" / "b.png", (60, 17), 2)
    faces = load(root, native_max_side=32)
    assert faces.is_native and faces.native_max_side == 32 and faces.image_size == 0
    shapes = {p: image.shape for p, image in zip(faces.paths, faces.images, strict=True)}
    assert shapes == {"real/a.png": (20, 30, 3), "fake/b.png": (8, 30, 3)}
    assert dict(zip(faces.paths, faces.info[NATIVE_FACTOR], strict=True)) == {
        "real/a.png": 1,
        "fake/b.png": 2,
    }
    again = load(root, native_max_side=32)  # from the cache: the same ragged pixels
    for first, second in zip(faces.images, again.images, strict=True):
        np.testing.assert_array_equal(first, second)
    assert list(again.info[NATIVE_FACTOR]) == list(faces.info[NATIVE_FACTOR])
    squares = load(root, image_size=8)  # another form: its own cache entry
    assert squares.images.shape == (2, 8, 8, 3) and not squares.is_native


def test_read_cache_ragged_entry_with_wrong_sizes_is_rejected(tmp_path):
    root = tmp_path / "faces"
    _png(root / "real" / "a.png", (12, 10))
    load(root, native_max_side=64)
    (meta,) = cache_dir().glob("*.json")
    text = meta.read_text().replace('"shapes": [[10, 12, 3]]', '"shapes": [[11, 12, 3]]')
    meta.write_text(text)
    assert read_cache(meta.stem, ["real/a.png"]) is None  # damaged: deleted, decoded again next time
    assert not meta.exists()
