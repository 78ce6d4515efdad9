"""Variants of the ``fast`` model, trained interleaved: ``python -m bench.experiments``.

Each round trains every variant once with one seed, the baseline at the start and again
in the middle, in an order rotated from round to round, each in a fresh process
(:mod:`bench.worker`). A variant's speed is the median over rounds of its wall time over
the same round's baseline mean: on a machine shared with other work, only runs close
in time compare. CPU seconds are recorded too (less sensitive to other load, but not
what a user waits for). Results go to ``bench/experiments.json`` after every run, and
``python -m bench.report`` shows them in RESULTS.md. The file holds a list of sessions, one
per invocation; ``--append`` adds one (e.g. combinations of the winners) instead of
starting the list again. Runs compare only within their session.
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
from pathlib import Path
from typing import Any

from bench.datasource import choose_data
from bench.machine import matmul_gflops
from bench.report import table
from bench.timing import load_average
from bench.training import run_worker
from bench.variants import BASELINE, VARIANTS
from core.model.config import PRESET_DEFAULTS

BENCH_DIR = Path(__file__).resolve().parent
OUT_FILE = BENCH_DIR / "experiments.json"
#: A variant is kept only if faster than this share of the baseline and passing on every seed.
FASTER_THAN = 0.95
MIN_ACCURACY = 0.995
MIN_AUC = 0.999

#: What was decided from the figures, and what was tried before this harness existed.
NOTES: tuple[str, ...] = (
    "Global average pooling instead of Flatten (earlier trials): about 70-80% validation accuracy, "
    "because where the face sits in the frame is part of the signal; Flatten kept.",
    "XLA (`jit_compile=True`) is about 5x slower here (median 5.3x wall, 3.2x CPU over 3 rounds); "
    "Keras leaves it off on CPU by default. Not adopted: no `jit_compile` option in "
    "`core.model.presets.compile_model`.",
    "tf.data: dropping `.cache()` (1.4x) or `.prefetch()` (1.1x) makes training slower; "
    "`core.model.tfdata.batches` keeps both. Thread settings: TensorFlow's default (intra-op = cores) wins; "
    "intra 2 / inter 1 is 1.2x and one thread 1.8x slower.",
    "Baseline `fast` misses 99.5% at 0.75 on seed 1 (99.38%: 2 of 323 wrong; AUC 0.9994); its mean over "
    "seeds 0-2 (99.79%) meets the target. batch64, batch128, the learning rates, stride-2 first conv, "
    "Dense(16) (seed 1 collapsed to the majority class) and bf16 miss on some seed too.",
    "Faster and passing all of seeds 0-2: filters 8/16/32 (0.63-0.72 x baseline wall, all six seeds 0-5 "
    "pass), filters 8/16/32 with batch 64 (0.61-0.64 x, six seeds pass), 48x48 input (0.70-0.79 x) and "
    "48x48 with filters 8/16/32 (0.57-0.58 x; with batch 64 0.48-0.57 x). Those last two fail seed 4 (97.5% "
    "and 99.1%), so they are fragile; 48x48 alone was not tried on seeds 3-5.",
    "Not adopted: `core` is unchanged. filters 8/16/32 meets the keep rule, but does 3.4x fewer FLOPs "
    "in about 0.65x the time, so its share of the matmul rate falls to about 10-12% (session 3), below "
    "the 20% target that the baseline meets (20-26%), while the baseline already meets the wall-time "
    "target with room to spare. To adopt it: `FAST_FILTERS = (8, 16, 32)` in core/models.py (about 72 k "
    "weights instead of 155 k; update the docstring and README's preset table).",
)


def round_order(variants: Sequence[str], round_index: int) -> list[str]:
    """Baseline first and again in the middle; the other variants rotated by ``round_index``."""
    others = [v for v in variants if v != BASELINE.name]
    shift = round_index % len(others) if others else 0
    others = others[shift:] + others[:shift]
    middle = len(others) // 2
    return [BASELINE.name, *others[:middle], BASELINE.name, *others[middle:]]


def run_experiments(
    variants: Sequence[str],
    *,
    seeds: Sequence[int],
    epochs: int,
    data: Path,
    out: Path,
    earlier: Sequence[dict[str, Any]] = (),
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train each variant once per seed, interleaved; after each run write ``earlier`` + this to ``out``."""
    record: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds"),
        "data": str(data),
        "epochs": epochs,
        "seeds": list(seeds),
        "cores": os.cpu_count(),
        "matmul_gflops": matmul_gflops(),
        "variants": {name: VARIANTS[name].to_dict() for name in variants},
        "runs": [],
    }
    for round_index, seed in enumerate(seeds):
        for name in round_order(variants, round_index):
            worker = run_worker(str(data), preset="fast", seeds=[seed], epochs=epochs, variant=name)
            run = worker["runs"][0]
            row = {"round": round_index, "variant": name, "seed": seed, "peak_rss_mb": worker["peak_rss_mb"]}
            row |= {k: run[k] for k in ("train_seconds", "fit_seconds", "cpu_seconds", "val_accuracy", "auc")}
            row |= {k: run[k] for k in ("load_average", "flops_per_image", "images_per_second")}
            row |= {k: run["config"][k] for k in ("image_size", "batch_size", "learning_rate")}
            record["runs"].append(row)
            took = f"{row['train_seconds']:6.2f} s  acc {row['val_accuracy']:.4f}  auc {row['auc']:.5f}"
            log(f"round {round_index} {name:16s} {took}  load {load_average()[0]}")
            record["summary"] = summarise(record["runs"])
            out.write_text(json.dumps({"sessions": [*earlier, record]}, indent=1) + "\n", encoding="utf-8")
    record["matmul_gflops"] = max(record["matmul_gflops"], matmul_gflops())  # the least disturbed
    out.write_text(json.dumps({"sessions": [*earlier, record]}, indent=1) + "\n", encoding="utf-8")
    return record


