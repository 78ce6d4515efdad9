"""The three folder layouts Unmask reads, as lists of files with labels and groups.

No pixels are read here; :mod:`core.data.datasets` turns a :class:`Listing` into a FaceSet.

- **labels_csv**: a ``labels.csv`` with ``path`` and ``label`` columns (any case) and any
  other columns as group attributes. Paths are relative to the folder (``\\`` is read as
  ``/``); an absolute path or one that climbs out of the folder is an error. Listed files
  that are missing are skipped with the reason; files not listed are ignored. A blank
  group cell becomes ``"unknown"``.
- **real_fake_folders**: ``real/`` and ``fake/`` (any case), searched recursively. Files
  that are not images are skipped *with a reason* inside these folders, because someone
  put them where images belong; elsewhere they are ignored. An optional ``data.csv``
  (``images_id,label``) is checked against the folders (see :func:`check_data_csv`).
- **utkface**: files named ``age_gender_race_datetime.jpg[.chip.jpg]``, all real photos,
  with groups ``race``, ``gender`` and ``age_band``. A name that does not parse is
  skipped with the reason; its groups are never guessed.

Everywhere: hidden files and folders (``.DS_Store``, ``.git``, ``__MACOSX``) are ignored,
links to folders are not followed, and a link to a file outside the data folder, or to
nothing (dangling, or a loop of links), is skipped. Paths are kept as ``str`` exactly as
the file system gives them, so names with non-UTF-8 bytes (surrogate-escaped by Python)
still open.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.data.faceset import SkippedFile
from core.data.images import IMAGE_EXTENSIONS, is_image_name
from core.errors import (
    CSV_DISAGREES,
    CSV_UNREADABLE,
    DATA_CSV_BAD_LABEL,
    DATA_CSV_COLUMNS,
    LABELS_CSV_BAD_LABEL,
    LABELS_CSV_BAD_PATH,
    LABELS_CSV_COLUMNS,
    SKIP_BROKEN_LINK,
    SKIP_LINK_OUTSIDE,
    SKIP_LINKED_FOLDER,
    SKIP_LISTED_MISSING,
    SKIP_LISTED_TWICE,
    SKIP_NOT_IMAGE_TYPE,
    SKIP_UTKFACE_NAME,
    DataError,
)
from core.labels import CLASS_NAMES, FAKE, REAL

LABELS_CSV = "labels.csv"
DATA_CSV = "data.csv"
CLASS_FOLDERS: dict[str, int] = {"real": REAL, "fake": FAKE}
UTKFACE_RACES = ("White", "Black", "Asian", "Indian", "Others")
UTKFACE_GENDERS = ("male", "female")
#: (lowest age, highest age, band name); the last band is open-ended.
AGE_BANDS = ((0, 17, "0-17"), (18, 29, "18-29"), (30, 44, "30-44"), (45, 59, "45-59"), (60, 200, "60+"))
UTKFACE_MAX_AGE = 116
UNKNOWN_GROUP = "unknown"

_JUNK_NAMES = {"thumbs.db", "desktop.ini", "__macosx"}
_UTKFACE_START = re.compile(r"^\d+_\d+_\d+")
_LABEL_WORDS = {"1": REAL, "real": REAL, "0": FAKE, "fake": FAKE}


@dataclass
class Listing:
    """Files found in a folder, before decoding: parallel lists plus what was skipped."""

    paths: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)


def parse_label(value: object) -> int | None:
    """1 for ``1``/``real``, 0 for ``0``/``fake`` (any case, spaces ignored), else None."""
    return _LABEL_WORDS.get(str(value).strip().lower())


def class_folders(root: Path) -> list[tuple[Path, int]]:
    """The ``real/`` and ``fake/`` folders directly under ``root`` (any case), with labels."""
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        label = CLASS_FOLDERS.get(entry.name.lower())
        if label is not None and entry.is_dir():
            found.append((Path(entry.path), label))
    return found


def looks_like_utkface(root: Path) -> bool:
    """Whether most image files directly under ``root`` start like ``age_gender_race``."""
    names = [e.name for e in os.scandir(root) if e.is_file() and is_image_name(e.name)]
    names = [n for n in names if not _hidden(n)]
    matching = sum(bool(_UTKFACE_START.match(n)) for n in names)
    return bool(names) and matching * 2 >= len(names)


def walk_images(folder: Path, root: Path, *, report_others: bool) -> tuple[list[str], list[SkippedFile]]:
    """Image files under ``folder`` (recursively, sorted) as POSIX paths relative to ``root``.

    Links to folders are not followed; links to files outside ``root`` are skipped.
    Files that are not images are skipped with a reason when ``report_others``, else ignored.
    """
    paths: list[str] = []
    skipped: list[SkippedFile] = []
    if folder.is_symlink():
        return paths, [SkippedFile(_relative(folder, root), _link_reason(folder, root))]
    for here, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in [d for d in dirs if os.path.islink(os.path.join(here, d))]:
            dirs.remove(name)
            link = Path(here, name)
            skipped.append(SkippedFile(_relative(link, root), _link_reason(link, root)))
        for name in sorted(f for f in files if not _hidden(f)):
            path = Path(here, name)
            if not is_image_name(name):
                if report_others:
                    reason = SKIP_NOT_IMAGE_TYPE.format(
                        suffix=path.suffix or "no extension", extensions=", ".join(IMAGE_EXTENSIONS)
                    )
                    skipped.append(SkippedFile(_relative(path, root), reason))
            elif path.is_symlink() and not path.exists():  # dangling, or a loop of links
                skipped.append(SkippedFile(_relative(path, root), SKIP_BROKEN_LINK))
            elif path.is_symlink() and not _inside(path, root):
                skipped.append(SkippedFile(_relative(path, root), SKIP_LINK_OUTSIDE))
            else:
                paths.append(_relative(path, root))
    return sorted(paths), skipped


def list_real_fake(root: Path) -> Listing:
    """Images under ``real/`` and ``fake/``, checked against ``data.csv`` when present."""
    listing = Listing()
    for folder, label in class_folders(root):
        paths, skipped = walk_images(folder, root, report_others=True)
        listing.paths += paths
        listing.labels += [label] * len(paths)
        listing.skipped += skipped
    if (root / DATA_CSV).is_file():
        check_data_csv(root / DATA_CSV, listing.paths, listing.labels)
    return listing


def check_data_csv(csv_path: Path, paths: list[str], labels: list[int]) -> None:
    """Raise if the Kaggle ``data.csv`` gives a different label than the folder does.

    ``images_id`` may be a bare name (``real_1``), a file name (``real_1.jpg``) or a path
    (``real/real_1.jpg``); it is matched, ignoring case and a trailing image extension,
    to the file with that name. When several files share the name, the path in the id
    picks one; if it cannot, that row is not checked. Rows naming no file are ignored
    (the Kaggle csv lists 1,288 of the 1,289 images), and so are files it does not list.

    Raises
    ------
    DataError
        ``CSV_DISAGREES`` naming the first three mismatches, or ``DATA_CSV_COLUMNS`` /
        ``DATA_CSV_BAD_LABEL`` when the csv itself is malformed.
    """
    table = _read_csv(csv_path)
    columns = _columns(table, ("images_id", "label"), DATA_CSV_COLUMNS, csv_path.parent)
    by_name: dict[str, list[int]] = {}
    for i, path in enumerate(paths):
        by_name.setdefault(_key(posixpath.basename(path)), []).append(i)
    mismatches = []
    for row, (image_id, text) in enumerate(zip(table[columns[0]], table[columns[1]], strict=True), 2):
        label = parse_label(text)
        if label is None:
            raise DataError(DATA_CSV_BAD_LABEL.format(row=row, label=text))
        wanted = _key(image_id.strip().replace("\\", "/"))
        found = by_name.get(posixpath.basename(wanted), [])
        if len(found) > 1:
            found = [i for i in found if _key(paths[i]).endswith(wanted) or wanted.endswith(_key(paths[i]))]
        if len(found) == 1 and labels[found[0]] != label:
            mismatches.append(f"{paths[found[0]]} (data.csv says {CLASS_NAMES[label]})")
    if mismatches:
        raise DataError(CSV_DISAGREES.format(n=len(mismatches), examples="; ".join(mismatches[:3])))


def parse_utkface_name(name: str) -> dict[str, str]:
    """The ``race``, ``gender`` and ``age_band`` a UTKFace file name encodes.

    Raises
    ------
    ValueError
        Saying what is wrong with the name (missing field, out-of-range code).
    """
    fields = name.split(".")[0].split("_")
    if len(fields) != 4:
        raise ValueError(f"it has {len(fields)} fields instead of 4")
    for value in fields:
        if not value.isdigit():
            raise ValueError(f"{value!r} is not a number")
    age, gender, race = (int(v) for v in fields[:3])
    if age > UTKFACE_MAX_AGE:
        raise ValueError(f"age {age} is over {UTKFACE_MAX_AGE}")
    if gender >= len(UTKFACE_GENDERS):
        raise ValueError(f"gender code {gender} is not 0 or 1")
    if race >= len(UTKFACE_RACES):
        raise ValueError(f"race code {race} is not 0 to 4")
    band = next(band for low, high, band in AGE_BANDS if low <= age <= high)
    return {"race": UTKFACE_RACES[race], "gender": UTKFACE_GENDERS[gender], "age_band": band}


def list_utkface(root: Path) -> Listing:
    """UTKFace-named images under ``root``, all real; unparseable names are skipped."""
    listing = Listing(groups={"race": [], "gender": [], "age_band": []})
    paths, listing.skipped = walk_images(root, root, report_others=False)
    for path in paths:
        try:
            groups = parse_utkface_name(posixpath.basename(path))
        except ValueError as problem:
            listing.skipped.append(SkippedFile(path, SKIP_UTKFACE_NAME.format(problem=problem)))
            continue
        listing.paths.append(path)
        listing.labels.append(REAL)
        for column, value in groups.items():
            listing.groups[column].append(value)
    return listing


def list_labels_csv(root: Path) -> Listing:
    """The files ``labels.csv`` lists, with their labels and group columns.

    Raises
    ------
    DataError
        If the csv is unreadable, lacks ``path``/``label``, has a label that is not
        1/0/real/fake, or a path that is absolute or leaves the folder.
    """
    table = _read_csv(root / LABELS_CSV)
    path_column, label_column = _columns(table, ("path", "label"), LABELS_CSV_COLUMNS, root)
    group_columns = [c for c in table.columns if c not in (path_column, label_column)]
    listing = Listing(groups={c.strip(): [] for c in group_columns})
    seen: set[str] = set()
    for row, record in enumerate(table.to_dict("records"), 2):
        path = _safe_relative(record[path_column], row)
        label = parse_label(record[label_column])
        if label is None:
            raise DataError(LABELS_CSV_BAD_LABEL.format(row=row, label=record[label_column]))
        reason = _listed_problem(root / path, root, path in seen)
        if reason:
            listing.skipped.append(SkippedFile(path, reason))
            continue
        seen.add(path)
        listing.paths.append(path)
        listing.labels.append(label)
        for column in group_columns:
            listing.groups[column.strip()].append(record[column].strip() or UNKNOWN_GROUP)
    return listing


def _listed_problem(full: Path, root: Path, seen: bool) -> str | None:
    if seen:
        return SKIP_LISTED_TWICE
    if not full.is_file():  # first, so a dangling link or a loop of links reads as missing
        return SKIP_LISTED_MISSING
    return None if _inside(full, root) else SKIP_LINK_OUTSIDE


def _safe_relative(value: str, row: int) -> str:
    """``value`` as a normalised relative POSIX path, or raise if it leaves the folder."""
    text = value.strip().replace("\\", "/")
    normal = posixpath.normpath(text) if text else ""
    absolute = text.startswith("/") or re.match(r"^[A-Za-z]:", text) is not None
    escapes = normal in ("", ".", "..") or normal.startswith("../")
    if absolute or escapes or "\x00" in text:
        raise DataError(LABELS_CSV_BAD_PATH.format(row=row, value=value))
    return normal


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, OSError) as error:
        raise DataError(CSV_UNREADABLE.format(file=path.name, path=path.parent, reason=error)) from error
    return table


def _columns(table: pd.DataFrame, wanted: tuple[str, ...], template: str, where: Path) -> list[str]:
    """The actual names of the ``wanted`` columns, matched ignoring case and spaces."""
    by_key = {str(c).strip().lower(): c for c in table.columns}
    if not all(w in by_key for w in wanted):
        raise DataError(template.format(path=where, columns=list(table.columns)))
    return [by_key[w] for w in wanted]


def _key(name: str) -> str:
    """A file name or id lower-cased, without one trailing image extension."""
    lowered = name.lower()
    for extension in IMAGE_EXTENSIONS:
        if lowered.endswith(extension):
            return lowered[: -len(extension)]
    return lowered


def _hidden(name: str) -> bool:
    return name.startswith(".") or name.lower() in _JUNK_NAMES


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
        return False


def _link_reason(link: Path, root: Path) -> str:
    return SKIP_LINKED_FOLDER if _inside(link, root) else SKIP_LINK_OUTSIDE
