"""Face sets read from several folders at once, each image tagged with its ``source``.

Each folder is read as :mod:`core.data.datasets` reads one (any of its layouts, one class
or both) and keeps its labels and group attributes; the combined set adds a ``source``
group column (the folder's name unless a manifest names it), so splits can stratify by
source and class (:func:`core.data.split.split_strata`) and results can be broken down by
source. A group attribute that only some folders have is ``"unknown"`` for the others.

Folders are given as a list (``--data A --data B``), or in a manifest: a ``.csv`` file with a
``folder`` column and an optional ``source`` column (folders relative to the manifest's
own folder), e.g.::

    folder,source
    hardfakevsrealfaces,hard
    other-sources/lfw,lfw

The combined set's ``root`` is the folders' deepest common folder and its ``paths`` are
relative to it, so every image still opens as ``Path(root, path)``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import datasets
from core.data.faceset import FaceSet, SkippedFile
from core.data.layouts import UNKNOWN_GROUP
from core.data.split import SOURCE_COLUMN
from core.errors import (
    CSV_UNREADABLE,
    MANIFEST_COLUMNS,
    MANIFEST_EMPTY,
    NO_SUCH_FOLDER,
    NOT_A_FOLDER,
    SOURCE_COLUMN_TAKEN,
    SOURCE_NAMED_TWICE,
    DataError,
)
from core.paths import user_path

MANIFEST_FOLDER = "folder"
MANIFEST_SUFFIX = ".csv"


@dataclass(frozen=True)
class Source:
    """One folder of faces and the name its images carry in the ``source`` column."""

    folder: Path
    name: str


def parse_sources(entries: Sequence[str | os.PathLike[str]]) -> list[Source]:
    """The sources named by ``--data`` entries: each a folder, or a manifest file listing folders.

    Raises
    ------
    DataError
        If an entry does not exist, a manifest is malformed, or two sources share a name.
    """
    found: list[Source] = []
    for entry in entries:
        path = user_path(entry)
        if is_manifest(path):
            found.extend(read_manifest(path))
        elif path.is_dir():
            found.append(Source(path.resolve(), path.resolve().name))
        elif path.exists():
            raise DataError(NOT_A_FOLDER.format(path=path))
        else:
            raise DataError(NO_SUCH_FOLDER.format(path=path))
    _check_names(found)
    return found


def is_manifest(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a manifest: an existing file whose name ends in ``.csv``.

    Raises
    ------
    DataError
        As :func:`core.paths.user_path`, for a path that cannot be used at all.
    """
    path = user_path(path)
    return path.is_file() and path.suffix.lower() == MANIFEST_SUFFIX