def read_sessions(path: Path) -> list[dict[str, Any]]:
    """The sessions stored in ``path`` (none if it does not exist)."""
    if not path.is_file():
        return []
    stored = json.loads(path.read_text(encoding="utf-8"))
    return stored.get("sessions", [stored])  # an early file held one session, unwrapped


def summarise(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per variant: wall and CPU relative to the same rounds' baseline, accuracy and AUC over seeds."""
    baseline: dict[int, list[dict[str, Any]]] = {}
    for r in runs:
        if r["variant"] == BASELINE.name:
            baseline.setdefault(r["round"], []).append(r)
    out = {}
    for name in dict.fromkeys(r["variant"] for r in runs):
        rows = [r for r in runs if r["variant"] == name]
        walls, accuracy, auc = ([r[k] for r in rows] for k in ("train_seconds", "val_accuracy", "auc"))
        passes = all(a >= MIN_ACCURACY for a in accuracy) and all(a >= MIN_AUC for a in auc)
        relative = _relative(rows, baseline, "train_seconds")
        faster = relative is not None and relative < FASTER_THAN and name != BASELINE.name
        rates = [r["flops_per_image"] * r["images_per_second"] / 1e9 for r in rows if "flops_per_image" in r]
        load = [r["load_average"][0][0] for r in rows]
        out[name] = {
            "runs": len(rows),
            "wall_mean": statistics.mean(walls),
            "wall_range": [min(walls), max(walls)],
            "relative_wall": relative,
            "relative_cpu": _relative(rows, baseline, "cpu_seconds"),
            "achieved_gflops": statistics.mean(rates) if rates else None,
            "val_accuracy_mean": statistics.mean(accuracy),
            "val_accuracy_min": min(accuracy),
            "auc_min": min(auc),
            "passes_all_seeds": passes,
            "faster_and_passes": passes and faster,
            "load_average_1min": [min(load), max(load)],
        }
    return out


def _relative(
    rows: list[dict[str, Any]], baseline: dict[int, list[dict[str, Any]]], key: str
) -> float | None:
    """Median over rounds of ``key`` over the mean of the same round's baseline runs."""
    ratios = [
        r[key] / statistics.mean(b[key] for b in baseline[r["round"]]) for r in rows if r["round"] in baseline
    ]
    return statistics.median(ratios) if ratios else None


def render_experiments(sessions: Sequence[dict[str, Any]]) -> str:
    """The RESULTS.md section for the sessions of ``experiments.json`` (or how to produce them)."""
    if not sessions:
        return f"## Experiments\n\nNot run yet: `python -m bench.experiments`.\n\n{_notes()}"
    method = (
        "`python -m bench.experiments` trains the `fast` model in variants, each run a fresh process, "
        "one round per seed, baseline twice per round, order rotated each round; wall = cached data "
        'load + `train()`. "÷ baseline" is the median over rounds of the run\'s time over the same '
        "round's baseline: only runs close in time compare while the machine is shared (load average "
        f"beside each). A variant is kept only if under {FASTER_THAN:g} x baseline wall and at least "
        f"{MIN_ACCURACY:.1%} accuracy at 0.75 and AUC {MIN_AUC} on every seed."
    )
    parts = [f"## Experiments\n\n{method}"]
    for number, session in enumerate(sessions, 1):
        parts.append(_session_table(number, session))
    return "\n\n".join([*parts, _notes()])


def _session_table(number: int, e: dict[str, Any]) -> str:
    header = ["Variant", "What", "Wall s, mean (range)", "÷ baseline, wall", "÷ baseline, CPU"]
    header += ["Share of matmul rate", "Val acc at 0.75, min / mean", "AUC, min", "Passes all seeds"]
    header += ["Load avg (1 min)"]
    rows = []
    for name, s in e["summary"].items():
        faster = " (faster, passes)" if s["faster_and_passes"] else ""
        achieved, matmul = s.get("achieved_gflops"), e.get("matmul_gflops")
        share = f"{achieved / matmul:.0%}" if achieved and matmul else "–"
        rows.append(
            [f"{name}{faster}", e["variants"][name]["description"]]
            + ["{:.1f} ({:.1f}–{:.1f})".format(s["wall_mean"], *s["wall_range"])]
            + [_ratio(s["relative_wall"]), _ratio(s["relative_cpu"]), share]
            + [f"{s['val_accuracy_min']:.2%} / {s['val_accuracy_mean']:.2%}", f"{s['auc_min']:.4f}"]
            + ["yes" if s["passes_all_seeds"] else "**no**", "{}–{}".format(*s["load_average_1min"])]
        )
    seeds = ", ".join(map(str, e["seeds"]))
    where = f"{e['date']}, `{e['data']}`, {e['epochs']} epochs, seeds {seeds}, {e['cores']} cores"
    return f"### Session {number}: {where}\n\n{table(header, rows)}"


def _notes() -> str:
    return "Notes and decisions:\n\n" + "\n".join(f"- {n}" for n in NOTES)


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.experiments", description=__doc__)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data", default=None, help="default: the Hard set, else the demo set")
    parser.add_argument("--out", type=Path, default=OUT_FILE)
    parser.add_argument(
        "--append", action="store_true", help="add a session to --out instead of replacing it"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        os.environ["UNMASK_DATA_DIR"], os.environ["UNMASK_MODELS_DIR"] = f"{tmp}/data", f"{tmp}/models"
        folder, description = choose_data(args.data)
        print(f"data: {description}", file=sys.stderr)
        from core import pipeline

        default_size = PRESET_DEFAULTS["fast"]["image_size"]
        for size in {VARIANTS[v].image_size or default_size for v in args.variants}:
            pipeline.load_faces(folder, image_size=size)  # fill the cache: every run then loads warm
        run_experiments(
            args.variants,
            seeds=args.seeds,
            epochs=args.epochs,
            data=folder,
            out=args.out,
            earlier=read_sessions(args.out) if args.append else (),
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )


if __name__ == "__main__":
    main()
