"""``python -m bench.generalization``: what a preset trained on the Hard set learns, measured.

For each preset asked for (``fast`` by default): train it on the Hard set (seeded, the paper's
10 epochs and 75/25 split), evaluate it on its own validation images and on every folder of
``other-sources/`` (:func:`core.stress_test.evaluate_folder`), pair each real source with each
fake source for a cross-source AUC, and run every probe on its validation images
(:func:`core.stress_test.stress`). Writes ``bench/generalization.json`` and the README's section
between :data:`README_START` and :data:`README_END`, both from the same numbers
(:func:`core.evaluation.generalization.measured_findings` writes the words; ``--render``
re-writes the README from the JSON alone).

The real data sets must sit beside the checkout (``core.paths.shared_datasets_dir()``); runs and
caches go to a temporary folder, never the checkout's ``data/`` and ``models/``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import readme
from bench.report import BENCH_DIR
from core import pipeline, stress_test
from core.evaluation.auc import auc_interval
from core.evaluation.generalization import (
    MEASURED_FILE,
    generalization_matrix,
    measured_findings,
    read_measured,
)
from core.model.config import PRESETS, TrainConfig
from core.paths import REPO_ROOT, shared_datasets_dir
from core.runs.store import json_safe

HARD_SET = "hardfakevsrealfaces"
OTHER_SOURCES = "other-sources"
README_START, README_END = readme.markers("generalization", source="python -m bench.generalization")

Log = Callable[[str], None]


def measure(preset: str, *, epochs: int, seed: int, log: Log) -> dict[str, Any]:
    """Train ``preset`` on the Hard set, evaluate it on every other source, probe it; JSON-ready."""
    shared = shared_datasets_dir()
    config = TrainConfig(preset=preset, epochs=epochs, seed=seed).resolved()
    log(f"{preset}: decoding the Hard set at {config.image_size} px")
    faces = pipeline.load_faces(shared / HARD_SET, image_size=config.image_size)
    log(f"{preset}: training {epochs} epochs")
    info = pipeline.train_and_save(faces, config)
    folders = [None, *sorted(p for p in (shared / OTHER_SOURCES).iterdir() if p.is_dir())]
    summaries, scores = [], {}
    for folder in folders:
        log(f"{preset}: evaluating on {folder or 'its validation images'}")
        summary, frame = stress_test.evaluate_folder(info.run_id, folder)
        summaries.append(summary)
        scores[summary["data"]["name"]] = frame
    log(f"{preset}: running every probe on its validation images")
    stressed, _ = stress_test.stress(info.run_id)
    matrix = generalization_matrix(summaries)
    return {
        "preset": preset,
        "epochs": epochs,
        "seed": seed,
        "threshold": info.threshold,
        "train_data": faces.name,
        "n_train": info.metrics["n_train"],
        "n_val": info.metrics["n_val"],
        "train_seconds": info.metrics["train_seconds"],
        "evaluations": matrix.drop(columns=["run_id", "key"]).to_dict(orient="records"),
        "cross_source": _cross_source(summaries, scores),
        "stress": stressed["report"],
        "reacts_to_framing": stressed["reacts_to_framing"],
    }


def _cross_source(summaries: list[dict[str, Any]], scores: dict[str, Any]) -> list[dict[str, Any]]:
    """AUC of each one-class real source against each one-class fake source (different sources)."""
    reals = [s["data"]["name"] for s in summaries if s["n_fake"] == 0 and not s["validation_only"]]
    fakes = [s["data"]["name"] for s in summaries if s["n_real"] == 0 and not s["validation_only"]]
    pairs = []
    for real in reals:
        for fake in fakes:
            both = [scores[real], scores[fake]]
            labels = [*both[0]["label"], *both[1]["label"]]
            estimate = auc_interval(labels, [*both[0]["score"], *both[1]["score"]])
            pairs.append({"real": real, "fake": fake, **estimate.to_dict()})
    return pairs


def readme_block(results: dict[str, Any]) -> str:
    """The README's generalization section: the findings and where they come from, between the markers."""
    trained = ", ".join(f"`{r['preset']}` trained in {r['train_seconds']:.0f} s" for r in results["runs"])
    provenance = (
        f"Measured by `{results['command']}` on {results['date'][:10]}, {results['cores']} CPU cores; "
        f"{trained}. "
        "Numbers in [bench/generalization.json](bench/generalization.json); one seed, so read the "
        "intervals, not the third digit."
    )
    return "\n".join([README_START, measured_findings(results), "", provenance, README_END])


def update_readme(results: dict[str, Any], file: Path) -> bool:
    """Replace the README's generalization block with :func:`readme_block`; False if it has none."""
    try:
        readme.update_readme(file, {"generalization": readme_block(results)})
    except ValueError:
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.render:  # the words changed, not the numbers: re-write the README from the JSON
        results = read_measured(args.out)
        if results is None or not update_readme(results, REPO_ROOT / "README.md"):
            print(f"nothing to render: {args.out} or the README's markers are missing", file=sys.stderr)
            return 2
        return 0
    if not (shared_datasets_dir() / HARD_SET).is_dir():
        print(f"the Hard set is not at {shared_datasets_dir() / HARD_SET}; nothing measured", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="unmask-generalization-") as tmp:
        os.environ["UNMASK_DATA_DIR"], os.environ["UNMASK_MODELS_DIR"] = f"{tmp}/data", f"{tmp}/models"
        log = lambda line: print(f"[generalization] {line}", file=sys.stderr, flush=True)  # noqa: E731
        runs = [measure(p, epochs=args.epochs, seed=args.seed, log=log) for p in args.presets]
    results = {
        "command": _command(args),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "seconds": round(time.perf_counter() - started, 1),
        "runs": runs,
    }
    args.out.write_text(json.dumps(json_safe(results), indent=1, allow_nan=False) + "\n", encoding="utf-8")
    if args.out.resolve() == MEASURED_FILE.resolve():
        update_readme(results, REPO_ROOT / "README.md")
    print(measured_findings(results))
    return 0


def _command(args: argparse.Namespace) -> str:
    """The command that measures the same again (where the JSON is written does not change the numbers)."""
    words = ["python -m bench.generalization"]
    if args.presets != ["fast"]:
        words.append("--presets " + " ".join(args.presets))
    for name, default in (("epochs", 10), ("seed", 0)):
        if getattr(args, name) != default:
            words.append(f"--{name} {getattr(args, name)}")
    return " ".join(words)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.generalization", description=__doc__)
    parser.add_argument("--presets", nargs="+", choices=PRESETS, default=["fast"])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--render", action="store_true", help="only re-write the README from the JSON")
    parser.add_argument(
        "--out", type=Path, default=BENCH_DIR / MEASURED_FILE.name, help="the JSON file to write"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
