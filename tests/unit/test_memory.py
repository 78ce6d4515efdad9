"""core.model.memory: the peak memory of training, estimated from the settings alone, and the refusal."""

from __future__ import annotations

import re

import pytest

from core.errors import (
    MEMORY_FITS_BATCH,
    MEMORY_FITS_NOTHING,
    MEMORY_FITS_SIZE,
    MEMORY_TOO_SMALL,
    ConfigError,
)
from core.model import memory
from core.model.config import PATCH_PRESETS, PRESETS, TrainConfig
from core.model.memory import (
    OVERHEAD_BYTES,
    check_fits,
    footprint,
    form_limits,
    largest_batch,
    largest_size,
    patch_peak_bytes,
    peak_bytes,
)

GB = 10**9
GIB = 2**30


def test_footprint_fast_at_16_px_by_hand():
    # conv 3->8, 8->16, 16->32 (3x3 + bias), then 2x2x32 -> 32 -> 1
    weights = 28 * 8 + 73 * 16 + 145 * 32 + (2 * 2 * 32 + 1) * 32 + 33
    # input and rescaled (16*16*3 each), each conv's output and its pooled half
    values = 2 * 768 + (256 + 64) * 8 + (64 + 16) * 16 + (16 + 4) * 32 + 32 + 1
    assert footprint("fast", image_size=16) == memory.Footprint(weights, values)


def test_footprint_paper_at_16_px_by_hand():
    weights = 28 * 32 + (7 * 7 * 32 + 1) * 128 + 129  # 14x14 after the 3x3, 7x7 after pooling
    values = 2 * 768 + 14 * 14 * 32 + 7 * 7 * 32 + 128 + 1
    assert footprint("paper", image_size=16) == memory.Footprint(weights, values)


def test_footprint_augmenting_adds_three_input_sized_layers():
    plain, augmented = footprint("fast", image_size=32), footprint("fast", image_size=32, augment=True)
    assert augmented.activations - plain.activations == 3 * 32 * 32 * 3


def test_peak_bytes_adds_overhead_data_weights_and_activations():
    model = footprint("fast", image_size=16)
    data = 10 * 16 * 16 * 3 * memory.DATA_BYTES_PER_VALUE
    small = peak_bytes("fast", n_images=10, image_size=16, batch_size=8)  # the validation batch is larger
    assert small == memory.OVERHEAD_BYTES + data + 4 * (4 * model.weights + 256 * model.activations)
    large = peak_bytes("fast", n_images=10, image_size=16, batch_size=1000)
    assert large == memory.OVERHEAD_BYTES + data + 4 * (4 * model.weights + 2000 * model.activations)


def test_the_red_teams_settings_need_tens_of_gigabytes():
    # With the lean step a batch costs its Flatten output twice: 4,096 x 254 x 254 x 32 x 8 bytes.
    assert memory.lean("paper", image_size=512)
    assert peak_bytes("paper", n_images=600, image_size=512, batch_size=4096) > 67 * GB


def test_the_lean_step_is_counted_for_the_paper_preset_at_300_px():
    """One weight copy fewer (no whole gradient of the Dense matrix), and a batch of 32 costs its
    Flatten output and gradient plus the bounded micro-batch, not every layer's output twice."""
    assert memory.hidden_weights("paper", image_size=300) == 149 * 149 * 32 * 128
    assert memory.lean("paper", image_size=300) and not memory.lean("fast", image_size=64)
    assert not memory.lean("paper", image_size=64)  # 31 x 31 x 32 x 128 = 3.9 million: Keras's step
    model = footprint("paper", image_size=300)
    training = 32 * 2 * 4 * 149 * 149 * 32 + memory.MICRO_ACTIVATION_BYTES
    validation = 256 * 4 * model.activations
    expected = memory.OVERHEAD_BYTES + 4 * 3 * model.weights + max(training, validation)
    assert peak_bytes("paper", n_images=0, image_size=300, batch_size=32) == expected
    assert peak_bytes("paper", n_images=0, image_size=300, batch_size=2000) > expected  # the batch counts


def test_check_fits_passes_the_defaults_on_the_demo_set():
    for preset in PRESETS:
        check_fits(TrainConfig(preset=preset), n_images=600, available=16 * GIB)


def test_check_fits_refuses_with_what_fits():
    config = TrainConfig(preset="paper", image_size=512, batch_size=4096)
    available = 21 * GIB
    batch = largest_batch("paper", n_images=600, image_size=512, available=available)
    size = largest_size("paper", n_images=600, batch_size=4096, available=available)
    fits = (
        MEMORY_FITS_BATCH.format(batch=batch, size=512)
        + " or "
        + MEMORY_FITS_SIZE.format(size=size, batch=4096)
    )
    need = peak_bytes("paper", n_images=600, image_size=512, batch_size=4096)
    expected = MEMORY_TOO_SMALL.format(
        preset="paper", size=512, batch=4096, n=600, need_gb=need / GB, free_gb=available / GB, fits=fits
    )
    with pytest.raises(ConfigError, match=re.escape(expected)):
        check_fits(config, n_images=600, available=available)


def test_check_fits_with_nothing_that_fits_says_so():
    expected = MEMORY_FITS_NOTHING.format(n=600)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        check_fits(TrainConfig(), n_images=600, available=100 * 2**20)


@pytest.mark.parametrize("preset", [p for p in PRESETS if p not in PATCH_PRESETS])
@pytest.mark.parametrize("available", [2 * GIB, 8 * GIB, 21 * GIB])
def test_largest_batch_and_size_are_the_edge_of_what_fits(preset, available):
    batch = largest_batch(preset, n_images=1289, image_size=128, available=available)
    if 0 < batch < 4096:
        assert peak_bytes(preset, n_images=1289, image_size=128, batch_size=batch) <= available
        assert peak_bytes(preset, n_images=1289, image_size=128, batch_size=batch + 1) > available
    size = largest_size(preset, n_images=1289, batch_size=32, available=available)
    if 0 < size < 512:
        assert peak_bytes(preset, n_images=1289, image_size=size, batch_size=32) <= available
        assert peak_bytes(preset, n_images=1289, image_size=size + 16, batch_size=32) > available


def test_form_limits_shrink_with_the_memory_and_the_data():
    assert form_limits(600, available=64 * GIB) == (512, 4096)
    small_size, small_batch = form_limits(600, available=4 * GIB)
    assert small_size < 512 and small_size % 16 == 0
    assert form_limits(20_000, available=4 * GIB)[0] < small_size
    assert form_limits(600, available=1) == (16, 1)  # nothing fits: the form still draws, training refuses


def test_patch_preset_is_checked_on_its_native_images_and_patches():
    config = TrainConfig(preset="artifacts")
    c = config.resolved()
    need = patch_peak_bytes(
        n_images=1289, native_max_side=c.native_max_side, patch_size=c.patch_size, batch_size=c.batch_size
    )
    # The data term: 1,289 images of at most 512 x 512 x 3 bytes, three copies.
    assert need - OVERHEAD_BYTES >= 1289 * 512 * 512 * 3 * 3
    check_fits(config, n_images=1289, available=need)  # fits exactly
    with pytest.raises(ConfigError, match="smaller native_max_side"):
        check_fits(config, n_images=1289, available=need - 1)
    bigger = patch_peak_bytes(n_images=1289, native_max_side=1024, patch_size=64, batch_size=64)
    assert bigger > need
