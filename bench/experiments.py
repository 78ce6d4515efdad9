"""Experiments behind the presets' settings: ``python -m bench.experiments [--only NAME ...]``.

An :class:`Experiment` trains variants of one preset (:mod:`bench.variants`), each run in
a fresh process (:mod:`bench.worker`), one round per seed. A *timed* experiment runs the
baseline at the start of each round and again in the middle, the other variants in an
order rotated from round to round: a variant's speed is the median over rounds of its
wall time over the same round's baseline mean, because on a machine shared with other
work only runs close in time compare. An untimed one (whose question is accuracy) runs
each variant once per seed.

Results go to ``bench/experiments.json``, one entry per experiment, replaced when that
experiment is run again and written only when it has finished; each entry stores every
variant's full settings (:func:`bench.variants.settings`) beside its figures, so what is
adopted is decided later by comparing them with ``core`` (:mod:`bench.conclusions`).
Writing the committed file also re-renders bench/RESULTS.md and the README's blocks.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.datasource import choose_data
from bench.machine import code_version, matmul_gflops
from bench.targets import target
from bench.timing import load_average
from bench.training import WorkerError, achieved_gflops, run_worker
from bench.variants import VARIANTS, settings

BENCH_DIR = Path(__file__).resolve().parent
OUT_FILE = BENCH_DIR / "experiments.json"
SCHEMA = 2
#: A variant is kept only if faster than this share of the baseline and passing on every seed.
FASTER_THAN = 0.95
#: A variant slower than this many times the baseline is called slower.
SLOWER_THAN = 1.05
#: "Passing" a seed: the targets the benchmark holds the ``fast`` preset to.
MIN_ACCURACY = target("fast.val_accuracy_mean").value
MIN_AUC = target("fast.auc_mean").value
EXPERIMENT_FAILED = (
    "The experiment {name} stopped because a training run failed, so bench/experiments.json keeps "
    "its earlier entry: {reason}"
)


@dataclass(frozen=True)
class Experiment:
    """Variants of one preset, trained on ``seeds`` for ``epochs`` (a variant may set its own)."""

    name: str
    question: str
    baseline: str
    variants: tuple[str, ...]
    seeds: tuple[int, ...]
    epochs: int
    timed: bool

    def epochs_of(self, variant: str) -> int:
        """The epochs ``variant`` trains for in this experiment."""
        return VARIANTS[variant].epochs or self.epochs


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for e in (
        Experiment(
            "fast_variants",
            "Which changes to the fast preset train faster and still pass on every seed?",
            baseline="baseline",
            variants=tuple(name for name, v in VARIANTS.items() if v.preset == "fast"),
            seeds=(0, 1, 2),
            epochs=10,
            timed=True,
        ),
        Experiment(
            "paper_trials",
            "What does the paper's design need to learn?",
            baseline="paper",
            variants=("paper_raw_glorot_lr1e-3", "paper_glorot_lr1e-3", "paper"),
            seeds=(0,),
            epochs=10,
            timed=False,
        ),
    )
}


def run_order(experiment: Experiment, round_index: int) -> list[str]:
    """The variants of one round: timed, the baseline first and in the middle, the rest rotated."""
    if not experiment.timed:
        return list(experiment.variants)
    others = [v for v in experiment.variants if v != experiment.baseline]
    shift = round_index % len(others) if others else 0
    others = others[shift:] + others[:shift]
    middle = len(others) // 2
    return [experiment.baseline, *others[:middle], experiment.baseline, *others[middle:]]


def run_experiment(
    experiment: Experiment, *, data: Path, description: str, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Train every run of ``experiment`` on ``data``; returns its experiments.json entry."""
    names = list(dict.fromkeys(experiment.variants))
    record: dict[str, Any] = {
        "experiment": experiment.name,
        "question": experiment.question,
        "command": f"python -m bench.experiments --only {experiment.name}",
        "date": datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds"),
        "data": str(data),
        "data_description": description,
        "seeds": list(experiment.seeds),
        "epochs": experiment.epochs,
        "timed": experiment.timed,
        "baseline": experiment.baseline,
        "code": code_version(),
        "cores": os.cpu_count(),
        "load_average_start": load_average(),
        "matmul_gflops": matmul_gflops(),
        "variants": {name: _variant_record(experiment, name) for name in names},
        "runs": [],
    }
    for round_index, seed in enumerate(experiment.seeds):
        for name in run_order(experiment, round_index):
            row = _run(experiment, name, seed=seed, data=data) | {"round": round_index}
            record["runs"].append(row)
            took = f"{row['train_seconds']:7.2f} s  acc {row['val_accuracy']:.4f}  auc {row['auc']:.5f}"
            log(f"{experiment.name} round {round_index} {name:24s} {took}  load {load_average()[0]}")
    record["matmul_gflops"] = max(record["matmul_gflops"], matmul_gflops())  # the least disturbed
    record["load_average_end"] = load_average()
    record["summary"] = summarise(record)
    return record


