"""core.evaluation.heatmaps: colours, overlays and the side-by-side picture, on tiny arrays."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from core.errors import OUT_OF_RANGE
from core.evaluation.checks import MetricsError
from core.evaluation.heatmaps import PANEL, colorize, overlay, png_bytes, side_by_side


def test_colorize_ends_and_clipping() -> None:
    colours = colorize(np.array([[-1.0, 0.0], [1.0, 2.0]]))
    assert colours.shape == (2, 2, 3) and colours.dtype == np.uint8
    assert colours[0, 0].tolist() == colours[0, 1].tolist() == [20, 30, 90]  # below 0 counts as 0
    assert colours[1, 0].tolist() == colours[1, 1].tolist() == [220, 40, 30]  # above 1 counts as 1


def test_colorize_nan_counts_as_zero() -> None:
    assert colorize(np.array([np.nan])).tolist() == [[20, 30, 90]]


def test_overlay_alpha_zero_is_the_image_and_one_is_the_map() -> None:
    image = np.full((8, 8, 3), 200, dtype=np.uint8)
    heat = np.ones((2, 2))
    assert (overlay(image, heat, alpha=0.0, size=8) == 200).all()
    assert overlay(image, heat, alpha=1.0, size=8)[0, 0].tolist() == [220, 40, 30]


def test_overlay_stretches_a_coarse_map_over_the_image() -> None:
    image = np.zeros((16, 16, 3), dtype=np.uint8)
    heat = np.array([[0.0, 1.0], [0.0, 1.0]])  # hot on the right
    out = overlay(image, heat, alpha=1.0, size=32)
    assert out.shape == (32, 32, 3)
    assert out[16, 31, 0] > out[16, 0, 0]  # red on the right, blue on the left


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_overlay_refuses_alpha_outside_zero_one(alpha: float) -> None:
    message = OUT_OF_RANGE.format(name="alpha", low=0, high=1, value=alpha)
    with pytest.raises(MetricsError, match=re.escape(message)):
        overlay(np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2)), alpha=alpha)


def test_overlay_refuses_a_map_that_is_not_two_dimensional() -> None:
    with pytest.raises(MetricsError, match="heat map dimensions"):
        overlay(np.zeros((4, 4, 3), np.uint8), np.zeros((2, 2, 2)))


def test_side_by_side_is_image_gap_overlay_and_png_round_trips() -> None:
    image = np.full((10, 10, 3), 100, dtype=np.uint8)
    picture = side_by_side(image, np.zeros((3, 3)))
    assert picture.shape == (PANEL, 2 * PANEL + 8, 3)
    assert (picture[:, PANEL : PANEL + 8] == 255).all()  # the white gap
    assert (picture[:, :PANEL] == 100).all()  # the image as the model saw it, enlarged
    decoded = np.asarray(Image.open(io.BytesIO(png_bytes(picture))))
    assert (decoded == picture).all()
