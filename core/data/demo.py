"""The built-in synthetic demo data set, for a fresh machine with no real data and no network.

The folder ``data/demo/...``: generated on first use, complete or absent (written to a temporary
folder and renamed into place; a manifest written last marks it complete), shared safely by
processes that ask for it at once, and regenerated when its settings or generator version change.
The faces themselves are drawn by :mod:`core.data.demo_faces`: "real" ones photographed, "fake"
ones upsampled as a GAN generator does. Both classes are saved at the same size as JPEG with the
same settings, so no file-level marker (size, format, border, colour) tells them apart.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from core.data.demo_faces import JPEG_SETTINGS, SKIN_TONES, UPSAMPLE_FACTOR, make_jpeg
from core.errors import DEMO_NOT_WRITABLE, DEMO_ODD_SIZE, OUT_OF_RANGE, ConfigError, DataError
from core.labels import CLASS_NAMES, FAKE, REAL
from core.paths import data_dir

DEMO_NAME = "synthetic demo data"
GENERATOR = "unmask-demo"
#: Bump when the drawing changes, so that existing demo folders are regenerated.
GENERATOR_VERSION = 2
MANIFEST = "manifest.json"
_DEFAULTS = (0, 300, 128)
_STALE_AFTER_S = 3600.0


def demo_dir(*, seed: int = 0, n_per_class: int = 300, image_size: int = 128) -> Path:
    """The folder the demo set with these settings lives in (it may not exist yet).

    ``data_dir()/demo`` for the defaults, ``data_dir()/demo-<seed>-<n_per_class>-<image_size>``
    otherwise.
    """
    if (seed, n_per_class, image_size) == _DEFAULTS:
        return data_dir() / "demo"
    return data_dir() / f"demo-{seed}-{n_per_class}-{image_size}"


def ensure_demo(*, seed: int = 0, n_per_class: int = 300, image_size: int = 128, force: bool = False) -> Path:
    """Return the synthetic demo data folder, generating it on first use.

    The folder holds ``real/real_<i>.jpg``, ``fake/fake_<i>.jpg``, ``labels.csv`` (columns
    ``path,label,skin_tone``; label 1 real, 0 fake), ``README.txt`` and ``manifest.json``. It
    is generated into a temporary folder beside it and renamed into place, so a half-written
    set is never seen; when another process finishes first, its folder is kept.

    Parameters
    ----------
    seed : int, default 0
        Everything is drawn from it: the same seed gives the same bytes.
    n_per_class : int, default 300
        Number of real and of fake images (1 to 100000).
    image_size : int, default 128
        Side of the square images in pixels; even, 16 to 1024.
    force : bool, default False
        Regenerate even if a complete folder with the same settings exists.

    Returns
    -------
    Path
        The folder, see :func:`demo_dir`.

    Raises
    ------
    ConfigError
        If a setting is out of range or ``image_size`` is odd.
    DataError
        If the folder cannot be written.
    """
    _check_settings(seed, n_per_class, image_size)
    target = demo_dir(seed=seed, n_per_class=n_per_class, image_size=image_size)
    expected = _manifest(seed, n_per_class, image_size)
    if not force and _is_complete(target, expected):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _sweep_stale(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-tmp-", dir=target.parent))
        try:
            _write_set(tmp, expected)
            _install(tmp, target, expected, force=force)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise DataError(DEMO_NOT_WRITABLE.format(path=target.parent, reason=exc)) from exc
    return target


def is_demo_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a demo set made by this module (judged by its manifest)."""
    manifest = _read_manifest(Path(path))
    return manifest is not None and manifest.get("generator") == GENERATOR


def _check_settings(seed: int, n_per_class: int, image_size: int) -> None:
    for name, value, low, high in [
        ("seed", seed, 0, 2**31 - 1),
        ("n_per_class", n_per_class, 1, 100_000),
        ("image_size", image_size, 16, 1024),
    ]:
        if not low <= value <= high:
            raise ConfigError(OUT_OF_RANGE.format(name=name, low=low, high=high, value=value))
    if image_size % UPSAMPLE_FACTOR:
        raise ConfigError(DEMO_ODD_SIZE.format(value=image_size))


