"""End to end: every bad input a user can hand Unmask, driven through the CLI or the app's boundary.

Each case builds its inputs in a temporary "world" folder whose ``data/`` and ``models/``
are ``UNMASK_DATA_DIR`` and ``UNMASK_MODELS_DIR`` (the working directory and the temp
directory are inside it too), drives them through ``python -m core ... --json`` in-process
or through the function the dashboard calls (``core.data.images.decode_upload``,
``core.data.uploads.extract_zip``, ``core.runs.store``), and asserts

(a) one sentence, the message constant of :mod:`core.errors` formatted (or its
    distinctive parts where a library supplies the reason), exit status 2 and no traceback;
(b) nothing written, changed or removed in the world outside ``data/`` and ``models/``.

Inputs that are unusual but valid (alpha, 16-bit, CMYK, palette, animated, EXIF-rotated,
nested, unicode and non-UTF-8 names) must load; unreadable files inside a good folder are
skipped and listed with their name and reason. Single cases are unit-tested in
test_images, test_datasets, test_layouts, test_uploads and test_runs.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.factories import save_stand_in_run, tamper_run

from core.cli import EXIT_BAD_INPUT, main
from core.data import datasets, uploads
from core.data.images import IMAGE_EXTENSIONS, MAX_PIXELS, MAX_UPLOAD_IMAGE_MB, MIN_SIDE, decode_upload
from core.errors import (
    BAD_RUN_ID,
    CSV_DISAGREES,
    CSV_UNREADABLE,
    HOME_UNKNOWN,
    IMAGE_EMPTY,
    IMAGE_NOT_AN_IMAGE,
    IMAGE_TOO_LARGE,
    IMAGE_TOO_SMALL,
    IMAGE_TRUNCATED,
    IMAGE_UPLOAD_TOO_BIG,
    LABELS_CSV_BAD_PATH,
    MODEL_UNREADABLE,
    NO_VALID_IMAGES,
    NOT_A_FOLDER,
    ONE_CLASS,
    OUT_OF_RANGE,
    PATH_UNUSABLE,
    RUN_DAMAGED,
    RUN_INCOMPLETE,
    SKIP_BROKEN_LINK,
    SKIP_NOT_IMAGE_TYPE,
    SKIP_UTKFACE_NAME,
    SPLIT_TOO_SMALL,
    UNKNOWN_ATTRIBUTE,
    UNKNOWN_LAYOUT,
    UPLOAD_ARCHIVE_RATIO,
    UPLOAD_NOT_ZIP,
    UPLOAD_SYMLINK,
    UPLOAD_TOO_BIG,
    UPLOAD_TOO_LARGE_UNPACKED,
    UPLOAD_TOO_MANY_FOLDERS,
    UPLOAD_UNSAFE_PATH,
    UPLOAD_ZIP_BOMB,
    ImageError,
    ModelError,
    UploadError,
)
from core.paths import REPO_ROOT, shown_path
from core.runs import store

RED, BLUE, GREEN, WHITE = (255, 0, 0), (0, 0, 255), (0, 200, 0), (255, 255, 255)
MB = 1024 * 1024
UPLOAD = "The uploaded image"  # what decode_upload calls the file in its messages
PROGRESS_LINE = re.compile(r"^\[[#.]{30}\] ")  # the CLI's progress bar, as logged to a pipe


# --- the world: inputs beside data/ and models/, and what changed in it ----------------------------


@dataclass(frozen=True)
class World:
    root: Path
    inputs: Path
    data: Path
    models: Path


@pytest.fixture()
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    root = tmp_path / "world"
    here = World(root, root / "inputs", root / "data", root / "models")
    here.inputs.mkdir(parents=True)
    (root / "tmp").mkdir()
    monkeypatch.setenv("UNMASK_DATA_DIR", str(here.data))
    monkeypatch.setenv("UNMASK_MODELS_DIR", str(here.models))
    monkeypatch.setattr(tempfile, "tempdir", str(root / "tmp"))  # stray temp files land in the world
    monkeypatch.chdir(root)  # so do stray relative paths
    return here


def _tree(root: Path) -> dict[str, tuple]:
    """Every path under ``root`` (links not followed): folders by name, files by size and mtime."""
    found: dict[str, tuple] = {}
    for here, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(here, name)
            info = path.lstat()
            relative = path.relative_to(root).as_posix()
            found[relative] = ("dir",) if stat.S_ISDIR(info.st_mode) else (info.st_size, info.st_mtime_ns)
    return found


# TensorFlow's AutoGraph writes the code it generates to the temp folder and deletes it when
# the process exits (the subprocess tests check the temp folder after exit), so in-process
# it may still be there.
_AUTOGRAPH_FILE = re.compile(r"^tmp/__autograph_generated_file\w+\.py$")


def _touched_outside(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """Paths created, changed or removed anywhere but under data/ and models/."""
    touched = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    allowed = ("data", "models")
    return sorted(p for p in touched if p.split("/")[0] not in allowed and not _AUTOGRAPH_FILE.match(p))


# --- inputs -----------------------------------------------------------------------------------------


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _noise(side: int = 24, seed: int = 0) -> Image.Image:
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8))


def _truncated_jpeg() -> bytes:
    return _encode(_noise(64), "JPEG", quality=90)[:1500]


def _png_claiming(width: int, height: int) -> bytes:
    """An 8x8 PNG whose header claims ``width x height`` (a decompression bomb that costs nothing)."""
    data = bytearray(_encode(Image.new("L", (8, 8)), "PNG"))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _good_folder(root: Path, *, n_real: int = 3, n_fake: int = 3) -> Path:
    for i in range(n_real):
        _write(root / "real" / f"real_{i}.png", _encode(_noise(seed=i), "PNG"))
    for i in range(n_fake):
        _write(root / "fake" / f"fake_{i}.jpg", _encode(_noise(seed=100 + i), "JPEG"))
    return root


def _zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in entries.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


# --- how a case is driven, and what it must say -------------------------------------------------------


@dataclass(frozen=True)
class Cli:
    """``python -m core <argv> --json``, in-process."""

    argv: list[str]


@dataclass(frozen=True)
class Call:
    """A function the dashboard calls, which must raise ``error``."""

    run: Callable[[], object]
    error: type[Exception]


@dataclass(frozen=True)
class Parts:
    """A message whose middle comes from a library (a decoder's reason): its fixed parts, in order."""

    parts: tuple[str, ...]


Expected = str | Parts
Case = Callable[[World], tuple[Cli | Call, Expected]]


def _parts(template: str, **fields: str) -> Parts:
    """The text of ``template`` around its ``{reason}`` field, the other fields filled in."""
    before, after = template.split("{reason}")
    return Parts((before.format(**fields), after.format(**fields)))


def _upload(data: bytes) -> Call:
    return Call(lambda: decode_upload(data, size=16), ImageError)


# Single files through "try an image" (core.data.images.decode_upload) ------------------------------------


def upload_zero_bytes(w: World):
    return _upload(b""), IMAGE_EMPTY.format(name=UPLOAD)


def upload_truncated_jpeg(w: World):
    return _upload(_truncated_jpeg()), IMAGE_TRUNCATED.format(name=UPLOAD)


def upload_random_bytes_named_jpg(w: World):
    data = _write(w.inputs / "photo.jpg", np.random.default_rng(0).bytes(4096)).read_bytes()
    return _upload(data), IMAGE_NOT_AN_IMAGE.format(name=UPLOAD)


def upload_text_file(w: World):
    data = _write(w.inputs / "notes.txt", b"these are not pixels\n" * 50).read_bytes()
    return _upload(data), IMAGE_NOT_AN_IMAGE.format(name=UPLOAD)


def upload_one_pixel(w: World):
    data = _encode(Image.new("RGB", (1, 1), RED), "PNG")
    return _upload(data), IMAGE_TOO_SMALL.format(name=UPLOAD, width=1, height=1, minimum=MIN_SIDE)


def upload_decompression_bomb(w: World):
    expected = IMAGE_TOO_LARGE.format(name=UPLOAD, megapixels=400, limit_mp=MAX_PIXELS // 10**6)
    return _upload(_png_claiming(20000, 20000)), expected


def upload_eps_named_jpg(w: World):
    # Pillow knows EPS and would hand it to Ghostscript: only the six allowed formats are opened.
    return _upload(_encode(_noise(16), "EPS")), IMAGE_NOT_AN_IMAGE.format(name=UPLOAD)


def upload_icon_holding_a_huge_png(w: World):
    # The ICO directory claims 256x256; the PNG inside is 13000x13000 (169 megapixels once decoded).
    png = _encode(Image.new("1", (13_000, 13_000)), "PNG")
    icon = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 0, 0, 0, 0, 1, 32, len(png), 22) + png
    return _upload(icon), IMAGE_NOT_AN_IMAGE.format(name=UPLOAD)


def upload_image_over_size_limit(w: World):
    data = _encode(_noise(16), "PNG") + bytes(MAX_UPLOAD_IMAGE_MB * MB)
    expected = IMAGE_UPLOAD_TOO_BIG.format(size_mb=len(data) / MB, limit_mb=MAX_UPLOAD_IMAGE_MB)
    return Call(lambda: decode_upload(data, size=16), UploadError), expected


# Folders through python -m core train ----------------------------------------------------------------


def _train(folder: Path | str, *options: str) -> Cli:
    return Cli(["train", "--data", str(folder), "--epochs", "1", "--image-size", "16", *options])


def train_folder_of_only_bad_files(w: World):
    faces = w.inputs / "faces"
    _write(faces / "real" / "empty.jpg", b"")
    _write(faces / "real" / "cut.jpg", _truncated_jpeg())
    _write(faces / "real" / "notes.txt", b"not an image")
    _write(faces / "fake" / "random.jpg", np.random.default_rng(1).bytes(2048))
    _write(faces / "fake" / "dot.png", _encode(Image.new("RGB", (1, 1)), "PNG"))
    _write(faces / "fake" / "bomb.png", _png_claiming(20000, 20000))
    return _train(faces), NO_VALID_IMAGES.format(path=faces.resolve(), n_skipped=6)


def train_empty_folder(w: World):
    empty = w.inputs / "empty"
    empty.mkdir()
    return _train(empty), UNKNOWN_LAYOUT.format(path=empty.resolve())


def train_empty_class_folders(w: World):
    faces = w.inputs / "faces"
    (faces / "real").mkdir(parents=True)
    (faces / "fake").mkdir()
    return _train(faces), NO_VALID_IMAGES.format(path=faces.resolve(), n_skipped=0)


def train_one_class(w: World):
    faces = _good_folder(w.inputs / "faces", n_real=4, n_fake=0)
    return _train(faces), ONE_CLASS.format(present="real", path=faces.resolve())


def train_data_is_a_zip_file(w: World):
    archive = _write(w.inputs / "faces.zip", _zip({"faces/real/a.png": _encode(_noise(), "PNG")}))
    return _train(archive), NOT_A_FOLDER.format(path=archive)


def train_data_csv_disagrees(w: World):
    faces = _good_folder(w.inputs / "faces", n_real=2, n_fake=2)
    (faces / "data.csv").write_text("images_id,label\nreal_0,fake\nreal_1,real\nfake_0,fake\n")
    expected = CSV_DISAGREES.format(n=1, examples="real/real_0.png (data.csv says fake)")
    return _train(faces), expected


def train_data_csv_not_utf8(w: World):
    faces = _good_folder(w.inputs / "faces", n_real=2, n_fake=2)
    (faces / "data.csv").write_bytes("images_id,label\nréal_0,real\n".encode("latin-1"))
    return _train(faces), _parts(CSV_UNREADABLE, file="data.csv", path=str(faces.resolve()))


def train_labels_csv_path_escapes(w: World):
    faces = _good_folder(w.inputs / "faces", n_real=2, n_fake=2)
    _write(w.inputs / "outside.jpg", _encode(_noise(), "JPEG"))
    (faces / "labels.csv").write_text("path,label\nreal/real_0.png,1\n../outside.jpg,0\n")
    return _train(faces), LABELS_CSV_BAD_PATH.format(row=3, value="../outside.jpg")


def train_utkface_names_that_do_not_parse(w: World):
    faces = w.inputs / "utk"
    for name in ("61_1_20170109142408075.jpg.chip.jpg", "40_2_1_3.jpg", "40_1_9_3.jpg"):
        _write(faces / name, _encode(_noise(), "JPEG"))
    return _train(faces), NO_VALID_IMAGES.format(path=faces.resolve(), n_skipped=3)


def train_too_few_images_to_split(w: World):
    faces = _good_folder(w.inputs / "faces", n_real=1, n_fake=1)
    return _train(faces), SPLIT_TOO_SMALL.format(n_real=1, n_fake=1, val_fraction=0.25)


def train_threshold_not_a_number(w: World):
    faces = _good_folder(w.inputs / "faces")
    return _train(faces, "--threshold", "nan"), OUT_OF_RANGE.format(
        name="threshold", low=0.0, high=1.0, value=float("nan")
    )


def train_data_in_the_home_of_an_unknown_user(w: World):
    return Cli(["train", "--data", "~nosuchuser-unmask/faces"]), HOME_UNKNOWN.format(
        path="~nosuchuser-unmask/faces", user="nosuchuser-unmask"
    )


def train_data_path_too_long(w: World):
    path = str(w.inputs / ("a" * 300))
    return Cli(["train", "--data", path]), PATH_UNUSABLE.format(
        path=shown_path(path), reason="File name too long"
    )


def train_settings_that_cannot_fit_in_memory(w: World):
    faces = _good_folder(w.inputs / "faces")
    prefix = "Training the paper preset at 512 px with batch 4096 on 6 images needs about "
    expected = Parts((prefix, " GB of memory, but this machine has ", " GB available: ", "."))
    return _train(faces, "--preset", "paper", "--image-size", "512", "--batch-size", "4096"), expected


# Saved runs through python -m core evaluate / bias, and core.runs.store ------------------------------


def evaluate_run_id_climbing_out(w: World):
    return Cli(["evaluate", "--run", "../models"]), BAD_RUN_ID.format(run_id="../models")


def bias_run_id_absolute_path(w: World):
    return Cli(["bias", "--run", str(w.inputs)]), BAD_RUN_ID.format(run_id=str(w.inputs))


def load_run_id_climbing_out(w: World):
    return Call(lambda: store.load_run("../../inputs"), ModelError), BAD_RUN_ID.format(run_id="../../inputs")


def delete_run_id_climbing_out(w: World):
    return Call(lambda: store.delete_run("../inputs"), ModelError), BAD_RUN_ID.format(run_id="../inputs")


def evaluate_run_missing_scores(w: World):
    (save_stand_in_run("run-1") / "scores.csv").unlink()
    return Cli(["evaluate", "--run", "run-1"]), RUN_INCOMPLETE.format(run_id="run-1", missing="scores.csv")


def evaluate_run_missing_model_and_metrics(w: World):
    path = save_stand_in_run("run-1")
    (path / "model.keras").unlink()
    (path / "metrics.json").unlink()
    expected = RUN_INCOMPLETE.format(run_id="run-1", missing="model.keras, metrics.json")
    return Cli(["evaluate", "--run", "run-1"]), expected


def evaluate_run_config_not_an_object(w: World):
    (save_stand_in_run("run-1") / "config.json").write_text("[]")
    expected = RUN_INCOMPLETE.format(run_id="run-1", missing="readable config.json and metrics.json")
    return Cli(["evaluate", "--run", "run-1"]), expected


def evaluate_run_with_a_threshold_in_words(w: World):
    tamper_run(save_stand_in_run("run-1"), "config.json", "threshold", '"abc"')
    problem = "config.json: threshold must be between 0.0 and 1.0; got abc"
    return Cli(["evaluate", "--run", "run-1"]), RUN_DAMAGED.format(run_id="run-1", problem=problem)


def evaluate_run_history_not_a_list(w: World):
    (save_stand_in_run("run-1") / "history.json").write_text('{"epoch": 1}')
    expected = RUN_INCOMPLETE.format(run_id="run-1", missing="readable history.json")
    return Cli(["evaluate", "--run", "run-1"]), expected


def evaluate_corrupted_keras_file(w: World):
    faces = _good_folder(w.inputs / "faces")
    _write(save_stand_in_run("run-1") / "model.keras", np.random.default_rng(2).bytes(5000))
    expected = _parts(MODEL_UNREADABLE, run_id="run-1")
    return Cli(["evaluate", "--run", "run-1", "--data", str(faces)]), expected


def evaluate_truncated_keras_file(w: World):
    from core.model.presets import build_model

    faces = _good_folder(w.inputs / "faces")
    model_file = save_stand_in_run("run-1") / "model.keras"
    build_model("fast", image_size=16).save(model_file)
    model_file.write_bytes(model_file.read_bytes()[: model_file.stat().st_size // 2])
    expected = _parts(MODEL_UNREADABLE, run_id="run-1")
    return Cli(["evaluate", "--run", "run-1", "--data", str(faces)]), expected


def bias_negative_seed(w: World):
    faces = _good_folder(w.inputs / "faces")
    save_stand_in_run("run-1", data=faces)
    expected = OUT_OF_RANGE.format(name="seed", low=0, high=2**31 - 1, value=-1)
    return Cli(["bias", "--run", "run-1", "--data", str(faces), "--seed", "-1"]), expected


def bias_unknown_attribute(w: World):
    faces = _good_folder(w.inputs / "faces")
    save_stand_in_run("run-1", data=faces)
    expected = UNKNOWN_ATTRIBUTE.format(attribute="shoe_size", available="skin_tone")
    return Cli(["bias", "--run", "run-1", "--data", str(faces), "--attribute", "shoe_size"]), expected


# Archives through the upload box (core.data.uploads.extract_zip) -------------------------------------------


def _unzip(data: bytes | Path) -> Call:
    return Call(lambda: uploads.extract_zip(data), UploadError)


def zip_slip_climbing_out(w: World):
    # data/uploads/<tmp>/../../../ is the world itself: a slip would land beside inputs/.
    name = "../../../evil.jpg"
    data = _zip({"faces/real/a.png": _encode(_noise(), "PNG"), name: b"evil"})
    return _unzip(data), UPLOAD_UNSAFE_PATH.format(entry=name)


def zip_slip_absolute_path(w: World):
    name = f"{w.inputs}/evil.jpg"
    data = _zip({"faces/real/a.png": _encode(_noise(), "PNG"), name: b"evil"})
    return _unzip(data), UPLOAD_UNSAFE_PATH.format(entry=name)


def zip_symlink(w: World):
    secret = _write(w.inputs / "secret.txt", b"do not read")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("faces/real/a.png", _encode(_noise(), "PNG"))
        link = zipfile.ZipInfo("faces/real/b.jpg")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, str(secret))
    return _unzip(buffer.getvalue()), UPLOAD_SYMLINK.format(entry="faces/real/b.jpg")


def zip_bomb_ratio(w: World):
    data = _zip({"faces/zeros.jpg": bytes(4 * MB)})
    (info,) = zipfile.ZipFile(io.BytesIO(data)).infolist()
    expected = UPLOAD_ZIP_BOMB.format(entry="faces/zeros.jpg", ratio=info.file_size / info.compress_size)
    return _unzip(data), expected


def zip_bomb_total_size(w: World):
    # Two entries whose directory claims 300 MB each, stored (ratio 1): only the total gives it away.
    data = bytearray(
        _zip({"faces/a.jpg": b"a" * 10, "faces/b.jpg": b"b" * 10}, compression=zipfile.ZIP_STORED)
    )
    start = 0
    for _ in range(2):
        start = data.index(b"PK\x01\x02", start)
        data[start + 20 : start + 28] = struct.pack("<II", 300 * MB, 300 * MB)
        start += 4
    expected = UPLOAD_TOO_LARGE_UNPACKED.format(size_mb=600, limit_mb=uploads.MAX_UNPACKED_MB)
    return _unzip(bytes(data)), expected


def zip_bomb_of_small_entries(w: World):
    # 100 entries of 1000 kB of zeros, none large enough to be ratio-checked alone: 100 kB -> 100 MB
    # (the red team's was 568 kB -> 500 MB).
    data = _zip({f"faces/{i}.jpg": bytes(1000 * 1024) for i in range(100)})
    unpacked = 100 * 1000 * 1024
    expected = UPLOAD_ARCHIVE_RATIO.format(
        size_kb=len(data) / 1024, unpacked_mb=unpacked / MB, ratio=unpacked / len(data)
    )
    return _unzip(data), expected


def zip_of_50000_folders(w: World):
    data = _zip({f"faces/{i}/": b"" for i in range(50_000)})
    return _unzip(data), UPLOAD_TOO_MANY_FOLDERS.format(n=uploads.MAX_FOLDERS + 1, limit=uploads.MAX_FOLDERS)


def zip_over_upload_size_limit(w: World):
    archive = w.inputs / "huge.zip"
    with open(archive, "wb") as file:  # sparse: costs no disk
        file.truncate((uploads.MAX_UPLOAD_MB + 1) * MB)
    expected = UPLOAD_TOO_BIG.format(size_mb=uploads.MAX_UPLOAD_MB + 1, limit_mb=uploads.MAX_UPLOAD_MB)
    return _unzip(archive), expected


def zip_that_is_a_text_file(w: World):
    return _unzip(b"path,label\nreal/a.jpg,1\n"), UPLOAD_NOT_ZIP


BAD_INPUTS: list = [
    pytest.param(upload_zero_bytes, id="upload-zero-byte-file"),
    pytest.param(upload_truncated_jpeg, id="upload-truncated-jpeg"),
    pytest.param(upload_random_bytes_named_jpg, id="upload-random-bytes-named-jpg"),
    pytest.param(upload_text_file, id="upload-text-file"),
    pytest.param(upload_one_pixel, id="upload-1x1-image"),
    pytest.param(upload_decompression_bomb, id="upload-20000x20000-decompression-bomb"),
    pytest.param(upload_image_over_size_limit, id="upload-image-over-size-limit"),
    pytest.param(upload_eps_named_jpg, id="upload-eps-named-jpg"),
    pytest.param(upload_icon_holding_a_huge_png, id="upload-ico-holding-a-13000px-png"),
    pytest.param(train_folder_of_only_bad_files, id="train-folder-of-only-unreadable-files"),
    pytest.param(train_empty_folder, id="train-empty-folder"),
    pytest.param(train_empty_class_folders, id="train-empty-real-and-fake-folders"),
    pytest.param(train_one_class, id="train-one-class-only"),
    pytest.param(train_data_is_a_zip_file, id="train-data-is-a-zip-file"),
    pytest.param(train_data_csv_disagrees, id="train-data-csv-disagrees-with-folders"),
    pytest.param(train_data_csv_not_utf8, id="train-data-csv-not-utf8"),
    pytest.param(train_labels_csv_path_escapes, id="train-labels-csv-path-climbs-out"),
    pytest.param(train_utkface_names_that_do_not_parse, id="train-utkface-names-that-do-not-parse"),
    pytest.param(train_too_few_images_to_split, id="train-too-few-images-to-split"),
    pytest.param(train_threshold_not_a_number, id="train-threshold-nan"),
    pytest.param(train_data_in_the_home_of_an_unknown_user, id="train-data-tilde-unknown-user"),
    pytest.param(train_data_path_too_long, id="train-data-300-character-path"),
    pytest.param(train_settings_that_cannot_fit_in_memory, id="train-paper-512px-batch-4096"),
    pytest.param(evaluate_run_id_climbing_out, id="evaluate-run-id-with-dotdot"),
    pytest.param(bias_run_id_absolute_path, id="bias-run-id-absolute-path"),
    pytest.param(load_run_id_climbing_out, id="load-run-id-with-dotdot"),
    pytest.param(delete_run_id_climbing_out, id="delete-run-id-with-dotdot"),
    pytest.param(evaluate_run_missing_scores, id="evaluate-run-folder-missing-scores"),
    pytest.param(evaluate_run_missing_model_and_metrics, id="evaluate-run-folder-missing-model"),
    pytest.param(evaluate_run_config_not_an_object, id="evaluate-run-config-not-an-object"),
    pytest.param(evaluate_run_history_not_a_list, id="evaluate-run-history-not-a-list"),
    pytest.param(evaluate_run_with_a_threshold_in_words, id="evaluate-run-threshold-tampered"),
    pytest.param(evaluate_corrupted_keras_file, id="evaluate-corrupted-keras-file"),
    pytest.param(evaluate_truncated_keras_file, id="evaluate-truncated-keras-file"),
    pytest.param(bias_negative_seed, id="bias-negative-seed"),
    pytest.param(bias_unknown_attribute, id="bias-unknown-attribute"),
    pytest.param(zip_slip_climbing_out, id="zip-slip-dotdot"),
    pytest.param(zip_slip_absolute_path, id="zip-slip-absolute-path"),
    pytest.param(zip_symlink, id="zip-symlink"),
    pytest.param(zip_bomb_ratio, id="zip-bomb-ratio"),
    pytest.param(zip_bomb_total_size, id="zip-bomb-total-size"),
    pytest.param(zip_bomb_of_small_entries, id="zip-bomb-of-small-entries"),
    pytest.param(zip_of_50000_folders, id="zip-of-50000-folders"),
    pytest.param(zip_over_upload_size_limit, id="zip-over-upload-size-limit"),
    pytest.param(zip_that_is_a_text_file, id="zip-that-is-a-text-file"),
]


def _assert_says(message: str, expected: Expected) -> None:
    assert "\n" not in message and message.endswith(".")
    if isinstance(expected, str):
        assert message == expected
    else:
        assert message.startswith(expected.parts[0]) and message.endswith(expected.parts[-1])
        position = 0
        for part in expected.parts:
            position = message.index(part, position) + len(part)


def _cli_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI, check it failed with one ``error:`` line and no traceback; return the sentence.

    Before that line stderr may only hold progress bars and the files it skipped.
    """
    assert main([*argv, "--json"]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    *before, last = err.splitlines()
    assert last.startswith("error: ")
    others = [line for line in before if not (PROGRESS_LINE.match(line) or line.startswith("skipped "))]
    assert others == []
    return last.removeprefix("error: ")


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_fails_with_one_sentence_and_writes_only_data_and_models(world, capsys, case: Case):
    drive, expected = case(world)
    before = _tree(world.root)
    if isinstance(drive, Cli):
        message = _cli_error(capsys, drive.argv)
    else:
        with pytest.raises(drive.error) as raised:
            drive.run()
        message = str(raised.value)
    _assert_says(message, expected)
    assert _touched_outside(before, _tree(world.root)) == []


def test_bad_input_catalogue_is_long_enough():
    assert len({p.id for p in BAD_INPUTS}) == len(BAD_INPUTS) >= 25


@pytest.mark.slow
def test_cli_subprocess_corrupted_model_is_one_sentence_on_real_stderr(world):
    """With a real stderr, Keras' own output must not end in a traceback either."""
    drive, expected = evaluate_corrupted_keras_file(world)
    before = _tree(world.root)
    proc = subprocess.run(
        [sys.executable, "-m", "core", *drive.argv, "--json"],
        cwd=world.root,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TMPDIR": str(world.root / "tmp")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == EXIT_BAD_INPUT
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    _assert_says(proc.stderr.splitlines()[-1].removeprefix("error: "), expected)
    assert _touched_outside(before, _tree(world.root)) == []


# --- unusual but valid: must load ------------------------------------------------------------------


def _alpha_png(folder: Path) -> tuple[str, Callable[[np.ndarray], None]]:
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 0))  # transparent red ...
    image.paste((0, 0, 0, 255), (0, 0, 8, 16))  # ... with an opaque black left half
    _write(folder / "real" / "alpha.png", _encode(image, "PNG"))

    def check(pixels: np.ndarray) -> None:
        assert tuple(pixels[8, 2]) == (0, 0, 0) and tuple(pixels[8, 13]) == WHITE

    return "real/alpha.png", check


def _grey_16_bit_png(folder: Path):
    grey = np.full((16, 16), 257 * 128, dtype=np.uint16)  # clipped to 8 bits it would read 255
    _write(folder / "real" / "grey16.png", _encode(Image.fromarray(grey), "PNG"))
    return "real/grey16.png", lambda pixels: np.testing.assert_array_equal(pixels, 128)


def _cmyk_jpeg(folder: Path):
    _write(folder / "fake" / "cmyk.jpg", _encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"))
    return "fake/cmyk.jpg", lambda pixels: np.testing.assert_allclose(pixels[8, 8], RED, atol=8)


def _palette_gif(folder: Path):
    image = Image.new("P", (16, 16), 1)
    image.putpalette([0, 0, 0, *GREEN] + [0] * 762)
    _write(folder / "fake" / "palette.gif", _encode(image, "GIF"))
    return "fake/palette.gif", lambda pixels: np.testing.assert_array_equal(
        pixels, np.full_like(pixels, GREEN)
    )


def _animated(fmt: str, suffix: str):
    def build(folder: Path):
        frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, BLUE, GREEN)]
        data = _encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, lossless=True)
        assert Image.open(io.BytesIO(data)).n_frames == 3
        _write(folder / "real" / f"animated{suffix}", data)
        return f"real/animated{suffix}", lambda pixels: np.testing.assert_array_equal(
            pixels, np.full_like(pixels, RED)
        )

    return build