def _variant_record(experiment: Experiment, name: str) -> dict[str, Any]:
    variant = VARIANTS[name]
    return {
        "description": variant.description,
        "epochs": experiment.epochs_of(name),
        "settings": settings(variant),
    }


def _run(experiment: Experiment, name: str, *, seed: int, data: Path) -> dict[str, Any]:
    worker = run_worker(str(data), seeds=[seed], epochs=experiment.epochs_of(name), variant=name)
    run = worker["runs"][0]
    row = {"variant": name, "seed": seed, "peak_rss_mb": worker["peak_rss_mb"]}
    row |= {k: run[k] for k in ("train_seconds", "fit_seconds", "cpu_seconds", "val_accuracy", "auc")}
    row |= {k: run[k] for k in ("load_average", "flops_per_image", "images_per_second", "val_n")}
    row |= {k: run[k] for k in ("val_correct", "val_called_real", "val_n_real", "val_majority")}
    row |= {k: run[k] for k in ("params", "largest_layer", "first_epoch_loss", "last_epoch_loss")}
    row |= {k: run[k] for k in ("hidden_units", "hidden_units_dead")}
    row |= {k: run["config"][k] for k in ("epochs", "image_size", "batch_size", "learning_rate")}
    return row


PER_SEED_KEYS = ("seed", "val_accuracy", "val_correct", "val_n", "val_called_real", "val_majority", "auc")
PER_SEED_KEYS += ("first_epoch_loss", "last_epoch_loss", "hidden_units", "hidden_units_dead")


