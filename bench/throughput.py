"""Streamed scoring: images/s (decode included) and peak memory of ``python -m core evaluate``.

A folder of :data:`N_IMAGES` JPEGs is built in a temporary folder outside the checkout, half
``real/`` and half ``fake/``, by copying the shared sets' files round-robin under new names
(real: the Hard set's reals, UTKFace, LFW; fake: the Hard set's fakes and the Pollinations faces;
see ``core.paths.shared_datasets_dir()``), or, when they are not there, from the synthetic demo
set. A freshly built (untrained: speed does not depend on the weights) fast-preset model is saved
as a run in a temporary models folder for each image size, and ``python -m core evaluate --run
ID --data DIR --scores-out FILE`` runs in a child process at each size of :data:`SIZES`.

- ``images_per_second``: images scored ÷ seconds from the first chunk's decode to the last
  chunk's score, as the command's progress line on stderr says it (TensorFlow's start-up and
  the model's load are not in it; ``wall_seconds``, the whole command, is beside it);
- ``peak_rss_mb``: the child's peak resident memory (``os.wait4``'s ``ru_maxrss``), in MiB;
- the machine: cores, the device TensorFlow sees, and the load average at the end of each size.

Training (``--train``): a folder of :data:`TRAIN_N_IMAGES` built the same way, and ``python -m
core train --epochs 1`` on it in a child process for each preset of :data:`TRAIN_PRESETS` at its
default size: ``images_per_second`` (training images × epochs ÷ the run's ``train_seconds``,
validation passes included), the whole command's wall time and its peak RSS, and whether the set
was streamed from disk (``core.model.memory.streams``: the paper preset at 300 px on 10,000
images is, the fast preset at 64 px is not).

``python -m bench.throughput`` prints the figures as JSON; with ``--write`` it also records
them in bench/results.json (its ``throughput`` section, and the targets), leaving every other
figure as the last full ``python -m bench`` measured it.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from core.paths import REPO_ROOT, shared_datasets_dir

N_IMAGES = 6000
SIZES = (64, 256)
#: Where the copies come from, by class, under the shared data sets.
SOURCES = {
    "real": ("hardfakevsrealfaces/real", "utkface", "other-sources/lfw"),
    "fake": ("hardfakevsrealfaces/fake", "other-sources/pollinations"),
}
#: The last progress line of a streamed ``evaluate`` (:func:`core.cli.common.score_bar`).
RATE_LINE = re.compile(r"scoring (\d+)/(\d+), (\d+) images/s")
RUN_TIMEOUT_S = 1800
TRAIN_N_IMAGES = 10_000
TRAIN_PRESETS = ("fast", "paper")
#: ``UNMASK_DISK_QUOTA_MB`` for the training measurement: 10,000 squares at 300 px take 2.6 GB on disk.
TRAIN_DISK_QUOTA_MB = 4096
TRAIN_FAILED = "python -m core train --preset {preset} failed while measuring throughput: {stderr}"
EVALUATE_FAILED = "python -m core evaluate failed at {size} px while measuring throughput: {stderr}"


class ThroughputError(RuntimeError):
    """The throughput could not be measured; the message says why."""


def build_folder(target: Path, *, n: int = N_IMAGES) -> str:
    """Fill ``target`` with ``n`` JPEGs in ``real/`` and ``fake/``; returns where they came from, in words."""
    shared = shared_datasets_dir()
    found = {c: [f for s in SOURCES[c] for f in _jpegs(shared / s)] for c in SOURCES}
    if all(found.values()):
        described = "copies of " + "; ".join(f"{c}: {', '.join(SOURCES[c])}" for c in SOURCES)
    else:
        from core.data.demo import ensure_demo

        demo = ensure_demo()
        found = {c: _jpegs(demo / c) or sorted((demo / c).glob("*.png")) for c in SOURCES}
        described = "copies of the synthetic demo set (the shared sets are not beside the checkout)"
    for cls, files in found.items():
        (target / cls).mkdir(parents=True, exist_ok=True)
        for i, source in zip(range(n // 2), itertools.cycle(files), strict=False):
            shutil.copyfile(source, target / cls / f"{i:05d}{source.suffix.lower()}")
    return described


def _jpegs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))


def save_fresh_run(size: int) -> str:
    """A fast-preset run at ``size`` px with a freshly built model, in the current models folder."""
    import pandas as pd

    from core.model.presets import build_model
    from core.runs import store

    info = store.save_run(
        model=build_model("fast", image_size=size),
        config={"preset": "fast", "status": "finished", "threshold": 0.75, "image_size": size},
        history=pd.DataFrame({"epoch": [1], "loss": [0.7]}),
        scores=pd.DataFrame({"path": ["real/a.jpg", "fake/b.jpg"], "label": [1, 0], "score": [0.9, 0.1]}),
        metrics={"accuracy": 1.0, "n": 2},
        run_id=f"throughput-{size}",
    )
    return info.run_id


def device() -> str:
    """The device TensorFlow scores on: the GPUs' names, else ``"CPU"``."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "CPU"
    names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
    return "GPU: " + ", ".join(names)


