"""Training settings and each preset's architecture as data, with the defaults in one place."""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from core.errors import (
    DISTRIBUTE_PATCH_PRESET,
    NOT_A_SWITCH,
    ODD_PATCH,
    OUT_OF_RANGE,
    PATCH_SETTING_ONLY,
    UNKNOWN_CHOICE,
    UNKNOWN_PRESET,
    ConfigError,
)
from core.labels import DEFAULT_THRESHOLD

Preset = Literal["fast", "paper", "artifacts"]
PRESETS: tuple[str, ...] = ("fast", "paper", "artifacts")
#: Presets that train on patches at native resolution and score whole images by a grid of patches.
PATCH_PRESETS: tuple[str, ...] = ("artifacts",)
#: The settings only a patch preset has.
PATCH_SETTINGS: tuple[str, ...] = ("patch_size", "native_max_side", "patches_per_image", "degrade")
Head = Literal["flatten", "global_average"]
#: How training is spread: one device, every local GPU, or the workers of ``TF_CONFIG``
#: (see :mod:`core.model.distributed`).
Distribute = Literal["none", "mirrored", "multiworker"]
DISTRIBUTE_CHOICES: tuple[str, ...] = ("none", "mirrored", "multiworker")
Padding = Literal["valid", "same"]

#: Smallest and largest image side, and the largest batch, a training run accepts.
IMAGE_SIZE_RANGE = (16, 512)
MAX_BATCH = 4096
#: A model whose hidden Dense layer has at least this many weights trains with the bounded-memory
#: step of core.model.lean (the paper preset at 300 px: 90.9 million), not Keras's own.
LEAN_ABOVE_WEIGHTS = 16_000_000
#: That step runs the layers before the Dense one on a few images at a time: their float32
#: activations, kept and passed back, stay under this.
MICRO_ACTIVATION_BYTES = 48 * 2**20

#: Per-preset defaults used when a setting is left as ``None``. For ``artifacts``,
#: ``image_size`` is only the side that a caller which can pass nothing but resized
#: squares uses (the model itself never sees a resized image; see :mod:`core.model.artifacts`).
PRESET_DEFAULTS: dict[str, dict[str, Any]] = {
    "fast": {"image_size": 64, "batch_size": 32, "learning_rate": 3e-3},
    "paper": {"image_size": 300, "batch_size": 32, "learning_rate": 1e-4},
    "artifacts": {
        "image_size": 256,
        "batch_size": 64,
        "learning_rate": 2e-3,
        "patch_size": 64,
        "native_max_side": 512,
        "patches_per_image": 16,
        "degrade": True,
    },
}