def summarise(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per variant: time (and, timed, relative to the baseline), accuracy and AUC over seeds, the rule."""
    baseline: dict[int, list[dict[str, Any]]] = {}
    for r in record["runs"]:
        if r["variant"] == record["baseline"]:
            baseline.setdefault(r["round"], []).append(r)
    out = {}
    for name in dict.fromkeys(r["variant"] for r in record["runs"]):
        rows = [r for r in record["runs"] if r["variant"] == name]
        timed = record["timed"]
        relative = {k: relative_to_baseline(rows, baseline, k) if timed else None for k in RELATIVE}
        out[name] = (
            time_summary(rows, matmul_gflops=record["matmul_gflops"])
            | {RELATIVE[k]: value for k, value in relative.items()}
            | accuracy_summary(rows)
            | speed_verdict(relative["train_seconds"], is_baseline=name == record["baseline"])
        )
        out[name]["faster_and_passes"] = out[name]["faster"] and out[name]["passes_all_seeds"]
    return out


#: Figures compared with the same round's baseline, and the summary key of the ratio.
RELATIVE = {"train_seconds": "relative_wall", "cpu_seconds": "relative_cpu"}


def time_summary(rows: Sequence[dict[str, Any]], *, matmul_gflops: float) -> dict[str, Any]:
    """Wall time, time per epoch, FLOPs share of the matmul rate, weights and load over a variant's runs."""
    walls = [r["train_seconds"] for r in rows]
    rates = [achieved_gflops(r["flops_per_image"], r["images_per_second"]) for r in rows]
    load = [r["load_average"][0][0] for r in rows]
    return {
        "runs": len(rows),
        "epochs": rows[0]["epochs"],
        "wall_mean": statistics.mean(walls),
        "wall_range": [min(walls), max(walls)],
        "seconds_per_epoch_mean": statistics.mean(r["fit_seconds"] / r["epochs"] for r in rows),
        "flops_share": statistics.mean(rates) / matmul_gflops,
        "params": rows[0]["params"],
        "largest_layer": rows[0]["largest_layer"],
        "load_average_1min": [min(load), max(load)],
    }


def accuracy_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy at 0.75 and AUC over a variant's seeds, and whether every seed passes."""
    accuracy, auc = [r["val_accuracy"] for r in rows], [r["auc"] for r in rows]
    return {
        "val_accuracy_mean": statistics.mean(accuracy),
        "val_accuracy_min": min(accuracy),
        "auc_mean": statistics.mean(auc),
        "auc_min": min(auc),
        "passes_all_seeds": min(accuracy) >= MIN_ACCURACY and min(auc) >= MIN_AUC,
        "per_seed": [{k: r[k] for k in PER_SEED_KEYS} for r in rows],
    }


def speed_verdict(relative: float | None, *, is_baseline: bool) -> dict[str, bool]:
    """``faster`` (under :data:`FASTER_THAN` x baseline) and ``slower`` (over :data:`SLOWER_THAN` x).

    Examples
    --------
    >>> speed_verdict(0.6, is_baseline=False)
    {'faster': True, 'slower': False}
    >>> speed_verdict(None, is_baseline=False)
    {'faster': False, 'slower': False}
    """
    if relative is None or is_baseline:
        return {"faster": False, "slower": False}
    return {"faster": relative < FASTER_THAN, "slower": relative > SLOWER_THAN}


def relative_to_baseline(
    rows: Sequence[dict[str, Any]], baseline: dict[int, list[dict[str, Any]]], key: str
) -> float | None:
    """Median over rounds of ``key`` over the mean of the same round's baseline runs.

    Examples
    --------
    >>> base = {0: [{"t": 10.0}, {"t": 12.0}], 1: [{"t": 20.0}]}
    >>> relative_to_baseline([{"round": 0, "t": 5.5}, {"round": 1, "t": 8.0}], base, "t")
    0.45
    """
    ratios = [
        r[key] / statistics.mean(b[key] for b in baseline[r["round"]]) for r in rows if r["round"] in baseline
    ]
    return statistics.median(ratios) if ratios else None


def read_store(path: Path = OUT_FILE) -> dict[str, dict[str, Any]]:
    """The experiments stored in ``path``, by name (none if it does not exist)."""
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("experiments", {})


def write_store(path: Path, experiments: dict[str, dict[str, Any]]) -> None:
    """Write ``experiments`` (by name, in :data:`EXPERIMENTS` order) to ``path``."""
    ordered = dict(sorted(experiments.items(), key=lambda kv: list(EXPERIMENTS).index(kv[0])))
    text = json.dumps({"schema": SCHEMA, "experiments": ordered}, indent=1, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.experiments", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=list(EXPERIMENTS), default=list(EXPERIMENTS))
    parser.add_argument("--data", default=None, help="default: the Hard set, else the demo set")
    parser.add_argument("--out", type=Path, default=OUT_FILE)
    args = parser.parse_args(argv)
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        os.environ["UNMASK_DATA_DIR"], os.environ["UNMASK_MODELS_DIR"] = f"{tmp}/data", f"{tmp}/models"
        folder, description = choose_data(args.data)
        log(f"data: {description}")
        _fill_cache(folder, [EXPERIMENTS[name] for name in args.only])
        for name in args.only:
            try:
                record = run_experiment(EXPERIMENTS[name], data=folder, description=description, log=log)
            except WorkerError as exc:
                log(EXPERIMENT_FAILED.format(name=name, reason=exc))
                return 1
            write_store(args.out, read_store(args.out) | {name: record})
            log(f"{name}: written to {args.out}")
    if args.out.resolve() == OUT_FILE:  # the committed figures: keep RESULTS.md and the README in step
        from bench.report import refresh_committed

        for path in refresh_committed():
            log(f"re-rendered {path}")
    return 0


def _fill_cache(folder: Path, experiments: Sequence[Experiment]) -> None:
    """Decode the data at every size the runs need, so each run loads it warm."""
    from core import pipeline

    sizes = {settings(VARIANTS[v])["image_size"] for e in experiments for v in e.variants}
    for size in sorted(sizes):
        pipeline.load_faces(folder, image_size=size)


if __name__ == "__main__":
    sys.exit(main())