def measure_size(
    folder: Path, run_id: str, *, size: int, env: dict[str, str], scratch: Path
) -> dict[str, Any]:
    """Run the streamed ``evaluate`` in a child process; its rate, wall time and peak RSS."""
    from bench.timing import load_average

    out, err = scratch / f"stdout-{size}.txt", scratch / f"stderr-{size}.txt"
    argv = [sys.executable, "-m", "core", "evaluate", "--run", run_id, "--data", str(folder)]
    argv += ["--scores-out", str(scratch / f"scores-{size}.csv"), "--json"]
    code, wall, usage = _child(argv, env, out, err)
    said = err.read_text(encoding="utf-8", errors="replace")
    if code != 0:
        raise ThroughputError(EVALUATE_FAILED.format(size=size, stderr=said.strip()[-500:]))
    result = json.loads(out.read_text(encoding="utf-8"))
    done, total, rate = (int(x) for x in RATE_LINE.findall(said)[-1])
    return {
        "image_size": size,
        "n": result["n"],
        "n_skipped": len(result["skipped"]),
        "images_per_second": rate,
        "wall_seconds": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "load_average": load_average(),
    }


def _child(argv: list[str], env: dict[str, str], out: Path, err: Path) -> tuple[int, float, Any]:
    """Run ``argv`` with stdout/stderr to files; its exit code, wall seconds and its own rusage
    (``os.wait4``: this child's, not all children's)."""
    started = time.perf_counter()
    with out.open("w") as stdout, err.open("w") as stderr:
        child = subprocess.Popen(argv, stdout=stdout, stderr=stderr, env=env, cwd=REPO_ROOT)
        _, status, usage = os.wait4(child.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage


def measure_training(folder: Path, *, preset: str, env: dict[str, str], scratch: Path) -> dict[str, Any]:
    """``python -m core train --preset PRESET --epochs 1`` on ``folder``: its rate, wall time and peak RSS."""
    from bench.timing import load_average
    from core.model import memory
    from core.model.config import TrainConfig

    argv = [sys.executable, "-m", "core", "train", "--data", str(folder), "--preset", preset]
    argv += ["--epochs", "1", "--json"]
    out, err = scratch / f"train-{preset}.json", scratch / f"train-{preset}.err"
    code, wall, usage = _child(argv, env, out, err)
    if code != 0:
        said = err.read_text(encoding="utf-8", errors="replace").strip()[-500:]
        raise ThroughputError(TRAIN_FAILED.format(preset=preset, stderr=said))
    summary = json.loads(out.read_text(encoding="utf-8"))
    n_images = summary["n_train"] + summary["n_val"]
    return {
        "preset": preset,
        "image_size": summary["image_size"],
        "n_train": summary["n_train"],
        "n_val": summary["n_val"],
        "streamed": memory.streams(TrainConfig(preset=preset), n_images),
        "train_seconds": summary["train_seconds"],
        "images_per_second": round(summary["n_train"] / summary["train_seconds"], 1),
        "wall_seconds": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "load_average": load_average(),
    }


def measure_train(*, n: int = TRAIN_N_IMAGES, presets: tuple[str, ...] = TRAIN_PRESETS) -> dict[str, Any]:
    """Build a folder of ``n`` images and train each preset on it for one epoch: the ``training`` part."""
    with tempfile.TemporaryDirectory(prefix="unmask-train-throughput-") as tmp:
        scratch = Path(tmp)
        env = {**os.environ, "UNMASK_DATA_DIR": f"{tmp}/data", "UNMASK_MODELS_DIR": f"{tmp}/models"}
        env["UNMASK_DISK_QUOTA_MB"] = str(TRAIN_DISK_QUOTA_MB)  # the 2.6 GB stream file is over the default
        folder = scratch / "faces"
        described = build_folder(folder, n=n)
        by_preset = {p: measure_training(folder, preset=p, env=env, scratch=scratch) for p in presets}
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.throughput --train",
        "n_images": n,
        "data": described,
        "epochs": 1,
        "disk_quota_mb": TRAIN_DISK_QUOTA_MB,
        "by_preset": by_preset,
    }


