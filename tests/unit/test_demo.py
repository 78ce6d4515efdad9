"""Tests for core/demo.py: the built-in synthetic demo data set."""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.data import demo
from core.data.demo import DEMO_NAME, SKIN_TONES, demo_dir, ensure_demo, is_demo_folder
from core.errors import DEMO_NOT_WRITABLE, DEMO_ODD_SIZE, OUT_OF_RANGE, ConfigError, DataError
from core.labels import FAKE, REAL
from core.paths import data_dir

#: A set small enough to generate many times (20 images of 32x32).
SMALL = {"seed": 3, "n_per_class": 10, "image_size": 32}
#: Per-image numbers that must NOT tell real from fake: (images, file sizes) -> one value each.
TRIVIAL_FEATURES = {
    "brightness": lambda images, sizes: images.mean(axis=(1, 2, 3)),
    "red": lambda images, sizes: images[..., 0].mean(axis=(1, 2)),
    "green": lambda images, sizes: images[..., 1].mean(axis=(1, 2)),
    "blue": lambda images, sizes: images[..., 2].mean(axis=(1, 2)),
    "contrast": lambda images, sizes: images.mean(axis=-1).std(axis=(1, 2)),
    "file size": lambda images, sizes: sizes,
}


@pytest.fixture(scope="module")
def default_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo set (300 + 300 images, 128 px), generated once for this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("UNMASK_DATA_DIR", str(tmp_path_factory.mktemp("demo-default")))
        return ensure_demo()


