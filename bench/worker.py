"""One training process: ``python -m bench.worker --preset fast --seeds 0 1 2 ...``.

Loads the (already cached) data set, trains each seed with :func:`core.model.train.train`
(with ``--variant NAME``, a :class:`bench.variants.Variant` of its preset), records what
the trained model does on the validation images, optionally times scoring, and prints
one JSON object on the last line of stdout, with
the process's own peak RSS (``getrusage(RUSAGE_SELF).ru_maxrss``) at the end: the
memory a training run of this preset needs, TensorFlow included. Run in its own process
so each preset's peak is its own and every run starts from a cold TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np

from bench.timing import load_average, repeat_seconds, seconds
from bench.variants import VARIANTS, Variant, apply_variant

SINGLE_IMAGE_REPEATS = 20
BATCH_REPEATS = 5


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if "UNMASK_DATA_DIR" not in os.environ:  # never write caches into the checkout's data/
        raise SystemExit("set UNMASK_DATA_DIR to a temporary folder, or run it through python -m bench")
    variant = (
        VARIANTS[args.variant]
        if args.variant
        else Variant("core", "as in core", preset=args.preset or "fast")
    )
    if args.preset not in (None, variant.preset):
        raise SystemExit(f"--variant {variant.name} is a variant of {variant.preset}, not of {args.preset}.")
    apply_variant(variant)
    runs = [_train_seed(args, variant, seed) for seed in args.seeds]
    result: dict[str, Any] = {"preset": variant.preset, "variant": args.variant, "runs": runs}
    if args.score:
        result["scoring"] = _scoring(_LAST["model"], _LAST["val_images"])
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


_LAST: dict[str, Any] = {}  # the last seed's model and validation images, for scoring


def _train_seed(args: argparse.Namespace, variant: Any, seed: int) -> dict[str, Any]:
    """Warm load + :func:`core.model.train.train` for one seed, with accuracy at the threshold and AUC."""
    from core.evaluation.metrics import threshold_metrics
    from core.model.config import TrainConfig
    from core.model.presets import training_flops_per_image
    from core.model.train import train

    overrides = {"image_size": args.image_size, **variant.config_overrides()}
    config = TrainConfig(preset=variant.preset, epochs=args.epochs, seed=seed, **overrides).resolved()
    load_average_before = load_average()
    load_s, faces = seconds(lambda: _faces(args.data, config.image_size, args.limit))
    cpu_before = _cpu_seconds()
    call_s, result = seconds(lambda: train(faces, config))
    cpu_s = _cpu_seconds() - cpu_before
    metrics = threshold_metrics(faces.labels[result.val_index], result.val_scores, threshold=config.threshold)
    _LAST.update(model=result.model, val_images=faces.images[result.val_index])
    return {
        "seed": seed,
        "config": config.to_dict(),
        "n_images": len(faces),
        "n_train": result.n_train,
        "load_seconds": load_s,
        "call_seconds": call_s,
        "fit_seconds": result.train_seconds,
        "train_seconds": load_s + call_s,
        "cpu_seconds": cpu_s,
        "images_per_second": result.n_train * config.epochs / result.train_seconds,
        "flops_per_image": training_flops_per_image(result.model),
        "val_accuracy": metrics.accuracy.rate,
        "val_accuracy_ci": [metrics.accuracy.ci_low, metrics.accuracy.ci_high],
        "val_n": metrics.n,
        "auc": metrics.roc_auc,
        "load_average": [load_average_before, load_average()],
        **_model_facts(result, metrics, faces.images[result.val_index]),
    }


def _model_facts(result: Any, metrics: Any, val_images: np.ndarray) -> dict[str, Any]:
    """Weights, losses and what the model calls on the validation images, as counts."""
    model = result.model
    largest = max(model.layers, key=lambda layer: layer.count_params())
    hidden = model.layers[-2]  # the Dense layer before the output (both presets)
    activations = _outputs(model, hidden, val_images)
    return {
        "params": int(model.count_params()),
        "largest_layer": {"name": largest.name, "params": int(largest.count_params())},
        "first_epoch_loss": float(result.history["loss"].iloc[0]),
        "last_epoch_loss": float(result.history["loss"].iloc[-1]),
        "val_correct": metrics.accuracy.count,
        "val_called_real": metrics.tp + metrics.fp,
        "val_n_real": metrics.n_real,
        "val_majority": metrics.majority_baseline.count,
        # A ReLU unit that outputs 0 for every image passes no gradient: it is dead.
        "hidden_units": int(activations.shape[-1]),
        "hidden_units_dead": int(np.sum(np.all(activations <= 0, axis=0))),
    }


def _outputs(model: Any, layer: Any, images: np.ndarray) -> np.ndarray:
    """``layer``'s outputs for ``images``, one row per image."""
    import keras

    probe = keras.Model(model.inputs, layer.output)
    return np.asarray(probe.predict(images.astype("float32"), batch_size=64, verbose=0))


def _faces(data: str, image_size: int, limit: int | None) -> Any:
    from core import pipeline

    faces = pipeline.load_faces(data, image_size=image_size)
    if limit is None or limit >= len(faces):
        return faces
    chosen = np.sort(np.random.default_rng(0).choice(len(faces), size=limit, replace=False))
    return faces.subset(chosen)


def _scoring(model: Any, images: np.ndarray) -> dict[str, Any]:
    """Batch scoring of the validation images (first call and warm median) and one-image latency."""
    from core.model.train import predict_scores

    first_s, _ = seconds(lambda: predict_scores(model, images))
    batch = repeat_seconds(lambda: predict_scores(model, images), times=BATCH_REPEATS)
    one = images[:1]
    predict_scores(model, one)
    single = repeat_seconds(lambda: predict_scores(model, one), times=SINGLE_IMAGE_REPEATS)
    # Calling the model directly skips Keras' predict loop: what a page scoring one upload could do.
    pixels = one.astype("float32")
    model(pixels, training=False)
    direct = repeat_seconds(lambda: model(pixels, training=False), times=SINGLE_IMAGE_REPEATS)
    return {
        "n": len(images),
        "batch_first_seconds": first_s,
        "batch_seconds": statistics.median(batch),
        "single_image_ms": 1000 * statistics.median(single),
        "single_image_direct_ms": 1000 * statistics.median(direct),
        "single_image_repeats": SINGLE_IMAGE_REPEATS,
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.worker", description=__doc__)
    parser.add_argument("--preset", choices=("fast", "paper"), default=None, help="default: the variant's")
    parser.add_argument("--data", required=True, help="data folder (already cached at the image size)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--image-size", type=int, default=None, help="default: the preset's")
    parser.add_argument(
        "--limit", type=int, default=None, help="train on a seeded subset of this many images"
    )
    parser.add_argument("--variant", choices=sorted(VARIANTS), default=None, help="default: none")
    parser.add_argument("--score", action="store_true", help="also time scoring with the last model")
    return parser


if __name__ == "__main__":
    main()
