"""The whole benchmark in one run: what to measure (a :class:`Plan`) and the order it is measured in."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench import machine
from bench.app import AppOptions, app_section
from bench.data import data_section
from bench.datasource import choose_data
from bench.interaction import interaction_section
from bench.targets import check
from bench.timing import load_average
from bench.training import PAPER_MEASURED_EPOCHS, add_flops_fraction, run_worker, speedup, summarise
from core.model.config import PRESET_DEFAULTS

T = TypeVar("T")

SCHEMA = 1
STEP_FAILED = "The benchmark step '{step}' failed, so no results were written: {reason}"


class StepFailed(RuntimeError):
    """A step of the benchmark raised; the message (:data:`STEP_FAILED`) names the step and why."""


def step(name: str, run: Callable[[], T]) -> T:
    """``run()``, or :class:`StepFailed` naming ``name`` if it raises.

    Raises
    ------
    StepFailed
        With the step's name and the exception's type and message.
    """
    try:
        return run()
    except Exception as exc:
        reason = f"{type(exc).__name__}: {str(exc)[:1500]}"
        raise StepFailed(STEP_FAILED.format(step=name, reason=reason)) from exc


@dataclass(frozen=True)
class Plan:
    """What one run measures; :func:`full_plan` and :func:`quick_plan` are the two used."""

    mode: str
    epochs: int
    fast_seeds: tuple[int, ...]
    paper_epochs: int
    image_size: dict[str, int]  # per preset
    limit: int | None = None  # train on a seeded subset of this many images
    skip: frozenset[str] = field(default_factory=frozenset)  # of "paper", "app"
    load_seconds: float = 30.0
    interaction_repeats: int = 200


def full_plan(*, skip: frozenset[str] = frozenset(), load_seconds: float = 30.0) -> Plan:
    sizes = {p: PRESET_DEFAULTS[p]["image_size"] for p in ("fast", "paper")}
    return Plan("full", 10, (0, 1, 2), PAPER_MEASURED_EPOCHS, sizes, skip=skip, load_seconds=load_seconds)


def quick_plan() -> Plan:
    """For CI: 240 images at 32x32, one epoch, one seed, no app; well under a minute."""
    sizes = {"fast": 32, "paper": 32}
    return Plan("quick", 1, (0,), 1, sizes, limit=240, skip=frozenset({"app"}), interaction_repeats=20)


def run_suite(plan: Plan, *, data: str | None = None, log: Any = print) -> dict[str, Any]:
    """Measure everything ``plan`` asks for; returns the results.json content.

    ``UNMASK_DATA_DIR`` and ``UNMASK_MODELS_DIR`` must point at temporary folders: the
    data step clears the cache there. A step left out by ``plan.skip`` is recorded as
    skipped with the reason; any other step either measures or fails.

    Raises
    ------
    StepFailed
        When a step raises, naming the step.
    """
    load_start = load_average()
    folder, description = choose_data(data)
    log(f"data: {description}: {folder}")
    gflops_start = machine.matmul_gflops()
    log(f"numpy float32 matmul: {gflops_start:.0f} GFLOP/s")
    presets = ["fast"] + ([] if "paper" in plan.skip else ["paper"])
    sizes = list(dict.fromkeys(plan.image_size[p] for p in presets))
    results: dict[str, Any] = {"schema": SCHEMA, "mode": plan.mode, "date": _now()}
    results["data"] = step("data", lambda: data_section(folder, sizes=sizes))
    log(f"data: {results['data']['n']} images, first load {results['data']['cold_seconds']:.2f} s")
    results["dataset"] = {"description": description, "folder": str(folder), "n": results["data"]["n"]}
    results["metrics"] = step("metrics", lambda: interaction_section(repeats=plan.interaction_repeats))
    metrics = results["metrics"]
    log(f"metrics: threshold {metrics['threshold_ms']:.1f} ms, groups {metrics['groups_ms']:.1f} ms")
    results["scoring"] = {}
    for preset in presets:
        results[preset] = step(
            f"train {preset}", lambda p=preset: _train_preset(plan, p, folder, results["scoring"])
        )
        done = results[preset]
        log(f"{preset}: {done['train_seconds']:.1f} s, accuracy {done['val_accuracy_mean']:.4f}")
    if "paper" in results:
        results["speedup"] = speedup(results["paper"]["train_seconds"], results["fast"]["train_seconds"])
    results["app"] = _app(plan, folder, log)
    gflops = max(gflops_start, machine.matmul_gflops())
    for preset in presets:
        add_flops_fraction(results[preset], gflops=gflops)
    results["machine"] = {**machine.machine_info(gflops=gflops), "numpy_matmul_gflops_start": gflops_start}
    results["machine"] |= {"load_average_start": load_start, "load_average_end": load_average()}
    results["code"] = machine.code_version()
    results["versions"] = machine.versions()
    results["command"] = " ".join(["python -m bench", *sys.argv[1:]])
    results["targets"] = check(results)
    return results


def _train_preset(plan: Plan, preset: str, folder: Path, scoring: dict[str, Any]) -> dict[str, Any]:
    epochs = plan.epochs if preset == "fast" else plan.paper_epochs
    seeds = plan.fast_seeds if preset == "fast" else (0,)
    worker = run_worker(
        str(folder),
        preset=preset,
        seeds=seeds,
        epochs=epochs,
        image_size=plan.image_size[preset],
        limit=plan.limit,
        score=True,
    )
    scoring[preset] = worker.pop("scoring")
    return summarise(worker, target_epochs=plan.epochs)


def _app(plan: Plan, folder: Path, log: Any) -> dict[str, Any]:
    if "app" in plan.skip:
        return {
            "skipped": f"skipped in {plan.mode} mode" if plan.mode == "quick" else "skipped with --skip app"
        }
    out = step("app", lambda: app_section(AppOptions(load_seconds=plan.load_seconds), data=folder))
    log(f"app: {out}")
    return out


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds")