def _manifest(seed: int, n_per_class: int, image_size: int) -> dict[str, Any]:
    return {
        "generator": GENERATOR,
        "version": GENERATOR_VERSION,
        "name": DEMO_NAME,
        "seed": seed,
        "n_per_class": n_per_class,
        "n_real": n_per_class,
        "n_fake": n_per_class,
        "image_size": image_size,
        "jpeg": dict(JPEG_SETTINGS),
        "skin_tones": list(SKIN_TONES),
    }


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _is_complete(folder: Path, expected: dict[str, Any]) -> bool:
    if _read_manifest(folder) != expected or not (folder / "labels.csv").is_file():
        return False
    n = expected["n_per_class"]
    return all(len(list((folder / c).glob(f"{c}_*.jpg"))) == n for c in ("real", "fake"))


def _sweep_stale(target: Path) -> None:
    """Remove temporary folders that a killed process left behind more than an hour ago."""
    for leftover in target.parent.glob(f".{target.name}-*-*"):
        with contextlib.suppress(OSError):  # a generation still running touches its class folders
            touched = max(p.stat().st_mtime for p in [leftover, *leftover.iterdir()])
            if time.time() - touched > _STALE_AFTER_S:
                shutil.rmtree(leftover, ignore_errors=True)


def _install(tmp: Path, target: Path, expected: dict[str, Any], *, force: bool) -> None:
    """Rename ``tmp`` to ``target``; keep a complete ``target`` another process put there."""
    for _ in range(5):
        try:
            os.rename(tmp, target)
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
        if not force and _is_complete(target, expected):
            return
        # A stale, half-deleted or (with force) outdated folder: move it aside, then retry.
        aside = target.with_name(f".{target.name}-old-{uuid.uuid4().hex}")
        with contextlib.suppress(FileNotFoundError):
            os.rename(target, aside)
        shutil.rmtree(aside, ignore_errors=True)
        force = False
    raise OSError(f"{target} kept being replaced by another process")


def _write_set(folder: Path, manifest: dict[str, Any]) -> None:
    seed, n, size = manifest["seed"], manifest["n_per_class"], manifest["image_size"]
    rows = []
    for label in (REAL, FAKE):
        name = CLASS_NAMES[label]
        (folder / name).mkdir()
        for i in range(n):
            (folder / name / f"{name}_{i}.jpg").write_bytes(make_jpeg(seed, label, i, size))
            rows.append((f"{name}/{name}_{i}.jpg", label, SKIN_TONES[i % len(SKIN_TONES)]))
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["path", "label", "skin_tone"])
    writer.writerows(rows)
    (folder / "labels.csv").write_bytes(table.getvalue().encode("utf-8"))
    (folder / "README.txt").write_bytes(_readme(manifest).encode("utf-8"))
    # Written last: a folder with a matching manifest is complete.
    (folder / MANIFEST).write_bytes((json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())


def _readme(m: dict[str, Any]) -> str:
    return (
        f"Unmask: {DEMO_NAME}\n\n"
        f"{m['n_real']} 'real' and {m['n_fake']} 'fake' face images, {m['image_size']}x{m['image_size']} "
        f"pixels, drawn by core/data/demo_faces.py (generator version {m['version']}, seed {m['seed']}).\n"
        "No image shows a person: every face is drawn from random shapes, in five skin tones\n"
        f"({', '.join(SKIN_TONES)}), balanced in both classes (labels.csv, column skin_tone).\n\n"
        "real: drawn at full size, then a camera: lens blur, colour gain, sensor noise, JPEG.\n"
        "fake: drawn at quarter size, then upsampled 2x twice by transposed convolutions with\n"
        "noise injection, which leaves faint checkerboards (peaks in the Fourier spectrum).\n"
        f"Both are saved as JPEG, quality {JPEG_SETTINGS['quality']}, no chroma subsampling.\n"
        "Labels: 1 = real, 0 = fake. Delete this folder to have it generated again.\n"
    )
