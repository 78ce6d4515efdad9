"""One ``artifacts`` experiment in a fresh process: ``python -m bench.artifacts_worker MODE ...``.

``hard``: train one variant and seed on one folder (the Hard set) with
:func:`core.model.train.train`, then measure the validation images whole, under the Stress
test's probes (:mod:`core.evaluation.stress`) and, with ``--outside``, the *dev* half of
other folders the model never saw. ``loso``: leave-one-source-out over several folders with
:func:`core.generalize.leave_one_source_out`. Prints one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.artifact_variants import ARTIFACT_VARIANTS, apply_artifact_variant
from bench.timing import load_average, seconds

#: Every re-framing probe of the Stress test, and the three degradations its findings sum up.
DEFAULT_PROBES = (
    "crop_tl_80", "crop_centre_80", "crop_br_80", "crop_tl_60", "crop_centre_60", "crop_br_60",
    "shift_10", "shift_20", "pad_10", "jpeg_50", "blur_1", "rescale_50",
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if "UNMASK_DATA_DIR" not in os.environ or "UNMASK_MODELS_DIR" not in os.environ:
        raise SystemExit(
            "set UNMASK_DATA_DIR and UNMASK_MODELS_DIR, or run it through python -m bench.artifacts"
        )
    variant = ARTIFACT_VARIANTS[args.variant]
    apply_artifact_variant(variant)
    from core.model.config import TrainConfig

    config = TrainConfig(preset="artifacts", epochs=args.epochs, seed=args.seed, **variant.config_overrides())
    before = load_average()
    cpu_before = _cpu_seconds()
    result = _hard(args, config.resolved()) if args.mode == "hard" else _loso(args, config.resolved())
    result |= {"variant": variant.name, "seed": args.seed, "config": config.resolved().to_dict()}
    result["design"] = _design()
    result |= {"cpu_seconds": _cpu_seconds() - cpu_before, "load_average": [before, load_average()]}
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, allow_nan=False))


def _hard(args: argparse.Namespace, config: Any) -> dict[str, Any]:
    from core import pipeline
    from core.evaluation.auc import auc_interval
    from core.evaluation.heldout import auc_figures, held_out_parts, source_summary
    from core.evaluation.metrics import threshold_metrics
    from core.model.train import predict_scores, train

    load_s, faces = seconds(lambda: pipeline.load_for(config, args.data[0]))
    cpu_before = _cpu_seconds()
    call_s, result = seconds(lambda: train(faces, config))
    train_cpu = _cpu_seconds() - cpu_before
    labels = faces.labels[result.val_index]
    metrics = threshold_metrics(labels, result.val_scores, threshold=config.threshold)
    out: dict[str, Any] = {"mode": "hard", "data": args.data[0], "n_train": result.n_train}
    out |= {"load_seconds": load_s, "call_seconds": call_s, "fit_seconds": result.train_seconds}
    out |= {
        "train_seconds": load_s + call_s,
        "train_cpu_seconds": train_cpu,
        "steps_per_epoch": _steps(result),
    }
    out["val"] = {
        "n": metrics.n,
        "accuracy": metrics.accuracy.to_dict(),
        **auc_figures(auc_interval(labels, result.val_scores)),
        "loss_last": _last(result.history, "loss"),
        "patch_val_accuracy_last": _last(result.history, "val_accuracy"),
    }
    out["val_scores"] = [round(float(v), 6) for v in result.val_scores]  # in the order of val_paths
    out["val_paths"] = [faces.paths[i] for i in result.val_index]
    keep = [c for c in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy") if c in result.history]
    out["history"] = result.history[keep].round(4).to_dict(orient="list")
    started = time.perf_counter()
    val_images = [faces.images[i] for i in result.val_index]
    out["aggregation"] = _aggregations(result.model, val_images, labels)
    out["stress"] = _stress(result.model, faces, result.val_index, config, args.probes)
    out["outside"] = {}
    for folder in args.outside:
        other = pipeline.load_for(config, folder)
        # Only the dev half: the test half of every other source is kept for the headline figures.
        other = other.subset(np.flatnonzero(held_out_parts(other.paths) == "dev"))
        scores = predict_scores(result.model, other.images)
        out["outside"][os.path.basename(os.path.normpath(folder))] = source_summary(
            other.labels, scores, threshold=config.threshold
        )
    out["probe_seconds"] = time.perf_counter() - started
    return out


def _loso(args: argparse.Namespace, config: Any) -> dict[str, Any]:
    from core import pipeline
    from core.generalize import leave_one_source_out, require_sources

    named = require_sources(args.data)
    load_s, faces = seconds(lambda: pipeline.load_for(config, args.data))
    call_s, result = seconds(
        lambda: leave_one_source_out(faces, config, sources=named, hold_out=args.hold_out or None)
    )
    return {"mode": "loso", "data": args.data, "load_seconds": load_s, "call_seconds": call_s, **result}


def _stress(model: Any, faces: Any, index: np.ndarray, config: Any, keys: list[str]) -> dict[str, Any]:
    """The Stress test's probes (:mod:`core.evaluation.probes`) on the validation images, as the app does."""
    from core.data.images import reduce_native
    from core.evaluation.probes import probes_by_key
    from core.evaluation.stress import probe_scores, stress_report
    from core.model.train import predict_scores

    def score(images: list[np.ndarray]) -> np.ndarray:
        return predict_scores(
            model, _ragged([reduce_native(x, max_side=config.native_max_side) for x in images])
        )

    paths = [faces.paths[i] for i in index]
    frame, _ = probe_scores(faces.root, paths, score=score, probes=probes_by_key(keys))
    labels = dict(zip(paths, faces.labels[index], strict=True))
    frame.insert(1, "label", [int(labels[p]) for p in frame["path"]])
    return stress_report(frame, threshold=config.threshold).to_dict()