@pytest.fixture(scope="module")
def decoded(default_set: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(RGB images as float, labels, file sizes in bytes) of the default set, in labels.csv order."""
    rows = _read_labels(default_set)
    images = np.stack([_pixels(default_set / row["path"]) for row in rows])
    labels = np.array([int(row["label"]) for row in rows])
    sizes = np.array([(default_set / row["path"]).stat().st_size for row in rows], dtype=float)
    return images, labels, sizes


@pytest.fixture(scope="module")
def spectra(decoded: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Each default-set image's log power spectrum, shape (600, 128, 128)."""
    return _log_spectra(decoded[0])


def _read_labels(folder: Path) -> list[dict[str, str]]:
    with open(folder / "labels.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float64)


def _files(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


def _mtimes(folder: Path) -> dict[str, int]:
    return {name: p.stat().st_mtime_ns for name, p in _files(folder).items()}


def _best_threshold_accuracy(values: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy of the best one-threshold rule on ``values``, either way round."""
    is_real = labels[np.argsort(values, kind="stable")] == REAL
    reals_below = np.concatenate([[0], np.cumsum(is_real)])
    fakes_below = np.arange(len(is_real) + 1) - reals_below
    accuracy = (fakes_below + is_real.sum() - reals_below) / len(is_real)
    return float(max(accuracy.max(), (1 - accuracy).max()))


def _log_spectra(images: np.ndarray) -> np.ndarray:
    """Log power spectrum of each grey image (mean removed, Hann window against edge leakage)."""
    grey = images.mean(axis=-1)
    grey = grey - grey.mean(axis=(1, 2), keepdims=True)
    n = grey.shape[-1]
    window = np.outer(np.hanning(n), np.hanning(n))
    return np.log(np.abs(np.fft.fft2(grey * window)) ** 2 + 1e-9)


def _peak_contrast(spectra: np.ndarray, fy: int, fx: int) -> np.ndarray:
    """How far the log power at frequency (fy, fx) stands above its neighbours 2-3 bins away."""
    n = spectra.shape[-1]
    ring = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4) if max(abs(dy), abs(dx)) >= 2]
    neighbours = np.mean([spectra[..., (fy + dy) % n, (fx + dx) % n] for dy, dx in ring], axis=0)
    return spectra[..., fy, fx] - neighbours


def test_demo_dir_names_default_and_other_settings() -> None:
    assert demo_dir() == data_dir() / "demo"
    assert demo_dir(**SMALL) == data_dir() / "demo-3-10-32"
    assert demo_dir(seed=1) == data_dir() / "demo-1-300-128"


def test_ensure_demo_layout(default_set: Path) -> None:
    expected = {f"real/real_{i}.jpg" for i in range(300)} | {f"fake/fake_{i}.jpg" for i in range(300)}
    assert default_set.name == "demo"
    assert set(_files(default_set)) == expected | {"labels.csv", "README.txt", "manifest.json"}
    readme = (default_set / "README.txt").read_text(encoding="utf-8")
    assert DEMO_NAME in readme
    assert "seed 0" in readme
    manifest = json.loads((default_set / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version"] == demo.GENERATOR_VERSION
    assert (manifest["seed"], manifest["n_real"], manifest["n_fake"], manifest["image_size"]) == (
        0,
        300,
        300,
        128,
    )


def test_ensure_demo_labels_csv(default_set: Path) -> None:
    rows = _read_labels(default_set)
    assert list(rows[0]) == ["path", "label", "skin_tone"]
    assert Counter(row["label"] for row in rows) == {str(REAL): 300, str(FAKE): 300}
    for row in rows:
        folder = "real" if row["label"] == str(REAL) else "fake"
        assert row["path"].startswith(f"{folder}/")
        assert (default_set / row["path"]).is_file()
    for label in (REAL, FAKE):
        tones = Counter(row["skin_tone"] for row in rows if row["label"] == str(label))
        assert tones == dict.fromkeys(SKIN_TONES, 60)


def test_ensure_demo_both_classes_same_size_and_encoding(default_set: Path) -> None:
    seen = set()
    for name in _files(default_set):
        if name.endswith(".jpg"):
            with Image.open(default_set / name) as img:
                tables = tuple(tuple(t) for t in img.quantization.values())
                seen.add((img.format, img.mode, img.size, tables, tuple(map(tuple, img.layer))))
    assert len(seen) == 1
    assert next(iter(seen))[:3] == ("JPEG", "RGB", (128, 128))


@pytest.mark.parametrize("frequency", [(64, 0), (0, 64)], ids=["vertical-nyquist", "horizontal-nyquist"])
def test_ensure_demo_fakes_have_upsampling_peaks(
    decoded: tuple, spectra: np.ndarray, frequency: tuple[int, int]
) -> None:
    labels = decoded[1]
    mean_spectrum = {label: spectra[labels == label].mean(axis=0) for label in (REAL, FAKE)}
    real_peak, fake_peak = (_peak_contrast(mean_spectrum[label], *frequency) for label in (REAL, FAKE))
    # In natural-log units: the fakes' Nyquist power is e^3 = 20 times their neighbours' or more.
    assert fake_peak > 3.0
    assert real_peak < 1.0
    for control in [(16, 16), (16, 0), (0, 48)]:  # no peak away from the upsampling frequencies
        assert all(abs(_peak_contrast(mean_spectrum[label], *control)) < 1.0 for label in (REAL, FAKE))


def test_ensure_demo_upsampling_peak_tells_single_images_apart(decoded: tuple, spectra: np.ndarray) -> None:
    labels = decoded[1]
    peak = _peak_contrast(spectra, 64, 0) + _peak_contrast(spectra, 0, 64)
    assert _best_threshold_accuracy(peak, labels) > 0.9


@pytest.mark.parametrize("feature", list(TRIVIAL_FEATURES))
def test_ensure_demo_no_trivial_marker(decoded: tuple, feature: str) -> None:
    images, labels, sizes = decoded
    values = TRIVIAL_FEATURES[feature](images, sizes)
    assert _best_threshold_accuracy(values, labels) < 0.7


def test_ensure_demo_same_bytes_in_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _files(ensure_demo(**SMALL))
    monkeypatch.setenv("UNMASK_DATA_DIR", str(tmp_path / "elsewhere"))
    second = _files(ensure_demo(**SMALL))
    assert sorted(first) == sorted(second)
    assert all(first[name].read_bytes() == second[name].read_bytes() for name in first)
    other_seed = _files(ensure_demo(**{**SMALL, "seed": 4}))
    assert first["real/real_0.jpg"].read_bytes() != other_seed["real/real_0.jpg"].read_bytes()


def test_ensure_demo_reuses_complete_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = ensure_demo(**SMALL)
    before, inode = _mtimes(folder), folder.stat().st_ino

    def must_not_run(*args: object) -> None:
        raise AssertionError("the demo set was generated again")

    monkeypatch.setattr(demo, "_write_set", must_not_run)
    assert ensure_demo(**SMALL) == folder
    assert _mtimes(folder) == before
    assert folder.stat().st_ino == inode


@pytest.mark.parametrize(
    "damage",
    ["manifest missing", "manifest corrupt", "manifest of another version", "images missing"],
)
def test_ensure_demo_regenerates_damaged_folder(damage: str) -> None:
    folder = ensure_demo(**SMALL)
    reference = {name: p.read_bytes() for name, p in _files(folder).items()}
    manifest = folder / "manifest.json"
    if damage == "manifest missing":
        manifest.unlink()
    elif damage == "manifest corrupt":
        manifest.write_text('{"generator": "unmask-de', encoding="utf-8")
    elif damage == "manifest of another version":
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "version": 0}), encoding="utf-8")
    else:
        for path in (folder / "fake").glob("fake_*.jpg"):
            path.unlink()
    (folder / "stray.txt").write_text("left over", encoding="utf-8")
    assert ensure_demo(**SMALL) == folder
    assert {name: p.read_bytes() for name, p in _files(folder).items()} == reference


def test_ensure_demo_force_regenerates(monkeypatch: pytest.MonkeyPatch) -> None:
    folder = ensure_demo(**SMALL)
    inode = folder.stat().st_ino
    calls = []
    original = demo._write_set
    monkeypatch.setattr(demo, "_write_set", lambda *args: calls.append(1) or original(*args))
    assert ensure_demo(**SMALL, force=True) == folder
    assert calls == [1]
    assert folder.stat().st_ino != inode
    assert is_demo_folder(folder)
    assert [p.name for p in data_dir().iterdir()] == [folder.name]


def test_ensure_demo_keeps_folder_another_process_finished(monkeypatch: pytest.MonkeyPatch) -> None:
    original = demo._write_set
    theirs = {}

    def lose_the_race(folder: Path, manifest: dict) -> None:
        original(folder, manifest)
        monkeypatch.setattr(demo, "_write_set", original)
        theirs["inode"] = ensure_demo(**SMALL).stat().st_ino  # another process finishes first

    monkeypatch.setattr(demo, "_write_set", lose_the_race)
    folder = ensure_demo(**SMALL)
    assert folder.stat().st_ino == theirs["inode"]
    assert [p.name for p in data_dir().iterdir()] == [folder.name]  # our copy was cleaned up


def test_ensure_demo_two_processes_at_once() -> None:
    with ProcessPoolExecutor(2) as pool:
        folders = list(pool.map(_ensure_small, range(4)))
    assert folders == [demo_dir(**SMALL)] * 4
    assert is_demo_folder(folders[0])
    assert len(_files(folders[0])) == 2 * SMALL["n_per_class"] + 3
    assert [p.name for p in data_dir().iterdir()] == [folders[0].name]


def _ensure_small(_: int) -> Path:
    return ensure_demo(**SMALL)


def test_ensure_demo_ignores_and_sweeps_half_written_folders() -> None:
    data_dir().mkdir(parents=True)
    half = data_dir() / ".demo-3-10-32-tmp-crashed"
    (half / "real").mkdir(parents=True)
    (half / "real" / "real_0.jpg").write_bytes(b"half")
    fresh = data_dir() / ".demo-3-10-32-tmp-running"
    fresh.mkdir()
    two_hours_ago = half.stat().st_mtime - 7200
    for path in (half, half / "real"):
        os.utime(path, (two_hours_ago, two_hours_ago))
    folder = ensure_demo(**SMALL)
    assert (folder / "real" / "real_0.jpg").read_bytes() != b"half"
    assert sorted(p.name for p in data_dir().iterdir()) == [fresh.name, folder.name]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, False),
        ("{not json", False),
        ("[1, 2]", False),
        ('{"generator": "someone-else"}', False),
        ('{"generator": "unmask-demo", "version": 99}', True),
    ],
)
def test_is_demo_folder_reads_manifest(tmp_path: Path, content: str | None, expected: bool) -> None:
    if content is not None:
        (tmp_path / "manifest.json").write_text(content, encoding="utf-8")
    assert is_demo_folder(tmp_path) is expected


def test_is_demo_folder_generated_and_missing(tmp_path: Path) -> None:
    assert is_demo_folder(ensure_demo(**SMALL))
    assert not is_demo_folder(tmp_path / "does-not-exist")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"seed": -1}, OUT_OF_RANGE.format(name="seed", low=0, high=2**31 - 1, value=-1)),
        ({"n_per_class": 0}, OUT_OF_RANGE.format(name="n_per_class", low=1, high=100_000, value=0)),
        ({"image_size": 8}, OUT_OF_RANGE.format(name="image_size", low=16, high=1024, value=8)),
        ({"image_size": 33}, DEMO_ODD_SIZE.format(value=33)),
    ],
)
def test_ensure_demo_rejects_bad_settings(settings: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        ensure_demo(**settings)
    assert not data_dir().exists()


def test_ensure_demo_unwritable_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("UNMASK_DATA_DIR", str(blocker / "data"))
    start = DEMO_NOT_WRITABLE.format(path=blocker / "data", reason="").split(" ()")[0]
    with pytest.raises(DataError, match=re.escape(start)):
        ensure_demo(**SMALL)