@dataclass(frozen=True)
class Architecture:
    """The layers of a preset, as :func:`core.model.presets.build_model` builds them.

    Pixels are multiplied by ``input_scale``, then each entry of ``filters`` is a
    Conv2D(3x3, ReLU, ``padding``) followed by MaxPooling2D(2); then ``head`` ("flatten"
    keeps where things are in the frame, "global_average" averages it away), a
    Dense(``units``, ReLU) and Dense(1, sigmoid). Conv2D and the hidden Dense start from
    ``kernel_initializer``.
    """

    filters: tuple[int, ...]
    units: int
    padding: Padding = "same"
    kernel_initializer: str = "glorot_uniform"  # Keras' default
    head: Head = "flatten"
    input_scale: float = 1 / 255

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: Each preset's architecture. ``paper`` is the paper's five layers with the Keras tutorial's
#: 32 filters and 128 units (the paper gives no counts); bench/RESULTS.md has the trials behind both.
ARCHITECTURES: dict[str, Architecture] = {
    "paper": Architecture(filters=(32,), units=128, padding="valid", kernel_initializer="he_normal"),
    "fast": Architecture(filters=(8, 16, 32), units=32),
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run.

    ``image_size``, ``batch_size`` and ``learning_rate`` left as ``None`` take the
    preset's default (see :data:`PRESET_DEFAULTS`); :meth:`resolved` fills them in.

    The patch presets (:data:`PATCH_PRESETS`) also have ``patch_size`` (side of the square
    training patches), ``native_max_side`` (images with a longer side are reduced once by
    an integer factor at load), ``patches_per_image`` (an epoch is this many random
    patches per training image) and ``degrade`` (JPEG re-compression, blur and re-scaling
    of training patches, see :class:`core.model.patches.Degradation`); other presets
    refuse them. ``test_fraction`` > 0 holds out that share of the images (stratified by
    source and class, the same images for every seed) before the training/validation
    split; the run scores them once, at the end.
    """

    preset: Preset = "fast"
    epochs: int = 10
    batch_size: int | None = None
    learning_rate: float | None = None
    seed: int = 0
    image_size: int | None = None
    val_fraction: float = 0.25
    augment: bool = False
    threshold: float = DEFAULT_THRESHOLD
    test_fraction: float = 0.0
    patch_size: int | None = None
    native_max_side: int | None = None
    patches_per_image: int | None = None
    degrade: bool | None = None
    distribute: Distribute = "none"
    mixed_precision: bool = False

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError(UNKNOWN_PRESET.format(preset=self.preset, choices=", ".join(PRESETS)))
        _check_range("epochs", self.epochs, 1, 500, whole=True)
        _check_range("val_fraction", self.val_fraction, 0.05, 0.9)
        if self.test_fraction:
            _check_range("test_fraction", self.test_fraction, 0.05, 0.5)
        self._check_patch_settings()
        _check_range("threshold", self.threshold, 0.0, 1.0)
        _check_range("seed", self.seed, 0, 2**31 - 1, whole=True)
        if self.batch_size is not None:
            _check_range("batch_size", self.batch_size, 1, MAX_BATCH, whole=True)
        if self.learning_rate is not None:
            _check_range("learning_rate", self.learning_rate, 1e-7, 1.0)
        if self.image_size is not None:
            _check_range("image_size", self.image_size, *IMAGE_SIZE_RANGE, whole=True)
        for name in ("augment", "mixed_precision"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ConfigError(NOT_A_SWITCH.format(name=name, value=getattr(self, name)))
        if self.distribute not in DISTRIBUTE_CHOICES:
            raise ConfigError(
                UNKNOWN_CHOICE.format(
                    name="distribute", value=self.distribute, choices=", ".join(DISTRIBUTE_CHOICES)
                )
            )
        if self.distribute != "none" and self.is_patch_preset:
            raise ConfigError(DISTRIBUTE_PATCH_PRESET.format(preset=self.preset))

    @property
    def is_patch_preset(self) -> bool:
        """Whether this preset trains on native-resolution patches (see :data:`PATCH_PRESETS`)."""
        return self.preset in PATCH_PRESETS

    def _check_patch_settings(self) -> None:
        given = [name for name in PATCH_SETTINGS if getattr(self, name) is not None]
        if given and not self.is_patch_preset:
            raise ConfigError(
                PATCH_SETTING_ONLY.format(name=given[0], preset=self.preset, presets=", ".join(PATCH_PRESETS))
            )
        if self.patch_size is not None:
            _check_range("patch_size", self.patch_size, 16, 256)
            if self.patch_size % 2:
                raise ConfigError(ODD_PATCH.format(value=self.patch_size))
        if self.native_max_side is not None:
            _check_range("native_max_side", self.native_max_side, 64, 1024)
        if self.patches_per_image is not None:
            _check_range("patches_per_image", self.patches_per_image, 1, 256)

    def resolved(self) -> TrainConfig:
        """A copy with every ``None`` replaced by the preset's default."""
        defaults = PRESET_DEFAULTS[self.preset]
        filled = {k: defaults[k] for k in defaults if getattr(self, k) is None}
        return dataclasses.replace(self, **filled)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def _check_range(name: str, value: object, low: float, high: float, *, whole: bool = False) -> None:
    """Refuse anything but a number (a whole one when ``whole``) from ``low`` to ``high``: NaN, text, True."""
    kind = numbers.Integral if whole else numbers.Real
    number = isinstance(value, kind) and not isinstance(value, bool | np.bool_)
    if not (number and low <= value <= high):  # type: ignore[operator]
        raise ConfigError(OUT_OF_RANGE.format(name=name, low=low, high=high, value=value))
