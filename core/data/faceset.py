"""The in-memory face data set that every other module works on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

Layout = Literal["real_fake_folders", "utkface", "labels_csv", "sources"]


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not used, and why (in words a user understands)."""

    path: str
    reason: str


@dataclass(frozen=True)
class FaceSet:
    """Decoded face images with their labels and group attributes.

    Attributes
    ----------
    name : str
        What to call it on screen, e.g. ``"synthetic demo data"``.
    root : str
        The folder it was read from.
    layout : Layout
        How the folder was laid out.
    paths : tuple of str
        Each image's path relative to ``root`` (POSIX separators), length n.
    labels : ndarray of int8, shape (n,)
        1 real, 0 fake (see :mod:`core.labels`).
    groups : DataFrame, n rows, index 0..n-1
        Group attributes (``race``, ``gender``, ``age_band``, ``skin_tone``, or a
        labels.csv's extra columns) as strings; empty columns if none.
    images : ndarray of uint8, shape (n, image_size, image_size, 3), or of object, shape (n,), or None
        RGB pixels, 0-255; ``None`` when only scanned. A set decoded at native resolution
        (``native_max_side > 0``) holds one ``(h, w, 3)`` uint8 array per image instead.
    image_size : int
        Side of the square the images were resized to (0 when not decoded, or decoded natively).
    info : DataFrame, n rows
        Per image as found on disk: ``width``, ``height``, ``format``, ``mode``, ``bytes``;
        a native decode adds ``native_factor``, the integer reduction applied.
    skipped : tuple of SkippedFile
        Files that were left out, with reasons.
    is_demo : bool
        True for the built-in synthetic demo set.
    native_max_side : int
        0 for square resized images; else the images are at their own size, reduced by an
        integer factor where a side was over this (see :func:`core.data.images.decode_native_with_info`).
    """

    name: str
    root: str
    layout: Layout
    paths: tuple[str, ...]
    labels: np.ndarray
    groups: pd.DataFrame
    images: np.ndarray | None = None
    image_size: int = 0
    info: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: tuple[SkippedFile, ...] = ()
    is_demo: bool = False
    native_max_side: int = 0

    def __len__(self) -> int:
        return len(self.paths)

    @property
    def n_real(self) -> int:
        return int((self.labels == 1).sum())

    @property
    def n_fake(self) -> int:
        return int((self.labels == 0).sum())

    @property
    def is_native(self) -> bool:
        """Whether the images are at native resolution (one array per image, any size)."""
        return self.native_max_side > 0

    @property
    def attributes(self) -> list[str]:
        """Names of the group attributes this set carries."""
        return list(self.groups.columns)

    def subset(self, index: np.ndarray) -> FaceSet:
        """The images at ``index`` (positions), with everything re-indexed from 0."""
        index = np.asarray(index, dtype=int)
        return FaceSet(
            name=self.name,
            root=self.root,
            layout=self.layout,
            paths=tuple(self.paths[i] for i in index),
            labels=self.labels[index],
            groups=self.groups.iloc[index].reset_index(drop=True),
            images=None if self.images is None else self.images[index],
            image_size=self.image_size,
            info=self.info.iloc[index].reset_index(drop=True) if len(self.info) else self.info,
            skipped=self.skipped,
            is_demo=self.is_demo,
            native_max_side=self.native_max_side,
        )
