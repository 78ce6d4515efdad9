"""Tests for core.model.patches: the scoring grid, training crops, degradation and sampling weights."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.model.patches import (
    NONE,
    Degradation,
    class_weights,
    fit_to_patch,
    fixed_patches,
    grid_origins,
    grid_patches,
    sample_batch,
    sample_patch,
    sampling_weights,
)


@pytest.mark.parametrize(
    ("length", "patch"), [(300, 96), (150, 96), (96, 96), (97, 96), (611, 64), (500, 128)]
)
def test_grid_origins_cover_every_pixel_within_bounds(length, patch):
    origins = grid_origins(length, patch)
    covered = np.zeros(length, dtype=bool)
    for start in origins:
        covered[start : start + patch] = True
    assert covered.all()
    assert origins[0] == 0 and origins[-1] == length - patch
    assert len(origins) == -(-length // patch)  # the fewest windows that can cover it


@pytest.mark.parametrize(
    ("length", "patch", "stride"), [(300, 64, 32), (150, 64, 32), (611, 96, 48), (64, 64, 32)]
)
def test_grid_origins_with_a_stride_cover_with_starts_at_most_stride_apart(length, patch, stride):
    origins = grid_origins(length, patch, stride=stride)
    assert origins[0] == 0 and origins[-1] == max(0, length - patch)
    assert np.all(np.diff(origins) <= stride) and np.all(np.diff(origins) > 0)
    assert len(origins) <= len(grid_origins(length, patch, stride=stride - 1)) or stride == 1


def test_grid_patches_cover_the_image_row_by_row():
    image = np.arange(300 * 200 * 3, dtype=np.int64).reshape(300, 200, 3) % 251
    patches = grid_patches(image.astype(np.uint8), 96)
    assert patches.shape == (4 * 3, 96, 96, 3)
    np.testing.assert_array_equal(patches[0], image[:96, :96])
    np.testing.assert_array_equal(patches[-1], image[-96:, -96:])
    np.testing.assert_array_equal(patches[1], image[:96, 52:148])  # second column: origins 0, 52, 104


def test_fit_to_patch_mirrors_small_images_and_keeps_large_ones():
    small = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    padded = fit_to_patch(small, 4)
    assert padded.shape == (4, 4, 3)
    np.testing.assert_array_equal(padded[:2, :3], small)
    np.testing.assert_array_equal(padded[2, :3], small[1])  # mirrored, not zeros
    large = np.zeros((5, 6, 3), dtype=np.uint8)
    assert fit_to_patch(large, 4) is large


def test_sampling_weights_give_each_class_half_shared_by_sources():
    strata = np.array(["hard"] * 4 + ["lfw"] * 2 + ["hard"] * 2 + ["poll"] * 6)
    labels = np.array([1] * 6 + [0] * 8)
    weights = sampling_weights(strata, labels)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[labels == 1].sum() == pytest.approx(0.5)
    assert weights[(labels == 1) & (strata == "hard")].sum() == pytest.approx(0.25)
    assert weights[(labels == 0) & (strata == "poll")].sum() == pytest.approx(0.25)
    assert len(set(weights[(labels == 0) & (strata == "poll")])) == 1


def test_sample_patch_without_degradation_is_an_exact_crop():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(50, 40, 3), dtype=np.uint8)
    patch = sample_patch(
        image, np.random.default_rng(1), patch=16, degradation=dataclasses.replace(NONE, flip=False)
    )
    found = [
        (y, x) for y in range(35) for x in range(25) if np.array_equal(image[y : y + 16, x : x + 16], patch)
    ]
    assert len(found) == 1


def test_sample_patch_degradation_changes_pixels_but_not_shape():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(120, 100, 3), dtype=np.uint8)
    always = Degradation(rescale=1.0, blur=1.0, jpeg=1.0, flip=False)
    patch = sample_patch(image, np.random.default_rng(2), patch=32, degradation=always)
    assert patch.shape == (32, 32, 3) and patch.dtype == np.uint8
    crops = [image[y : y + 32, x : x + 32] for y in range(89) for x in range(69)]
    assert not any(np.array_equal(c, patch) for c in crops)


def test_sample_batch_depends_only_on_seed_and_step():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, size=(40 + i, 50, 3), dtype=np.uint8) for i in range(6)]
    labels = np.array([1, 1, 1, 0, 0, 0])
    weights = sampling_weights(["a"] * 6, labels)
    options = {"seed": 3, "batch_size": 5, "patch": 16, "degradation": Degradation()}
    first = sample_batch(images, labels, weights, step=7, **options)
    again = sample_batch(images, labels, weights, step=7, **options)
    other = sample_batch(images, labels, weights, step=8, **options)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
    assert first[0].shape == (5, 16, 16, 3) and first[0].dtype == np.float32
    assert set(first[1].tolist()) <= {0.0, 1.0}
    assert first[2].tolist() == [1.0] * 5  # unweighted by default
    weighted = sample_batch(images, labels, weights, step=7, loss_weights=class_weights(0.75), **options)
    np.testing.assert_array_equal(weighted[0], first[0])
    assert weighted[2].tolist() == [1.5 if y == 1 else 0.5 for y in first[1]]


def test_fixed_patches_same_seed_same_crops_one_per_image():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, size=(30, 30 + i, 3), dtype=np.uint8) for i in range(3)]
    first, again = fixed_patches(images, patch=16, seed=1), fixed_patches(images, patch=16, seed=1)
    assert first.shape == (3, 16, 16, 3)
    np.testing.assert_array_equal(first, again)