def read_manifest(path: str | os.PathLike[str]) -> list[Source]:
    """The sources a manifest CSV lists (see the module docstring).

    Raises
    ------
    DataError
        If the file cannot be read, lacks a ``folder`` column, lists nothing, or names a
        folder that does not exist.
    """
    manifest = Path(path)
    try:
        table = pd.read_csv(manifest, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataError(
            CSV_UNREADABLE.format(file=manifest.name, path=manifest.parent, reason=error)
        ) from error
    columns = {c.strip().lower(): c for c in table.columns}
    if MANIFEST_FOLDER not in columns:
        raise DataError(MANIFEST_COLUMNS.format(file=manifest, columns=", ".join(table.columns) or "none"))
    rows = table[table[columns[MANIFEST_FOLDER]].str.strip() != ""]
    if rows.empty:
        raise DataError(MANIFEST_EMPTY.format(file=manifest))
    sources = []
    for _, row in rows.iterrows():
        folder = user_path(manifest.parent / row[columns[MANIFEST_FOLDER]].strip())
        if not folder.is_dir():
            raise DataError(NO_SUCH_FOLDER.format(path=folder))
        name = row[columns[SOURCE_COLUMN]].strip() if SOURCE_COLUMN in columns else ""
        sources.append(Source(folder.resolve(), name or folder.resolve().name))
    return sources


def scan_sources(sources: Sequence[Source]) -> FaceSet:
    """List every source's images (no pixels) as one set with a ``source`` group column.

    Raises
    ------
    DataError
        As :func:`core.data.datasets.scan` for any folder, or if a folder's own groups
        already have a ``source`` column.
    """
    _check_names(sources)
    parts = [datasets.scan(s.folder, name=s.name) for s in sources]
    for source, part in zip(sources, parts, strict=True):
        if SOURCE_COLUMN in part.groups.columns:
            raise DataError(SOURCE_COLUMN_TAKEN.format(path=source.folder))
    root = Path(os.path.commonpath([str(s.folder) for s in sources]))
    return combine(parts, [s.name for s in sources], root=root)


def combine(parts: Sequence[FaceSet], names: Sequence[str], *, root: Path) -> FaceSet:
    """Scanned sets as one, paths made relative to ``root``, with a ``source`` column."""
    prefixes = [Path(part.root).relative_to(root).as_posix() for part in parts]
    paths = [_join(prefix, p) for prefix, part in zip(prefixes, parts, strict=True) for p in part.paths]
    columns = list(dict.fromkeys(c for part in parts for c in part.groups.columns))
    groups = pd.concat(
        [
            part.groups.reindex(columns=columns).assign(**{SOURCE_COLUMN: name})
            for part, name in zip(parts, names, strict=True)
        ],
        ignore_index=True,
    ).fillna(UNKNOWN_GROUP)
    skipped = tuple(
        SkippedFile(_join(prefix, s.path), s.reason)
        for prefix, part in zip(prefixes, parts, strict=True)
        for s in part.skipped
    )
    return FaceSet(
        name=" + ".join(names),
        root=str(root),
        layout="sources",
        paths=tuple(paths),
        labels=np.concatenate([part.labels for part in parts]).astype(np.int8),
        groups=groups.astype(str),
        info=pd.concat([part.info for part in parts], ignore_index=True),
        skipped=skipped,
    )


def load_sources(
    sources: Sequence[Source],
    *,
    image_size: int | None = None,
    native_max_side: int | None = None,
    use_cache: bool = True,
    progress: datasets.Progress | None = None,
) -> FaceSet:
    """Scan and decode every source as one set; exactly one of ``image_size`` and ``native_max_side``.

    See :func:`core.data.datasets.load` for the decoding, the cache and the errors.
    """
    form = datasets.decoded_form(image_size=image_size, native_max_side=native_max_side)
    return datasets.decode_listed(scan_sources(sources), form=form, use_cache=use_cache, progress=progress)


def source_names(faceset: FaceSet) -> list[str]:
    """The sources of ``faceset`` in the order they first appear (empty for a single folder)."""
    if SOURCE_COLUMN not in faceset.groups.columns:
        return []
    return list(dict.fromkeys(faceset.groups[SOURCE_COLUMN]))


def redecode(
    faceset: FaceSet, *, image_size: int | None = None, native_max_side: int | None = None
) -> FaceSet:
    """``faceset``'s files decoded again in another form, keeping its labels, groups and order.

    Raises
    ------
    DataError
        If its files are no longer readable (``NO_VALID_IMAGES``).
    """
    form = datasets.decoded_form(image_size=image_size, native_max_side=native_max_side)
    listed = dataclasses.replace(faceset, images=None, image_size=0, native_max_side=0, skipped=())
    decoded = datasets.decode_listed(listed, form=form)
    return dataclasses.replace(decoded, skipped=faceset.skipped + decoded.skipped)


def _join(prefix: str, path: str) -> str:
    return path if prefix in ("", ".") else f"{prefix}/{path}"


def _check_names(sources: Sequence[Source]) -> None:
    seen: dict[str, Path] = {}
    for source in sources:
        if source.name in seen:
            raise DataError(
                SOURCE_NAMED_TWICE.format(name=source.name, first=seen[source.name], second=source.folder)
            )
        seen[source.name] = source.folder