def _exif_rotated_jpeg(folder: Path):
    # Stored 32x16 with red on the left; orientation 6 (rotate 90 clockwise to view) puts red on top.
    stored = Image.new("RGB", (32, 16), RED)
    stored.paste(BLUE, (16, 0, 32, 16))
    exif = Image.Exif()
    exif[0x0112] = 6
    _write(folder / "real" / "phone.jpg", _encode(stored, "JPEG", quality=95, exif=exif))

    def check(pixels: np.ndarray) -> None:
        np.testing.assert_allclose(pixels[2, 8], RED, atol=30)  # top
        np.testing.assert_allclose(pixels[13, 8], BLUE, atol=30)  # bottom

    return "real/phone.jpg", check


def _nested(folder: Path):
    _write(
        folder / "real" / "2024" / "june" / "day 1" / "face.png",
        _encode(Image.new("RGB", (16, 16), RED), "PNG"),
    )
    return "real/2024/june/day 1/face.png", lambda pixels: np.testing.assert_array_equal(pixels[0, 0], RED)


def _unicode_name(folder: Path):
    _write(folder / "fake" / "visage_é_面孔_😀.png", _encode(Image.new("RGB", (16, 16), BLUE), "PNG"))
    return "fake/visage_é_面孔_😀.png", lambda pixels: np.testing.assert_array_equal(pixels[0, 0], BLUE)


