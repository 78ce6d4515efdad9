"""core.data.imagestats: class means, spectra, file summaries and which images to show."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.data.imagestats import (
    IMAGES_SHAPE,
    LABELS_LENGTH,
    file_summary,
    images_in_cell,
    mean_image,
    mean_log_spectrum,
    pick_positions,
    to_uint8,
)
from core.evaluation.checks import MetricsError


def _checkerboard(size: int, *, high: float = 1.0) -> np.ndarray:
    """``high`` where row + column is even, 0 elsewhere."""
    return np.where(np.indices((size, size)).sum(axis=0) % 2 == 0, high, 0.0)


def test_mean_image_per_class_exact() -> None:
    images = np.array([[[0, 2]], [[4, 6]], [[10, 10]]], dtype=np.uint8)  # (3, 1, 2) grey
    means = mean_image(images, [1, 1, 0])
    assert set(means) == {0, 1}
    np.testing.assert_array_equal(means[1], [[2.0, 4.0]])
    np.testing.assert_array_equal(means[0], [[10.0, 10.0]])
    assert means[1].dtype == np.float64


def test_mean_image_only_present_classes() -> None:
    images = np.zeros((2, 2, 2, 3), dtype=np.uint8)
    assert set(mean_image(images, [0, 0])) == {0}


def test_mean_log_spectrum_checkerboard_energy_at_nyquist_corner() -> None:
    board = _checkerboard(4)
    spectrum = mean_log_spectrum(board[None], [1])[1]
    # 8 ones: |F| is 8 at zero frequency (centre after fftshift) and at Nyquist (corner 0, 0).
    expected = np.zeros((4, 4))
    expected[0, 0] = expected[2, 2] = math.log1p(64.0)
    np.testing.assert_allclose(spectrum, expected, atol=1e-12)


def test_mean_log_spectrum_constant_image_only_zero_frequency() -> None:
    flat = np.full((1, 4, 4), 0.5)
    spectrum = mean_log_spectrum(flat, [0])[0]
    expected = np.zeros((4, 4))
    expected[2, 2] = math.log1p(8.0**2)  # sum of 16 pixels of 0.5
    np.testing.assert_allclose(spectrum, expected, atol=1e-12)


def test_mean_log_spectrum_uint8_rgb_scaled_to_grey() -> None:
    rgb = np.repeat((_checkerboard(4, high=255))[None, ..., None], 3, axis=-1).astype(np.uint8)
    spectrum = mean_log_spectrum(rgb, [1])[1]
    assert spectrum[0, 0] == pytest.approx(math.log1p(64.0))
    assert spectrum[2, 2] == pytest.approx(math.log1p(64.0))


def test_mean_log_spectrum_averages_logs_over_class() -> None:
    images = np.stack([_checkerboard(4), np.zeros((4, 4))])
    spectrum = mean_log_spectrum(images, [0, 0])[0]
    assert spectrum[0, 0] == pytest.approx(math.log1p(64.0) / 2)


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (np.zeros((2, 4)), [0, 1], IMAGES_SHAPE.format(shape=(2, 4))),
        (np.zeros((2, 4, 4, 2)), [0, 1], IMAGES_SHAPE.format(shape=(2, 4, 4, 2))),
        (np.zeros((2, 4, 4)), [0], LABELS_LENGTH.format(n_labels=1, n_images=2)),
    ],
)
def test_mean_log_spectrum_bad_shapes(images: np.ndarray, labels: list[int], message: str) -> None:
    with pytest.raises(MetricsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        mean_log_spectrum(images, labels)


def test_mean_image_bad_label() -> None:
    with pytest.raises(MetricsError, match="Labels must be 1"):
        mean_image(np.zeros((1, 2, 2)), [2])


@pytest.mark.parametrize(
    ("values", "stretch", "expected"),
    [
        ([[-3.0, 12.4, 300.0]], False, [[0, 12, 255]]),
        ([[1.0, 2.0, 3.0]], True, [[0, 128, 255]]),
        ([[5.0, 5.0]], True, [[0, 0]]),
    ],
)
def test_to_uint8(values: list, stretch: bool, expected: list) -> None:
    out = to_uint8(np.array(values), stretch=stretch)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)


def test_file_summary_counts_most_common_first() -> None:
    info = pd.DataFrame(
        {
            "width": [300, 300, 200],
            "height": [300, 300, 100],
            "format": ["JPEG", "JPEG", "PNG"],
            "mode": ["RGB", "RGB", "RGBA"],
            "bytes": [1024, 3072, 512],
        }
    )
    summary = file_summary(info)
    assert summary.to_dict(orient="records") == [
        {"size": "300x300", "format": "JPEG", "mode": "RGB", "images": 2, "mean_kb": 2.0},
        {"size": "200x100", "format": "PNG", "mode": "RGBA", "images": 1, "mean_kb": 0.5},
    ]


def test_file_summary_empty() -> None:
    assert list(file_summary(pd.DataFrame()).columns) == ["size", "format", "mode", "images", "mean_kb"]


def test_pick_positions_filters_and_is_seeded() -> None:
    labels = [1, 0, 1, 0, 1, 0]
    groups = pd.Series(["a", "a", "b", "b", "a", "b"])
    np.testing.assert_array_equal(pick_positions(labels, label=1, n=10), [0, 2, 4])
    np.testing.assert_array_equal(pick_positions(labels, groups=groups, group="b", n=10), [2, 3, 5])
    np.testing.assert_array_equal(pick_positions(labels, groups=groups, label=0, group="a"), [1])
    first = pick_positions(labels, n=3, seed=7)
    assert len(first) == 3 and list(first) == sorted(first)
    np.testing.assert_array_equal(first, pick_positions(labels, n=3, seed=7))


def test_pick_positions_no_match_is_empty() -> None:
    assert len(pick_positions([1, 1], label=0)) == 0


@pytest.mark.parametrize(
    ("actual", "called", "expected"),
    [
        (1, 1, [0, 2]),  # reals called real: highest score first
        (1, 0, [4, 1]),  # reals flagged as fake: lowest score (most confident mistake) first
        (0, 1, [5, 3]),  # fakes passed as real: highest score first
        (0, 0, [6]),
    ],
)
def test_images_in_cell(actual: int, called: int, expected: list[int]) -> None:
    labels = [1, 1, 1, 0, 1, 0, 0]
    scores = [0.9, 0.5, 0.8, 0.7, 0.1, 0.95, 0.6]
    np.testing.assert_array_equal(
        images_in_cell(labels, scores, threshold=0.6, actual=actual, called=called), expected
    )


def test_images_in_cell_bad_threshold() -> None:
    with pytest.raises(MetricsError, match="threshold must be between 0 and 1"):
        images_in_cell([1], [0.5], threshold=1.5, actual=1, called=1)
