"""Find, list and decode a folder of face images into a :class:`~core.data.faceset.FaceSet`.

:func:`scan` lists files with their labels and groups (no pixels); :func:`load` also
decodes them, in parallel threads (Pillow releases the GIL while decoding and resizing;
on 2 cores threads beat processes, which pay to send every array back, see
``bench/bench_datasets.py``), and keeps the result in :mod:`core.data.cache`.

Layouts (see :mod:`core.data.layouts` for the details of each), tried in this order by
``layout="auto"``:

1. ``labels_csv``: the folder has a ``labels.csv`` (wins even when real/ and fake/ exist);
2. ``real_fake_folders``: the folder has ``real/`` and/or ``fake/`` subfolders;
3. ``utkface``: most image files in the folder are named ``age_gender_race_...``.

A folder holding a ``manifest.json`` with ``"generator": "unmask-demo"`` is the built-in
demo set: it is called "synthetic demo data" and flagged ``is_demo``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from core.data.cache import INFO_COLUMNS, NATIVE_FACTOR, Decoded, cache_key, read_cache, write_cache
from core.data.demo import DEMO_NAME, is_demo_folder
from core.data.faceset import FaceSet, Layout, SkippedFile
from core.data.images import MAX_SIZE, MIN_SIDE, ImageInfo, decode_native_with_info, decode_with_info
from core.data.layouts import (
    LABELS_CSV,
    Listing,
    class_folders,
    list_labels_csv,
    list_real_fake,
    list_utkface,
    looks_like_utkface,
)
from core.errors import (
    DECODE_FORM,
    LAYOUT_MISMATCH,
    NO_SUCH_FOLDER,
    NO_VALID_IMAGES,
    NOT_A_FOLDER,
    ONE_CLASS,
    OUT_OF_RANGE,
    UNKNOWN_LAYOUT,
    UNKNOWN_LAYOUT_CHOICE,
    ConfigError,
    DataError,
    ImageError,
)
from core.paths import path_errors, user_path

LayoutChoice = Literal["auto", "labels_csv", "real_fake_folders", "utkface"]
#: How a set is decoded: ``("square", side)`` or ``("native", max_side)``; see :func:`decoded_form`.
Form = tuple[Literal["square", "native"], int]
LAYOUTS: tuple[Layout, ...] = ("labels_csv", "real_fake_folders", "utkface")
#: ``progress(done, total)`` is called about this many times per decode, and at the end.
PROGRESS_STEPS = 100

Progress = Callable[[int, int], None]
_LISTERS: dict[str, Callable[[Path], Listing]] = {
    "labels_csv": list_labels_csv,
    "real_fake_folders": list_real_fake,
    "utkface": list_utkface,
}


def detect_layout(root: str | os.PathLike[str]) -> Layout:
    """How ``root`` is laid out: ``labels_csv``, then ``real_fake_folders``, then ``utkface``.

    Raises
    ------
    DataError
        ``NO_SUCH_FOLDER``, ``NOT_A_FOLDER``, or ``UNKNOWN_LAYOUT`` when none fits.
    """
    folder = _folder(root)
    if (folder / LABELS_CSV).is_file():
        return "labels_csv"
    if class_folders(folder):
        return "real_fake_folders"
    if looks_like_utkface(folder):
        return "utkface"
    raise DataError(UNKNOWN_LAYOUT.format(path=folder))


def scan(root: str | os.PathLike[str], *, layout: LayoutChoice = "auto", name: str | None = None) -> FaceSet:
    """List the images in ``root`` with labels and groups, without decoding them.

    Parameters
    ----------
    root : path
        The data folder.
    layout : {"auto", "labels_csv", "real_fake_folders", "utkface"}, default "auto"
        How the folder is laid out; "auto" uses :func:`detect_layout`.
    name : str, optional
        What to call the set; defaults to the folder's name, or "synthetic demo data".

    Returns
    -------
    FaceSet
        With ``images=None``, ``image_size=0`` and ``info`` holding only ``bytes``.

    Raises
    ------
    DataError
        If the folder is missing, its layout unknown or wrong, its csv files malformed,
        or it lists no image at all (``NO_VALID_IMAGES``).
    ConfigError
        If ``layout`` is not one of the choices.
    """
    folder = _folder(root)
    with path_errors(folder):  # a file that vanishes or a folder that may not be read mid-scan
        chosen = _choose_layout(folder, layout)
        listing = _LISTERS[chosen](folder)
        if not listing.paths:
            raise DataError(NO_VALID_IMAGES.format(path=folder, n_skipped=len(listing.skipped)))
        demo = is_demo_folder(folder)
        sizes = [os.stat(folder / p).st_size for p in listing.paths]
    n = len(listing.paths)
    return FaceSet(
        name=name or (DEMO_NAME if demo else folder.name),
        root=str(folder),
        layout=chosen,
        paths=tuple(listing.paths),
        labels=np.asarray(listing.labels, dtype=np.int8),
        groups=pd.DataFrame(listing.groups, index=pd.RangeIndex(n)).astype(str),
        info=pd.DataFrame({"bytes": sizes}),
        skipped=tuple(listing.skipped),
        is_demo=demo,
    )


def load(
    root: str | os.PathLike[str],
    *,
    layout: LayoutChoice = "auto",
    image_size: int | None = None,
    native_max_side: int | None = None,
    use_cache: bool = True,
    progress: Progress | None = None,
    name: str | None = None,
) -> FaceSet:
    """Scan ``root`` and decode every image, to ``image_size`` squares or at native resolution.

    Unreadable images are left out and listed in ``skipped`` with the reason. Decoded
    pixels are cached on disk (:mod:`core.data.cache`) unless ``use_cache`` is False.

    Parameters
    ----------
    root, layout, name
        As for :func:`scan`.
    image_size : int, optional
        Side of the square images, between 8 and 1024.
    native_max_side : int, optional
        Instead of ``image_size``: keep each image at its own size, reduced by an integer
        factor where a side is over this (:func:`core.data.images.decode_native_with_info`).
        Exactly one of the two must be given.
    use_cache : bool, default True
        Read and write the on-disk cache.
    progress : callable(done, total), optional
        Called from the calling thread as images are decoded (about
        :data:`PROGRESS_STEPS` times), and once with ``(total, total)`` on a cache hit.

    Returns
    -------
    FaceSet
        With ``images`` of shape (n, image_size, image_size, 3), uint8 (or, natively, one
        ``(h, w, 3)`` array per image), and ``info`` holding ``width``, ``height``,
        ``format``, ``mode`` and ``bytes`` (and ``native_factor``).

    Raises
    ------
    DataError
        As :func:`scan`, or ``NO_VALID_IMAGES`` when no image could be decoded.
    ConfigError
        If ``image_size``, ``native_max_side`` or ``layout`` is out of range, or not
        exactly one of ``image_size`` and ``native_max_side`` is given.
    """
    form = decoded_form(image_size=image_size, native_max_side=native_max_side)
    listed = scan(root, layout=layout, name=name)
    return decode_listed(listed, form=form, use_cache=use_cache, progress=progress)


def decoded_form(*, image_size: int | None, native_max_side: int | None) -> Form:
    """Check that exactly one of the two is given and in range; return it as a :data:`Form`.

    Raises
    ------
    ConfigError
        ``DECODE_FORM`` if both or neither is given, ``OUT_OF_RANGE`` if out of range.
    """
    if (image_size is None) == (native_max_side is None):
        raise ConfigError(DECODE_FORM.format(image_size=image_size, native_max_side=native_max_side))
    name, value = (
        ("image_size", image_size) if native_max_side is None else ("native_max_side", native_max_side)
    )
    if not MIN_SIDE <= value <= MAX_SIZE:
        raise ConfigError(OUT_OF_RANGE.format(name=name, low=MIN_SIDE, high=MAX_SIZE, value=value))
    return ("square", value) if native_max_side is None else ("native", value)


def decode_listed(
    listed: FaceSet, *, form: Form, use_cache: bool = True, progress: Progress | None = None
) -> FaceSet:
    """Decode the files a scanned FaceSet lists (under its ``root``), keeping labels and groups.

    ``form`` comes from :func:`decoded_form`. Used by :func:`load`, and to decode a set
    that was listed some other way (several sources, see :mod:`core.data.sources`).

    Raises
    ------
    DataError
        ``NO_VALID_IMAGES`` when no image could be decoded.
    """
    decoded = _decode_cached(listed, form=form, use_cache=use_cache, progress=progress)
    skipped = listed.skipped + decoded.skipped
    if len(decoded.kept) == 0:
        raise DataError(NO_VALID_IMAGES.format(path=listed.root, n_skipped=len(skipped)))
    kind, value = form
    return dataclasses.replace(
        listed.subset(decoded.kept),
        images=decoded.images,
        image_size=value if kind == "square" else 0,
        native_max_side=value if kind == "native" else 0,
        info=decoded.info,
        skipped=skipped,
    )


def decode_files(
    root: str | os.PathLike[str],
    paths: Sequence[str],
    *,
    size: int | None = None,
    native_max_side: int | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Decoded:
    """Decode ``paths`` (relative to ``root``) in a thread pool, keeping the ones that work.

    To ``size`` squares, or with ``native_max_side`` at native resolution (one array per
    image, and a ``native_factor`` info column). ``workers`` defaults to the number of
    CPUs. See :class:`~core.data.cache.Decoded`.
    """
    n = len(paths)
    native = native_max_side is not None
    images = np.empty(n, dtype=object) if native else np.empty((n, size, size, 3), dtype=np.uint8)
    infos: list[ImageInfo | None] = [None] * n
    factors = np.ones(n, dtype=int)
    skipped: list[SkippedFile] = []

    def work(i: int) -> str | None:
        try:
            if native:
                images[i], infos[i], factors[i] = decode_native_with_info(
                    Path(root, paths[i]), max_side=native_max_side
                )
            else:
                images[i], infos[i] = decode_with_info(Path(root, paths[i]), size=size)
        except ImageError as error:
            return str(error)
        return None

    step = max(1, n // PROGRESS_STEPS)
    pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1)
    try:
        for done, error in enumerate(pool.map(work, range(n)), 1):
            if error is not None:
                skipped.append(SkippedFile(paths[done - 1], error))
            if progress is not None and (done % step == 0 or done == n):
                progress(done, n)
    finally:
        # If progress raises (a user cancelled), drop the queued images instead of decoding them all.
        pool.shutdown(wait=True, cancel_futures=True)
    kept = np.array([i for i in range(n) if infos[i] is not None], dtype=int)
    info = pd.DataFrame([dataclasses.asdict(infos[i]) for i in kept], columns=list(INFO_COLUMNS))
    if native:
        info[NATIVE_FACTOR] = factors[kept]
    return Decoded(
        images=images if len(kept) == n else images[kept], kept=kept, info=info, skipped=tuple(skipped)
    )


def require_both_classes(faceset: FaceSet) -> None:
    """Raise ``ONE_CLASS`` unless ``faceset`` holds both real and fake images.

    Raises
    ------
    DataError
        If one class (or both) is missing; training and evaluation need both.
    """
    if faceset.n_real == 0 or faceset.n_fake == 0:
        present = "real" if faceset.n_real else "fake" if faceset.n_fake else "no"
        raise DataError(ONE_CLASS.format(present=present, path=faceset.root))


def _decode_cached(listed: FaceSet, *, form: Form, use_cache: bool, progress: Progress | None) -> Decoded:
    kind, value = form
    key = None
    if use_cache:
        named = value if kind == "square" else f"native<={value}"
        try:
            key = cache_key(listed.root, layout=listed.layout, paths=listed.paths, image_size=named)
        except OSError:  # a file vanished since the scan: decode without the cache
            key = None
    cached = read_cache(key, listed.paths) if key else None
    if cached is not None:
        if progress is not None:
            progress(len(listed), len(listed))
        return cached
    sizes = {"size": value} if kind == "square" else {"native_max_side": value}
    decoded = decode_files(listed.root, listed.paths, progress=progress, **sizes)
    if key:
        write_cache(key, decoded, listed.paths)
    return decoded


def _folder(root: str | os.PathLike[str]) -> Path:
    path = user_path(root)
    with path_errors(path):
        if not path.exists():
            raise DataError(NO_SUCH_FOLDER.format(path=path))
        if not path.is_dir():
            raise DataError(NOT_A_FOLDER.format(path=path))
        return path.resolve()


def _choose_layout(folder: Path, layout: str) -> Layout:
    if layout == "auto":
        return detect_layout(folder)
    if layout not in LAYOUTS:
        raise ConfigError(UNKNOWN_LAYOUT_CHOICE.format(layout=layout, choices=", ".join(("auto", *LAYOUTS))))
    if layout == "labels_csv" and not (folder / LABELS_CSV).is_file():
        raise DataError(LAYOUT_MISMATCH.format(path=folder, layout=layout, why="it has no labels.csv"))
    if layout == "real_fake_folders" and not class_folders(folder):
        raise DataError(
            LAYOUT_MISMATCH.format(path=folder, layout=layout, why="it has no real/ or fake/ folder")
        )
    return layout  # type: ignore[return-value]


def decoded_chunks(
    listed: FaceSet, *, form: Form, chunk_size: int, workers: int | None
) -> Iterator[tuple[int, Decoded]]:
    """``(start, decoded chunk)`` of the files ``listed`` names, in order, ``chunk_size`` at a time.

    The next chunk decodes while the caller uses this one, so at most two chunks of pixels
    exist at once (for streamed scoring, :mod:`core.evaluation.streaming`, and for training
    sets kept on disk, :mod:`core.data.ondisk`). ``decoded.kept`` is relative to ``start``.
    """
    kind, value = form
    sizes = {"size": value} if kind == "square" else {"native_max_side": value}
    starts = range(0, len(listed), max(1, chunk_size))

    def decode(start: int) -> Decoded:
        paths = listed.paths[start : start + chunk_size]
        return decode_files(listed.root, paths, workers=workers, **sizes)

    # One background thread runs decode_files (itself a pool of decoding threads) one chunk ahead.
    ahead = ThreadPoolExecutor(max_workers=1)
    try:
        pending: Future[Decoded] | None = ahead.submit(decode, starts[0]) if starts else None
        for i, start in enumerate(starts):
            decoded = pending.result()  # type: ignore[union-attr]
            pending = ahead.submit(decode, starts[i + 1]) if i + 1 < len(starts) else None
            yield start, decoded
            del decoded  # the caller is done with it: only the chunk decoding ahead is held now
    finally:
        ahead.shutdown(wait=True, cancel_futures=True)
