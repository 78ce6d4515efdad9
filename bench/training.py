"""Training figures per preset: runs :mod:`bench.worker` processes and summarises their seeds."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from core.paths import REPO_ROOT

#: The paper preset is timed on this many epochs and extrapolated to the protocol's.
PAPER_MEASURED_EPOCHS = 1


class WorkerError(RuntimeError):
    """A training worker exited with an error; the message ends with its stderr."""


def run_worker(
    data: str,
    *,
    seeds: Sequence[int],
    epochs: int,
    preset: str | None = None,
    variant: str | None = None,
    image_size: int | None = None,
    limit: int | None = None,
    score: bool = False,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``python -m bench.worker`` in a fresh process and return its JSON result.

    ``preset`` as in core, or ``variant`` (a name in :data:`bench.variants.VARIANTS`, which
    knows its preset).

    Raises
    ------
    WorkerError
        If the worker exits non-zero or prints no JSON.
    """
    argv = [sys.executable, "-m", "bench.worker", "--data", data, "--epochs", str(epochs)]
    argv += ["--seeds", *map(str, seeds)]
    argv += ["--preset", preset] if preset else []
    argv += ["--variant", variant] if variant else []
    argv += ["--image-size", str(image_size)] if image_size else []
    argv += ["--limit", str(limit)] if limit else []
    argv += ["--score"] if score else []
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_ROOT, env=env or dict(os.environ))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise WorkerError(f"worker {' '.join(argv[2:])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(lines[-1])


def summarise(worker: dict[str, Any], *, target_epochs: int) -> dict[str, Any]:
    """Mean and range over seeds; a run measured on fewer epochs is extrapolated to ``target_epochs``.

    Extrapolated wall time is the warm data load, plus what :func:`core.model.train.train` spends
    outside ``fit`` (building, scoring the validation set), plus ``target_epochs`` times
    the measured time per epoch. The first epoch also pays for graph tracing, so the
    extrapolation errs high; accuracy and AUC stay those after the measured epochs.
    """
    runs = worker["runs"]
    measured = runs[0]["config"]["epochs"]
    walls = [extrapolated_wall(r, target_epochs) for r in runs]
    accuracy = [r["val_accuracy"] for r in runs]
    auc = [r["auc"] for r in runs]
    out: dict[str, Any] = {
        "preset": worker["preset"],
        "image_size": runs[0]["config"]["image_size"],
        "batch_size": runs[0]["config"]["batch_size"],
        "epochs": target_epochs,
        "measured_epochs": measured,
        "extrapolated": measured != target_epochs,
        "seeds": [r["seed"] for r in runs],
        "n_images": runs[0]["n_images"],
        "n_train": runs[0]["n_train"],
        "val_n": runs[0]["val_n"],
        "train_seconds": statistics.mean(walls),
        "train_seconds_range": [min(walls), max(walls)],
        "load_seconds": statistics.mean(r["load_seconds"] for r in runs),
        "fit_seconds_measured": statistics.mean(r["fit_seconds"] for r in runs),
        "cpu_seconds_measured": statistics.mean(r["cpu_seconds"] for r in runs),
        "images_per_second": statistics.mean(r["images_per_second"] for r in runs),
        "flops_per_image": runs[0]["flops_per_image"],
        "val_accuracy_mean": statistics.mean(accuracy),
        "val_accuracy_range": [min(accuracy), max(accuracy)],
        "auc_mean": statistics.mean(auc),
        "auc_range": [min(auc), max(auc)],
        "peak_rss_mb": worker["peak_rss_mb"],
        "per_seed": [_seed_row(r) for r in runs],
    }
    if "scoring" in worker:
        out["scoring"] = worker["scoring"]
    return out


def add_flops_fraction(summary: dict[str, Any], *, gflops: float) -> None:
    """Set ``achieved_gflops`` and ``flops_fraction`` (see :func:`flops_fraction`) on a preset's summary."""
    flops, rate = summary["flops_per_image"], summary["images_per_second"]
    summary["achieved_gflops"] = achieved_gflops(flops, rate)
    summary["flops_fraction"] = flops_fraction(flops, rate, gflops=gflops)


def achieved_gflops(flops_per_image: float, images_per_second: float) -> float:
    """Training GFLOP/s: FLOPs per image x images per second / 1e9.

    Examples
    --------
    >>> achieved_gflops(2e6, 500)
    1.0
    """
    return flops_per_image * images_per_second / 1e9


def flops_fraction(flops_per_image: float, images_per_second: float, *, gflops: float) -> float:
    """Training GFLOP/s (:func:`achieved_gflops`) as a share of a matmul rate of ``gflops`` GFLOP/s.

    ``images_per_second`` comes from ``fit`` time, which also covers the validation pass
    each epoch, not counted in the FLOPs, so the share errs low.

    Examples
    --------
    >>> flops_fraction(1e6, 2000, gflops=10.0)
    0.2
    """
    return achieved_gflops(flops_per_image, images_per_second) / gflops


def speedup(slow_seconds: float, fast_seconds: float) -> float:
    """How many times faster: ``slow_seconds / fast_seconds``.

    Examples
    --------
    >>> speedup(450.0, 5.0)
    90.0
    """
    return slow_seconds / fast_seconds


def extrapolated_wall(run: dict[str, Any], target_epochs: int) -> float:
    """A worker run's wall seconds for ``target_epochs``, from the epochs it timed.

    The measured wall when it trained ``target_epochs``; else its warm data load, plus
    what ``train()`` spent outside ``fit``, plus ``target_epochs`` x fit seconds per epoch.

    Examples
    --------
    >>> run = {"config": {"epochs": 1}, "train_seconds": 13.0, "load_seconds": 1.0,
    ...        "call_seconds": 12.0, "fit_seconds": 10.0}
    >>> extrapolated_wall(run, 10)
    103.0
    >>> extrapolated_wall(run, 1)
    13.0
    """
    epochs = run["config"]["epochs"]
    if epochs == target_epochs:
        return run["train_seconds"]
    outside_fit = run["call_seconds"] - run["fit_seconds"]
    return run["load_seconds"] + outside_fit + run["fit_seconds"] / epochs * target_epochs


def _seed_row(run: dict[str, Any]) -> dict[str, Any]:
    keys = ("seed", "train_seconds", "load_seconds", "fit_seconds", "cpu_seconds", "images_per_second")
    row = {k: run[k] for k in keys}
    row |= {k: run[k] for k in ("val_accuracy", "val_accuracy_ci", "val_n", "auc", "load_average")}
    return row
