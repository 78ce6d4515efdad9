"""Training/validation (and test) split, and a check that no file sits on both sides of it.

A set read from several sources (:mod:`core.data.sources`) carries a ``source`` group
column; its splits are stratified by source *and* class, so every source keeps its
share of each class on both sides.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import numpy as np

from core.data.faceset import FaceSet
from core.errors import (
    LEAKAGE_NO_SOURCE,
    OUT_OF_RANGE,
    SPLIT_STRATUM_TOO_SMALL,
    SPLIT_TOO_SMALL,
    ConfigError,
    DataError,
)
from core.labels import CLASS_NAMES, FAKE, REAL

HashSource = Literal["auto", "files", "pixels"]
#: The group column naming each image's source in a set read from several folders.
SOURCE_COLUMN = "source"
#: Seed of the held-out test split: fixed, so every training seed holds out the same images.
TEST_SPLIT_SEED = 20_240_917


def split_strata(faceset: FaceSet) -> np.ndarray:
    """What splits of ``faceset`` stratify on: ``"<source>/<class>"`` per image, or the class alone.

    Examples
    --------
    >>> import pandas as pd
    >>> from core.data.faceset import FaceSet
    >>> groups = pd.DataFrame({"source": ["lfw", "hard"]})
    >>> two = FaceSet("x", "/", "sources", ("a", "b"), np.array([1, 0]), groups)
    >>> split_strata(two).tolist()
    ['lfw/real', 'hard/fake']
    """
    classes = np.array([CLASS_NAMES[int(label)] for label in faceset.labels], dtype=object)
    if SOURCE_COLUMN not in faceset.groups.columns:
        return classes.astype(str)
    return (faceset.groups[SOURCE_COLUMN].to_numpy(dtype=object) + "/" + classes).astype(str)


def three_way_split(
    faceset: FaceSet, *, val_fraction: float, test_fraction: float = 0.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of the training, validation and test images of ``faceset``.

    With ``test_fraction`` > 0, that share is held out first with :data:`TEST_SPLIT_SEED`
    (the same images whatever ``seed``); the rest is split by ``seed`` as
    :func:`split_indices` does. All splits stratify by :func:`split_strata`.

    Returns
    -------
    train, val, test : ndarray of int
        Sorted; ``test`` is empty when ``test_fraction`` is 0.

    Raises
    ------
    DataError, ConfigError
        As :func:`split_indices`.
    """
    strata = split_strata(faceset)
    rest, test = np.arange(len(faceset)), np.zeros(0, dtype=int)
    if test_fraction:
        rest, test = split_indices(
            faceset.labels,
            val_fraction=test_fraction,
            seed=TEST_SPLIT_SEED,
            strata=strata,
            name="test_fraction",
        )
    train, val = split_indices(
        faceset.labels[rest], val_fraction=val_fraction, seed=seed, strata=strata[rest]
    )
    return rest[train], rest[val], test


def split_indices(
    labels: np.ndarray,
    *,
    val_fraction: float = 0.25,
    seed: int = 0,
    strata: np.ndarray | None = None,
    name: str = "val_fraction",
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
    strata : array-like of str, shape (n,), optional
        Stratify on these instead of the labels (see :func:`split_strata`).
    name : str, default "val_fraction"
        What to call the fraction in error messages.

    Returns
    -------
    train, val : ndarray of int
        Sorted positions into ``labels``; together they cover every position once.

    Raises
    ------
    ConfigError
        If ``val_fraction`` is not strictly between 0 and 1.
    DataError
        ``SPLIT_TOO_SMALL`` if a class has too few images for both parts to get some, or
        ``SPLIT_STRATUM_TOO_SMALL`` naming the stratum that has.
    """
    from sklearn.model_selection import train_test_split  # slow to import; only when splitting

    labels = np.asarray(labels)
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(OUT_OF_RANGE.format(name=name, low=0, high=1, value=val_fraction))
    stratify = labels if strata is None else np.asarray(strata)
    try:
        train, val = train_test_split(
            np.arange(len(labels)), test_size=val_fraction, stratify=stratify, random_state=seed
        )
    except ValueError as error:
        raise _too_small(labels, strata, name, val_fraction) from error
    return np.sort(train), np.sort(val)


def _too_small(labels: np.ndarray, strata: np.ndarray | None, name: str, fraction: float) -> DataError:
    n_real, n_fake = int((labels == REAL).sum()), int((labels == FAKE).sum())
    if strata is None or min(n_real, n_fake) < 2:
        return DataError(SPLIT_TOO_SMALL.format(n_real=n_real, n_fake=n_fake, val_fraction=fraction))
    values, counts = np.unique(np.asarray(strata), return_counts=True)
    smallest = int(np.argmin(counts))
    return DataError(
        SPLIT_STRATUM_TOO_SMALL.format(
            name=name, fraction=fraction, stratum=values[smallest], n=counts[smallest]
        )
    )


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