def _non_utf8_name(folder: Path):
    name = os.fsdecode(b"caf\xe9 \xff.png")  # not UTF-8: Python keeps it surrogate-escaped
    _write(folder / "real" / name, _encode(Image.new("RGB", (16, 16), GREEN), "PNG"))
    return f"real/{name}", lambda pixels: np.testing.assert_array_equal(pixels[0, 0], GREEN)


def _upper_case_extension(folder: Path):
    _write(folder / "fake" / "SHOUT.JPEG", _encode(Image.new("RGB", (16, 16), WHITE), "JPEG"))
    return "fake/SHOUT.JPEG", lambda pixels: np.testing.assert_allclose(pixels[8, 8], WHITE, atol=2)


UNUSUAL_BUT_VALID = [
    pytest.param(_alpha_png, id="png-with-alpha"),
    pytest.param(_grey_16_bit_png, id="png-16-bit-grey"),
    pytest.param(_cmyk_jpeg, id="jpeg-cmyk"),
    pytest.param(_palette_gif, id="gif-palette"),
    pytest.param(_animated("GIF", ".gif"), id="gif-animated"),
    pytest.param(_animated("WEBP", ".webp"), id="webp-animated"),
    pytest.param(_exif_rotated_jpeg, id="jpeg-exif-rotated"),
    pytest.param(_nested, id="nested-subfolders"),
    pytest.param(_unicode_name, id="unicode-name"),
    pytest.param(_non_utf8_name, id="non-utf8-name"),
    pytest.param(_upper_case_extension, id="upper-case-extension"),
]


