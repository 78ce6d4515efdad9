"""How much memory training will need at its peak, estimated before anything is decoded.

Pure arithmetic on the settings and the number of images (nothing here imports TensorFlow),
so the CLI refuses settings that cannot fit before decoding a single image, and the Train
form's limits follow the machine. The peak is the sum of

- **the data**: every image's ``size x size x 3`` values, :data:`DATA_BYTES_PER_VALUE` bytes
  each (the decoded uint8 set, its training and validation subsets, the tensors tf.data makes
  of them, and its float32 cache);
- **the weights**: :data:`WEIGHT_COPIES` float32 copies (weights, gradients, Adam's two moments);
- **the activations**: every layer's output for one image, float32, times the training batch
  (:data:`ACTIVATION_COPIES` copies: the forward pass kept for the backward one, and its
  gradients), or times :data:`EVAL_BATCH` for the validation passes, whichever is larger;
- :data:`OVERHEAD_BYTES` for TensorFlow itself.

A model whose hidden Dense layer is huge (the paper preset at 300 px) trains with the step of
core.model.lean, which never holds that layer's whole gradient nor every activation of the
batch: :func:`peak_bytes` counts one weight copy fewer and, per image of the batch, only the
Flatten output and its gradient, plus a bounded micro-batch.

Checked against the peak resident memory of ``python -m core train --epochs 1`` on the 600
demo images here: fast at 64 px, batch 32: 0.95 GB measured, 0.96 estimated; fast at 256 px,
batch 256: 4.1 measured, 4.9 estimated; paper at 128 px, batch 32: 2.1 and 2.1; batch 256:
3.1 and 2.8.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import (
    MEMORY_FITS_BATCH,
    MEMORY_FITS_NOTHING,
    MEMORY_FITS_SIZE,
    MEMORY_TOO_SMALL,
    ConfigError,
)
from core.model.config import (
    ARCHITECTURES,
    IMAGE_SIZE_RANGE,
    LEAN_ABOVE_WEIGHTS,
    MAX_BATCH,
    MICRO_ACTIVATION_BYTES,
    PRESET_DEFAULTS,
    TrainConfig,
)

FLOAT_BYTES = 4
DATA_BYTES_PER_VALUE = 7
WEIGHT_COPIES = 4
ACTIVATION_COPIES = 2
#: Batch of the validation passes during and after training (core.model.train).
EVAL_BATCH = 256
OVERHEAD_BYTES = 900 * 2**20
#: Image sizes the Train form offers: multiples of this.
SIZE_STEP = 16
_GB = 1e9


@dataclass(frozen=True)
class Footprint:
    """What one model takes: ``weights`` parameters, ``activations`` values per image."""

    weights: int
    activations: int


def footprint(preset: str, *, image_size: int, augment: bool = False) -> Footprint:
    """Parameters and per-image activation values of ``preset`` at ``image_size``, from its architecture.

    Walks :data:`core.model.config.ARCHITECTURES` as :func:`core.model.presets.build_model`
    builds it: the float32 input and its rescaled copy (and each augmenting layer's output),
    every Conv2D's and MaxPooling2D's output, the head (Flatten is a view of the pooled
    values, global average pooling a new vector), and the two Dense layers.

    Examples
    --------
    >>> footprint("fast", image_size=64).weights
    71633
    >>> footprint("paper", image_size=300).weights
    90936449
    """
    architecture = ARCHITECTURES[preset]
    activations = image_size * image_size * 3 * (2 + 3 * augment)
    weights, channels, side = 0, 3, image_size
    for filters in architecture.filters:
        weights += (9 * channels + 1) * filters  # a 3x3 kernel per input channel, and a bias
        side -= 0 if architecture.padding == "same" else 2
        activations += side * side * filters
        side //= 2
        activations += side * side * filters
        channels = filters
    features = side * side * channels if architecture.head == "flatten" else channels
    activations += 0 if architecture.head == "flatten" else channels
    units = architecture.units
    weights += (features + 1) * units + units + 1
    return Footprint(weights, activations + units + 1)


def _features(preset: str, *, image_size: int) -> int:
    """Values the head of ``preset`` gives its hidden Dense layer per image (the Flatten output)."""
    architecture = ARCHITECTURES[preset]
    side, channels = image_size, 3
    for filters in architecture.filters:
        side = (side - (0 if architecture.padding == "same" else 2)) // 2
        channels = filters
    return side * side * channels if architecture.head == "flatten" else channels


def hidden_weights(preset: str, *, image_size: int) -> int:
    """Weights of the hidden Dense layer of ``preset`` at ``image_size`` (its matrix, without the bias).

    >>> hidden_weights("paper", image_size=300)
    90935296
    """
    return _features(preset, image_size=image_size) * ARCHITECTURES[preset].units


def lean(preset: str, *, image_size: int) -> bool:
    """Whether ``preset`` at ``image_size`` trains with core.model.lean's bounded-memory step."""
    architecture = ARCHITECTURES[preset]
    return (
        architecture.head == "flatten" and hidden_weights(preset, image_size=image_size) >= LEAN_ABOVE_WEIGHTS
    )


def peak_bytes(preset: str, *, n_images: int, image_size: int, batch_size: int, augment: bool = False) -> int:
    """The estimated peak memory, in bytes, of training ``preset`` on ``n_images`` images.

    With core.model.lean's step (a huge hidden Dense layer), the whole gradient of that layer's
    matrix is never held (one weight copy fewer), and a batch costs its Flatten output and that
    output's gradient, plus :data:`~core.model.config.MICRO_ACTIVATION_BYTES` for the layers before.

    Parameters
    ----------
    preset : {"fast", "paper"}
    n_images : int
        Images in the data set (training and validation together).
    image_size, batch_size : int
    augment : bool, default False

    Returns
    -------
    int
    """
    model = footprint(preset, image_size=image_size, augment=augment)
    data = n_images * image_size * image_size * 3 * DATA_BYTES_PER_VALUE
    validation = EVAL_BATCH * FLOAT_BYTES * model.activations
    if lean(preset, image_size=image_size):  # the Flatten output and its gradient, and a micro-batch
        copies = WEIGHT_COPIES - 1
        per_image = ACTIVATION_COPIES * FLOAT_BYTES * _features(preset, image_size=image_size)
        training = batch_size * per_image + MICRO_ACTIVATION_BYTES
    else:  # every activation, kept for the backward pass, and its gradient
        copies = WEIGHT_COPIES
        training = batch_size * ACTIVATION_COPIES * FLOAT_BYTES * model.activations
    return OVERHEAD_BYTES + data + FLOAT_BYTES * copies * model.weights + max(training, validation)


#: Copies of a native-resolution set held at once (the decoded images, the cache's flat copy, the
#: training and validation subsets), each ``native_max_side``² x 3 bytes at most: an upper bound.
NATIVE_COPIES = 3
#: Activation values per input pixel of a patch for the artifacts network (its front-end's
#: residual, the stem and three stages of convolution, batch normalisation and ReLU), counted
#: from core.model.artifacts at 64 px (66.8 with the chosen design) and rounded up.
PATCH_VALUES_PER_PIXEL = 68


def patch_peak_bytes(*, n_images: int, native_max_side: int, patch_size: int, batch_size: int) -> int:
    """The estimated peak memory, in bytes, of training a patch preset on ``n_images`` images.

    The data term assumes every image is ``native_max_side`` square (the largest a load keeps),
    so it is an upper bound; the activations are a batch of patches (or :data:`EVAL_BATCH`).
    """
    data = n_images * native_max_side * native_max_side * 3 * NATIVE_COPIES
    batch = max(ACTIVATION_COPIES * batch_size, EVAL_BATCH)
    return OVERHEAD_BYTES + data + FLOAT_BYTES * batch * patch_size * patch_size * PATCH_VALUES_PER_PIXEL


def _check_patch_fits(c: TrainConfig, *, n_images: int, available: int) -> None:
    settings = {"native_max_side": c.native_max_side, "patch_size": c.patch_size, "batch_size": c.batch_size}
    need = patch_peak_bytes(n_images=n_images, **settings)  # type: ignore[arg-type]
    if need <= available:
        return
    fits = MEMORY_FITS_NOTHING.format(n=n_images) + " (or a smaller native_max_side)"
    raise _too_small(c, c.native_max_side, n_images, need, available, fits)


def _too_small(c: TrainConfig, size: int, n_images: int, need: int, available: int, fits: str) -> ConfigError:
    """``MEMORY_TOO_SMALL`` for ``c`` at ``size`` px (or native side), saying what ``fits``."""
    return ConfigError(
        MEMORY_TOO_SMALL.format(
            preset=c.preset,
            size=size,
            batch=c.batch_size,
            n=n_images,
            need_gb=need / _GB,
            free_gb=available / _GB,
            fits=fits,
        )
    )


#: Images a streamed training set holds in memory at once, at most: a scoring chunk of the
#: validation pass (core.model.train.SCORING_CHUNK) and the batches read ahead.
STREAMED_IMAGES = 2048


def streams(config: TrainConfig, n_images: int) -> bool:
    """Whether training ``config`` on ``n_images`` reads them from disk a batch at a time.

    So it does for the square presets on one device when the decoded pixels would take more
    than :func:`core.data.ondisk.stream_above_bytes` (see :mod:`core.data.ondisk`).
    """
    from core.data.ondisk import pixel_bytes, stream_above_bytes

    c = config.resolved()
    if c.is_patch_preset:
        return False
    return pixel_bytes(n_images, c.image_size) > stream_above_bytes()


def check_fits(config: TrainConfig, *, n_images: int, available: int) -> None:
    """Refuse training settings whose :func:`peak_bytes` is over ``available`` bytes, saying what fits.

    Raises
    ------
    ConfigError
        ``MEMORY_TOO_SMALL``, with the largest batch that fits at this size and the largest
        size that fits at this batch.
    """
    c = config.resolved()
    if c.is_patch_preset:
        _check_patch_fits(c, n_images=n_images, available=available)
        return
    held = min(n_images, STREAMED_IMAGES) if streams(c, n_images) else n_images
    settings = {"n_images": held, "image_size": c.image_size, "batch_size": c.batch_size}
    need = peak_bytes(c.preset, augment=c.augment, **settings)  # type: ignore[arg-type]
    if need <= available:
        return
    batch = largest_batch(c.preset, n_images=n_images, image_size=c.image_size, available=available)
    size = largest_size(c.preset, n_images=n_images, batch_size=c.batch_size, available=available)
    fits = [MEMORY_FITS_BATCH.format(batch=batch, size=c.image_size)] if batch else []
    fits += [MEMORY_FITS_SIZE.format(size=size, batch=c.batch_size)] if size else []
    said = " or ".join(fits) or MEMORY_FITS_NOTHING.format(n=n_images)
    raise _too_small(c, c.image_size, n_images, need, available, said)


def largest_batch(preset: str, *, n_images: int, image_size: int, available: int) -> int:
    """The largest batch (up to the settings' limit) that fits at ``image_size``; 0 when none does."""
    base = peak_bytes(preset, n_images=n_images, image_size=image_size, batch_size=1)
    if base > available:
        return 0
    low, high = 1, MAX_BATCH  # the peak grows with the batch: the largest that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        fits = peak_bytes(preset, n_images=n_images, image_size=image_size, batch_size=middle) <= available
        low, high = (middle, high) if fits else (low, middle - 1)
    return low


def largest_size(preset: str, *, n_images: int, batch_size: int, available: int) -> int:
    """The largest image size, a multiple of :data:`SIZE_STEP`, that fits at ``batch_size``; 0 if none."""
    low, high = IMAGE_SIZE_RANGE
    for size in range(high - high % SIZE_STEP, low - 1, -SIZE_STEP):
        if peak_bytes(preset, n_images=n_images, image_size=size, batch_size=batch_size) <= available:
            return size
    return 0


def form_limits(n_images: int, *, available: int) -> tuple[int, int]:
    """The Train form's largest image size and batch: what the lightest preset fits at its defaults.

    Any larger value cannot fit with any preset, so the form does not offer it; a
    combination within the limits may still be refused by :func:`check_fits`, with the reason.
    """
    fast = PRESET_DEFAULTS["fast"]
    size = largest_size("fast", n_images=n_images, batch_size=fast["batch_size"], available=available)
    batch = largest_batch("fast", n_images=n_images, image_size=fast["image_size"], available=available)
    return max(size, IMAGE_SIZE_RANGE[0]), max(batch, 1)


def available_bytes() -> int:
    """The memory this machine can give a new allocation now (``psutil``'s "available")."""
    import psutil

    return int(psutil.virtual_memory().available)
