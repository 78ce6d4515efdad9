"""Training/validation split, and a check that no file sits on both sides of it."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import numpy as np

from core.data.faceset import FaceSet
from core.errors import LEAKAGE_NO_SOURCE, OUT_OF_RANGE, SPLIT_TOO_SMALL, ConfigError, DataError
from core.labels import FAKE, REAL

HashSource = Literal["auto", "files", "pixels"]


def split_indices(
    labels: np.ndarray, *, val_fraction: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded positions of the training and validation images.

    The validation part has ``ceil(n * val_fraction)`` images (scikit-learn's rounding),
    with the real/fake ratio of the whole; on the Hard set (589 real + 700 fake) the
    default gives 966 training and 323 validation images, as in the paper. The same
    labels and seed give the same split on any machine.

    Parameters
    ----------
    labels : array-like of int, shape (n,)
        1 real, 0 fake.
    val_fraction : float, default 0.25
        Share held out for validation, strictly between 0 and 1.
    seed : int, default 0
        Random seed of the shuffle.

    Returns
    -------
    train, val : ndarray of int
        Sorted positions into ``labels``; together they cover every position once.

    Raises
    ------
    ConfigError
        If ``val_fraction`` is not strictly between 0 and 1.
    DataError
        ``SPLIT_TOO_SMALL`` if a class has too few images for both parts to get some.
    """
    from sklearn.model_selection import train_test_split  # slow to import; only when splitting

    labels = np.asarray(labels)
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(OUT_OF_RANGE.format(name="val_fraction", low=0, high=1, value=val_fraction))
    try:
        train, val = train_test_split(
            np.arange(len(labels)), test_size=val_fraction, stratify=labels, random_state=seed
        )
    except ValueError as error:
        n_real, n_fake = int((labels == REAL).sum()), int((labels == FAKE).sum())
        raise DataError(
            SPLIT_TOO_SMALL.format(n_real=n_real, n_fake=n_fake, val_fraction=val_fraction)
        ) from error
    return np.sort(train), np.sort(val)


def leakage_report(
    faceset: FaceSet, train_idx: np.ndarray, val_idx: np.ndarray, *, source: HashSource = "auto"
) -> list[tuple[str, str]]:
    """Pairs of identical images that ended up on both sides of a split.

    Parameters
    ----------
    faceset : FaceSet
        The set that was split.
    train_idx, val_idx : ndarray of int
        Positions from :func:`split_indices`.
    source : {"auto", "files", "pixels"}, default "auto"
        Compare the files' bytes (SHA-256), or the decoded pixels. "auto" uses the files
        when they are all on disk, else the pixels.

    Returns
    -------
    list of (train_path, val_path)
        Every byte-identical (or pixel-identical) pair, sorted; empty when there is none.

    Raises
    ------
    DataError
        ``LEAKAGE_NO_SOURCE`` if the chosen source is not available.
    """
    digests = _digests(faceset, _source(faceset, source))
    by_digest: dict[str, list[str]] = {}
    for i in train_idx:
        by_digest.setdefault(digests[i], []).append(faceset.paths[i])
    pairs = [(train_path, faceset.paths[j]) for j in val_idx for train_path in by_digest.get(digests[j], [])]
    return sorted(pairs)


def _source(faceset: FaceSet, source: HashSource) -> Literal["files", "pixels"]:
    on_disk = all(Path(faceset.root, p).is_file() for p in faceset.paths)
    if source == "auto":
        source = "files" if on_disk else "pixels"
    if (source == "files" and not on_disk) or (source == "pixels" and faceset.images is None):
        raise DataError(LEAKAGE_NO_SOURCE.format(name=faceset.name))
    return source


def _digests(faceset: FaceSet, source: Literal["files", "pixels"]) -> list[str]:
    if source == "pixels":
        return [hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest() for image in faceset.images]
    return [hashlib.sha256(Path(faceset.root, p).read_bytes()).hexdigest() for p in faceset.paths]