@pytest.mark.parametrize("build", UNUSUAL_BUT_VALID)
def test_unusual_but_valid_image_loads_with_the_right_pixels(world, build):
    faces = _good_folder(world.inputs / "faces", n_real=2, n_fake=2)
    path, check = build(faces)
    before = _tree(world.root)
    loaded = datasets.load(faces, image_size=16)
    assert loaded.skipped == ()
    assert path in loaded.paths
    index = loaded.paths.index(path)
    assert loaded.labels[index] == (1 if path.startswith("real/") else 0)
    check(loaded.images[index].astype(int))
    assert _touched_outside(before, _tree(world.root)) == []


# --- a realistic mixed folder: good, unusual and bad files together ---------------------------------


def _mixed_folder(root: Path) -> tuple[list[str], dict[str, str]]:
    """real/ and fake/ with 10 good images each, every unusual-but-valid file, and every bad one.

    Returns the paths that must load and ``{path: reason}`` for the files that must be skipped.
    """
    _good_folder(root, n_real=10, n_fake=10)
    good = [f"real/real_{i}.png" for i in range(10)] + [f"fake/fake_{i}.jpg" for i in range(10)]
    good += [build(root)[0] for build in (p.values[0] for p in UNUSUAL_BUT_VALID)]
    bad_files = {
        "real/empty.jpg": b"",
        "real/cut.jpg": _truncated_jpeg(),
        "fake/random.jpg": np.random.default_rng(3).bytes(3000),
        "fake/letter.png": b"Dear reader, this is text.\n" * 20,
        "real/dot.png": _encode(Image.new("RGB", (1, 1)), "PNG"),
        "fake/bomb.png": _png_claiming(20000, 20000),
        "real/notes.txt": b"a note someone left here",
    }
    for path, data in bad_files.items():
        _write(root / path, data)
    (root / "fake" / "gone.jpg").symlink_to(root / "fake" / "deleted.jpg")
    (root / "real" / "loop.png").symlink_to(root / "real" / "loop.png")
    too_large = IMAGE_TOO_LARGE.format(name="bomb.png", megapixels=400, limit_mp=MAX_PIXELS // 10**6)
    skipped = {
        "real/empty.jpg": IMAGE_EMPTY.format(name="empty.jpg"),
        "real/cut.jpg": IMAGE_TRUNCATED.format(name="cut.jpg"),
        "fake/random.jpg": IMAGE_NOT_AN_IMAGE.format(name="random.jpg"),
        "fake/letter.png": IMAGE_NOT_AN_IMAGE.format(name="letter.png"),
        "real/dot.png": IMAGE_TOO_SMALL.format(name="dot.png", width=1, height=1, minimum=MIN_SIDE),
        "fake/bomb.png": too_large,
        "real/notes.txt": SKIP_NOT_IMAGE_TYPE.format(suffix=".txt", extensions=", ".join(IMAGE_EXTENSIONS)),
        "fake/gone.jpg": SKIP_BROKEN_LINK,
        "real/loop.png": SKIP_BROKEN_LINK,
    }
    return good, skipped


def test_load_mixed_folder_skips_each_bad_file_by_name_with_its_reason(world):
    good, skipped = _mixed_folder(world.inputs / "faces")
    loaded = datasets.load(world.inputs / "faces", image_size=16)
    assert sorted(loaded.paths) == sorted(good)
    assert {s.path: s.reason for s in loaded.skipped} == skipped
    assert len(loaded.skipped) == len(skipped)
    cached = datasets.load(world.inputs / "faces", image_size=16)  # the same report from the cache
    assert cached.skipped == loaded.skipped
    np.testing.assert_array_equal(cached.images, loaded.images)


@pytest.mark.slow
def test_cli_train_on_mixed_folder_succeeds_and_lists_what_it_skipped(world):
    faces = world.inputs / "faces"
    good, skipped = _mixed_folder(faces)
    before = _tree(world.root)
    proc = subprocess.run(
        [sys.executable, "-m", "core", *_train(faces).argv, "--batch-size", "8", "--json"],
        cwd=world.root,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "TMPDIR": str(world.root / "tmp")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "finished"
    assert summary["n_train"] + summary["n_val"] == len(good)
    assert {s["path"]: s["reason"] for s in summary["skipped"]} == skipped
    for path, reason in skipped.items():
        assert f"skipped {path}: {reason}" in proc.stderr.splitlines()

    run = store.load_run(summary["run_id"])
    assert run.info.config["dataset"]["n"] == len(good)
    assert set(run.scores["path"]) <= set(good)  # non-UTF-8 names come back from scores.csv intact
    assert _touched_outside(before, _tree(world.root)) == []


def test_cli_train_utkface_bad_names_are_skipped_and_listed(world, capsys):
    utk = world.inputs / "utk"
    good = ["25_0_0_20170116174525125.jpg.chip.jpg", "30_1_1_1.jpg", "45_0_2_1.jpg", "70_1_3_1.jpg"]
    bad = {
        "61_1_20170109142408075.jpg.chip.jpg": "it has 3 fields instead of 4",
        "40_2_1_3.jpg": "gender code 2 is not 0 or 1",
        "200_0_1_3.jpg": "age 200 is over 116",
    }
    for name in good + list(bad):
        _write(utk / name, _encode(_noise(), "JPEG"))
    reasons = {name: SKIP_UTKFACE_NAME.format(problem=problem) for name, problem in bad.items()}
    loaded = datasets.load(utk, image_size=16)
    assert sorted(loaded.paths) == sorted(good)
    assert {s.path: s.reason for s in loaded.skipped} == reasons

    # UTKFace is all real, so it cannot train alone: the CLI names the skipped files, then says why.
    assert main([*_train(utk).argv, "--json"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "error: " + ONE_CLASS.format(present="real", path=utk.resolve())
    listed = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert sorted(listed) == sorted(f"skipped {name}: {reason}" for name, reason in reasons.items())


@pytest.mark.slow
def test_cli_train_on_non_utf8_names_saves_and_reads_back_their_scores(world, capsys):
    """Validation scores go to scores.csv by path; a name that is not UTF-8 must survive the trip."""
    faces = world.inputs / "faces"
    odd = [os.fsdecode(b"visage \xe9 %d.png" % i) for i in range(6)]  # not UTF-8
    names = {f"{kind}/{name}" for kind in ("real", "fake") for name in odd}
    for i, path in enumerate(sorted(names)):
        _write(faces / path, _encode(_noise(seed=i), "PNG"))
    before = _tree(world.root)
    assert main([*_train(faces).argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["skipped"] == []

    scores = store.load_run(summary["run_id"]).scores
    assert len(scores) == summary["n_val"] > 0
    assert set(scores["path"]) <= names
    assert all((faces / path).is_file() for path in scores["path"])
    assert main(["evaluate", "--run", summary["run_id"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == summary["n_val"]
    assert _touched_outside(before, _tree(world.root)) == []
