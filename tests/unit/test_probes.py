"""Probe transforms: exact pixels on tiny hand-made images."""

import io
import re

import numpy as np
import pytest
from PIL import Image

from core.data.images import decode_image, decode_native, square
from core.errors import OUT_OF_RANGE, UNKNOWN_PROBE, ConfigError
from core.evaluation import probes
from core.evaluation.probes import PROBE_KEYS, PROBES, REFRAMING_KEYS, probes_by_key


def grid(height: int = 5, width: int = 5) -> np.ndarray:
    """An (h, w, 3) image whose every pixel holds its own index in all three channels."""
    values = np.arange(height * width, dtype=np.uint8).reshape(height, width, 1)
    return values.repeat(3, axis=2)


@pytest.mark.parametrize(
    ("anchor", "fraction", "expected"),
    [
        ("top-left", 0.8, [[0, 1, 2, 3], [5, 6, 7, 8], [10, 11, 12, 13], [15, 16, 17, 18]]),
        ("bottom-right", 0.8, [[6, 7, 8, 9], [11, 12, 13, 14], [16, 17, 18, 19], [21, 22, 23, 24]]),
        ("centre", 0.6, [[6, 7, 8], [11, 12, 13], [16, 17, 18]]),
        ("centre", 0.8, [[0, 1, 2, 3], [5, 6, 7, 8], [10, 11, 12, 13], [15, 16, 17, 18]]),
    ],
)
def test_crop_keeps_the_anchored_part(anchor, fraction, expected):
    assert probes.crop(grid(), fraction=fraction, anchor=anchor)[..., 0].tolist() == expected


def test_crop_of_a_wide_image_keeps_the_fraction_of_each_side():
    assert probes.crop(grid(10, 20), fraction=0.6, anchor="centre").shape == (6, 12, 3)


def test_shift_moves_content_down_right_and_fills_with_the_mean_colour():
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    image[0, 0] = 160  # mean colour 10
    shifted = probes.shift(image, fraction=0.5)
    assert shifted[..., 0].tolist() == [[10, 10, 10, 10], [10, 10, 10, 10], [10, 10, 160, 0], [10, 10, 0, 0]]
    assert shifted.shape == image.shape


def test_pad_surrounds_the_image_with_its_mean_colour():
    image = np.full((10, 10, 3), 50, dtype=np.uint8)
    padded = probes.pad(image, fraction=0.1)
    assert padded.shape == (12, 12, 3)
    assert (padded[1:11, 1:11] == image).all()
    assert (padded == 50).all()


def test_mirror_swaps_left_and_right():
    assert probes.mirror(grid(1, 3))[..., 0].tolist() == [[2, 1, 0]]


def test_blur_spreads_a_point_as_a_gaussian_of_sigma_one():
    image = np.zeros((9, 9, 3), dtype=np.uint8)
    image[4, 4] = 255
    out = probes.blur(image, sigma=1.0)[..., 0].astype(float)
    # The 2-D Gaussian's weights: 1/(2 pi) at the centre, times exp(-1/2) one pixel away.
    assert out[4, 4] == round(255 / (2 * np.pi))
    assert out[4, 5] == round(255 / (2 * np.pi) * np.exp(-0.5))
    assert out.sum() == pytest.approx(255, abs=6)  # rounding of 81 pixels


def test_noise_is_seeded_and_of_the_given_spread():
    image = np.full((64, 64, 3), 128, dtype=np.uint8)
    first, again = probes.noise(image, sigma=5.0), probes.noise(image, sigma=5.0)
    assert (first == again).all()
    assert (first.astype(float) - 128).std() == pytest.approx(5.0, abs=0.2)


def test_rescale_keeps_size_and_flat_images():
    image = np.full((7, 9, 3), 99, dtype=np.uint8)
    out = probes.rescale(image, factor=0.5)
    assert out.shape == image.shape and (out == 99).all()


def test_jpeg_round_trip_loses_detail_but_keeps_size():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    q90, q50 = probes.jpeg(image, quality=90), probes.jpeg(image, quality=50)
    assert q90.shape == q50.shape == image.shape
    error = lambda x: np.abs(x.astype(int) - image).mean()  # noqa: E731
    assert 0 < error(q90) < error(q50)


@pytest.mark.parametrize(
    ("call", "name", "low", "high", "value"),
    [
        (lambda x: probes.crop(x, fraction=0.0, anchor="centre"), "fraction", 0.0, 1.0, 0.0),
        (lambda x: probes.shift(x, fraction=1.5), "fraction", 0.0, 1.0, 1.5),
        (lambda x: probes.rescale(x, factor=2.0), "factor", 0.0, 1.0, 2.0),
        (lambda x: probes.jpeg(x, quality=0), "JPEG quality", 1, 95, 0),
    ],
)
def test_out_of_range_settings_raise_a_sentence(call, name, low, high, value):
    message = OUT_OF_RANGE.format(name=name, low=low, high=high, value=value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        call(grid())


def test_probe_list_is_the_issue_s():
    assert PROBE_KEYS == (
        "crop_tl_80", "crop_centre_80", "crop_br_80", "crop_tl_60", "crop_centre_60", "crop_br_60",
        "shift_10", "shift_20", "pad_10",
        "jpeg_90", "jpeg_70", "jpeg_50", "rescale_50", "blur_1", "noise_5", "mirror",
    )  # fmt: skip
    assert PROBE_KEYS[:9] == REFRAMING_KEYS
    assert all(p.transform(grid(20, 20)).dtype == np.uint8 for p in PROBES)


def test_probes_by_key_keeps_the_list_order_and_refuses_unknown_keys():
    assert [p.key for p in probes_by_key(["mirror", "crop_tl_80"])] == ["crop_tl_80", "mirror"]
    with pytest.raises(ConfigError, match=UNKNOWN_PROBE.format(probe="zoom", choices=", ".join(PROBE_KEYS))):
        probes_by_key(["zoom"])


def test_decode_native_then_square_is_decoding_at_that_size(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    native = decode_native(tmp_path / "a.png")
    assert (native == pixels).all()
    assert (square(native, 16) == decode_image(tmp_path / "a.png", size=16)).all()


def test_decode_native_applies_the_exif_orientation():
    image = Image.new("RGB", (20, 10), (0, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    assert decode_native(buffer.getvalue()).shape == (20, 10, 3)