def measure(*, n: int = N_IMAGES, sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """Build the folder, save a run per size, time ``evaluate`` at each size: the ``throughput`` section."""
    with tempfile.TemporaryDirectory(prefix="unmask-throughput-") as tmp:
        scratch = Path(tmp)
        env = {**os.environ, "UNMASK_DATA_DIR": f"{tmp}/data", "UNMASK_MODELS_DIR": f"{tmp}/models"}
        os.environ.update({k: env[k] for k in ("UNMASK_DATA_DIR", "UNMASK_MODELS_DIR")})
        folder = scratch / "faces"
        described = build_folder(folder, n=n)
        runs = {size: save_fresh_run(size) for size in sizes}
        by_size = {
            str(size): measure_size(folder, runs[size], size=size, env=env, scratch=scratch) for size in sizes
        }
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": "python -m bench.throughput",
        "n_images": n,
        "data": described,
        "cores": os.cpu_count(),
        "device": device(),
        "chunk_size": _chunk_size(),
        "by_size": by_size,
    }


def _chunk_size() -> int:
    from core.evaluation.streaming import CHUNK_SIZE

    return CHUNK_SIZE


def record(figures: dict[str, Any], path: Path, *, part: str | None = None) -> None:
    """Put the ``throughput`` section, or its ``part`` (``training``), into results.json; check targets."""
    from bench.targets import update_results

    def change(results: dict[str, Any]) -> None:
        if part is None:
            kept = results.get("throughput", {}).get("training")
            results["throughput"] = figures if kept is None else {**figures, "training": kept}
        else:
            results.setdefault("throughput", {})[part] = figures

    update_results(path, change)


def main(argv: list[str] | None = None) -> None:
    from bench.report import BENCH_DIR

    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--n", type=int, default=N_IMAGES, help="images in the folder")
    parser.add_argument("--write", action="store_true", help="record the figures in bench/results.json")
    parser.add_argument("--train", action="store_true", help="measure training instead of scoring")
    args = parser.parse_args(argv)
    if args.train:
        figures = measure_train(n=args.n if args.n != N_IMAGES else TRAIN_N_IMAGES)
        part: str | None = "training"
    else:
        figures, part = measure(n=args.n), None
    print(json.dumps(figures, indent=2))
    if args.write:
        record(figures, BENCH_DIR / "results.json", part=part)


if __name__ == "__main__":
    main()
