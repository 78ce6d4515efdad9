"""The knobs the ``artifacts`` experiments turn, applied inside a training worker.

A :class:`ArtifactVariant` is data: :class:`core.model.config.TrainConfig` settings
(patch size, patches per image, batch, rate, degradation on or off) and module
attributes of ``core`` that are design constants rather than user settings (the
front-end, the filter counts, the degradation's strength). :func:`apply_artifact_variant`
sets the latter in a fresh worker process before anything is built; training is the
product's own code path (:func:`core.model.train.train`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ArtifactVariant:
    """One design of the ``artifacts`` preset; fields left at None keep the preset's default."""

    name: str
    description: str
    patch_size: int | None = None
    patches_per_image: int | None = None
    batch_size: int | None = None
    learning_rate: float | None = None
    degrade: bool | None = None
    native_max_side: int | None = None
    front_end: str | None = None
    stem_filters: int | None = None
    filters: tuple[int, ...] | None = None
    degradation: dict[str, Any] | None = None  # fields of core.model.patches.Degradation
    balance_at_threshold: bool | None = None  # core.model.patches.BALANCE_AT_THRESHOLD

    def config_overrides(self) -> dict[str, Any]:
        """The :class:`~core.model.config.TrainConfig` fields this variant sets."""
        names = ("patch_size", "patches_per_image", "batch_size", "learning_rate", "degrade")
        names += ("native_max_side",)
        return {k: getattr(self, k) for k in names if getattr(self, k) is not None}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


BASELINE = ArtifactVariant("preset", "the artifacts preset as it is in core (core.model.config / artifacts)")

#: The first preset's settings (96 px patches, 4 per image per epoch, an unweighted loss), which the
#: first variants changed one at a time; spelled out so that those names keep their meaning.
FIRST = {"patch_size": 96, "patches_per_image": 4, "balance_at_threshold": False}
#: What 64 px variants kept from the first preset.
P64 = {"patch_size": 64, "balance_at_threshold": False}

ARTIFACT_VARIANTS: dict[str, ArtifactVariant] = {
    v.name: v
    for v in (
        BASELINE,
        ArtifactVariant("first", "the first preset: 96 px patches, 4 per image, loss unweighted", **FIRST),
        ArtifactVariant("rgb", "first preset, no front-end: RGB pixels", front_end="rgb", **FIRST),
        ArtifactVariant(
            "npr_mean", "first preset, residual to the 2x2 block mean", front_end="npr_mean", **FIRST
        ),
        ArtifactVariant("no_degrade", "first preset, no JPEG / blur / re-scaling", degrade=False, **FIRST),
        ArtifactVariant("patch64", "64 px patches, 9 per image per epoch", patches_per_image=9, **P64),
        ArtifactVariant("p64_ppi16", "64 px patches, 16 per image per epoch", patches_per_image=16, **P64),
        ArtifactVariant(
            "p64_mid",
            "64 px patches (9 per image), filters 24/48/96, stem 24",
            patches_per_image=9,
            stem_filters=24,
            filters=(24, 48, 96),
            **P64,
        ),
        ArtifactVariant(
            "p64_lr4e-3",
            "64 px patches (9 per image), Adam 4e-3",
            patches_per_image=9,
            learning_rate=4e-3,
            **P64,
        ),
        ArtifactVariant(
            "p64_balanced",
            "64 px patches (9 per image), loss weighted so P(real) crosses 0.75 where the evidence balances",
            patch_size=64,
            patches_per_image=9,
            balance_at_threshold=True,
        ),
        ArtifactVariant(
            "p64_ppi16_bal",
            "64 px patches, 16 per image per epoch, loss balanced at the threshold",
            patch_size=64,
            patches_per_image=16,
            balance_at_threshold=True,
        ),
        ArtifactVariant(
            "p48_ppi16_bal",
            "48 px patches, 16 per image per epoch, loss balanced at the threshold",
            patch_size=48,
            patches_per_image=16,
            balance_at_threshold=True,
        ),
        # Several sources hold about 2.5 times the Hard set's images: fewer patches per image keep a
        # fold within this machine's time (the epoch is patches per image x images).
        ArtifactVariant("loso", "the preset, 4 patches per image per epoch", patches_per_image=4),
        ArtifactVariant(
            "loso_no_degrade",
            "the preset, 4 patches per image, no degradation",
            patches_per_image=4,
            degrade=False,
        ),
        ArtifactVariant(
            "loso_max1024",
            "the preset, 4 patches per image, images native up to 1024 px",
            patches_per_image=4,
            native_max_side=1024,
        ),
        ArtifactVariant(
            "strong_degrade",
            "degradation more often and stronger: rescale 0.5 (0.6-1.5), blur 0.3, JPEG 0.8 (50-98)",
            degradation={
                "rescale": 0.5,
                "rescale_range": (0.6, 1.5),
                "blur": 0.3,
                "jpeg": 0.8,
                "jpeg_quality": (50, 98),
            },
        ),
    )
}


def apply_artifact_variant(variant: ArtifactVariant) -> None:
    """Set ``variant``'s design constants in this process; call before any model is built."""
    import core.model.artifacts
    import core.model.patches

    if variant.front_end is not None:
        core.model.artifacts.FRONT_END = variant.front_end
    if variant.stem_filters is not None:
        core.model.artifacts.STEM_FILTERS = variant.stem_filters
    if variant.filters is not None:
        core.model.artifacts.FILTERS = variant.filters
    if variant.balance_at_threshold is not None:
        core.model.patches.BALANCE_AT_THRESHOLD = variant.balance_at_threshold
    if variant.degradation is not None:
        core.model.patches.DEFAULT = dataclasses.replace(core.model.patches.DEFAULT, **variant.degradation)