def _aggregations(model: Any, images: list[np.ndarray], labels: np.ndarray) -> dict[str, Any]:
    """Validation AUC of other ways to score with the same model: pooling the grid's patch logits
    otherwise (the preset uses the mean), a grid of half the spacing, each patch with its mirror."""
    from core.evaluation.heldout import auc_interval
    from core.model.artifacts import patch_logits

    logits = patch_logits(model, images)
    patch = model.input_shape[1]
    dense = patch_logits(model, images, stride=patch // 2)
    mirrored = patch_logits(model, images, mirror=True)
    pooled = {
        "dense_grid_mean_logit": [z.mean() for z in dense],
        "mirrored_mean_logit": [z.mean() for z in mirrored],
        "mean_logit": [z.mean() for z in logits],
        "mean_probability": [(1 / (1 + np.exp(-z))).mean() for z in logits],
        "median_logit": [np.median(z) for z in logits],
        "trimmed_mean_logit": [np.sort(z)[len(z) // 4 : len(z) - len(z) // 4].mean() for z in logits],
        "min_logit": [z.min() for z in logits],
    }
    return {name: auc_interval(labels, _squash(np.array(v))).to_dict() for name, v in pooled.items()}


def _squash(values: np.ndarray) -> np.ndarray:
    """Any real-valued score mapped to its rank in (0, 1), ties kept (AUC depends only on the order)."""
    from scipy.stats import rankdata

    return rankdata(values) / (len(values) + 1)


def _design() -> dict[str, Any]:
    """The design constants of ``core`` this run trained with (a variant may change them too)."""
    import dataclasses

    from core.model import artifacts, patches

    return {
        "front_end": artifacts.FRONT_END,
        "stem_filters": artifacts.STEM_FILTERS,
        "filters": list(artifacts.FILTERS),
        "balance_at_threshold": patches.BALANCE_AT_THRESHOLD,
        "degradation": dataclasses.asdict(patches.DEFAULT),
    }


def _steps(result: Any) -> int:
    config = result.config
    return -(-config.patches_per_image * result.n_train // config.batch_size)


def _last(history: Any, key: str) -> float | None:
    return float(history[key].iloc[-1]) if key in history and len(history) else None


def _ragged(images: list[np.ndarray]) -> np.ndarray:
    out = np.empty(len(images), dtype=object)
    for i, image in enumerate(images):
        out[i] = image
    return out


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.artifacts_worker", description=__doc__)
    parser.add_argument("mode", choices=("hard", "loso"))
    parser.add_argument("--data", action="append", required=True, help="folder (repeat for loso)")
    parser.add_argument(
        "--outside", action="append", default=[], help="hard: also score the dev half of this folder"
    )
    parser.add_argument("--hold-out", action="append", default=[], help="loso: only these folds")
    parser.add_argument("--variant", choices=sorted(ARTIFACT_VARIANTS), default="preset")
    parser.add_argument(
        "--probes", nargs="+", default=list(DEFAULT_PROBES), help="hard: Stress-test probe keys to run"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=10)
    return parser


if __name__ == "__main__":
    main()
