"""Commands that train: ``train`` and ``reproduce`` (the paper's protocol)."""

from __future__ import annotations

import argparse
from typing import Any

from core import pipeline
from core import reproduce as protocol
from core.cli.common import command, decode_bar, lines, show_skipped, train_bar
from core.errors import DISTRIBUTE_BACKGROUND, ConfigError
from core.evaluation.report import ordinal, paper_comparison_table, train_summary
from core.labels import DEFAULT_THRESHOLD, PAPER
from core.model.config import DISTRIBUTE_CHOICES, PRESETS, TrainConfig
from core.runs import jobs

BACKGROUND_HELP = "submit to the training queue and return at once with the job id (see: python -m core jobs)"


def add_commands(sub: Any) -> None:
    """Register ``train`` and ``reproduce``."""
    train = command(sub, "train", _train, "train a model and save the run")
    _train_options(train)
    repro = command(sub, "reproduce", _reproduce, "the paper's protocol end to end")
    repro.add_argument("--data", default=None, help="training folder (default: demo set)")
    repro.add_argument(
        "--bias-data", default=None, help="UTKFace folder (required with --data; default: demo set)"
    )
    repro.add_argument("--preset", choices=PRESETS, default="fast")
    repro.add_argument("--background", action="store_true", help=BACKGROUND_HELP)


DATA_HELP = (
    "folder of faces; repeat it, or give a manifest CSV (columns folder[,source]), to train on several "
    "sources (default: the built-in demo set)"
)


def train_options(parser: argparse.ArgumentParser, *, default_preset: str = "fast") -> None:
    """The training settings ``train`` and ``generalize`` share."""
    parser.add_argument("--data", action="append", default=None, help=DATA_HELP)
    parser.add_argument("--preset", choices=PRESETS, default=default_preset)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--image-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--val-fraction", type=float, default=0.25)
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=0.0,
        help="hold out this share as a test split (same for every seed)",
    )
    parser.add_argument("--augment", action="store_true")
    scale = parser.add_argument_group("scaling out (fast and paper presets; README: Scaling out)")
    scale.add_argument(
        "--distribute",
        choices=DISTRIBUTE_CHOICES,
        default="none",
        help="mirrored: every local GPU; multiworker: the workers of TF_CONFIG, one process per machine",
    )
    scale.add_argument(
        "--mixed-precision", action="store_true", help="float16 maths with float32 weights (for GPUs)"
    )
    patches = parser.add_argument_group("patch presets (artifacts)")
    patches.add_argument("--patch-size", type=int, default=None, help="side of the training patches")
    patches.add_argument(
        "--native-max-side",
        type=int,
        default=None,
        help="reduce images with a longer side by an integer factor",
    )
    patches.add_argument(
        "--patches-per-image", type=int, default=None, help="random patches per image per epoch"
    )
    patches.add_argument(
        "--degrade",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="JPEG re-compression, blur and re-scaling of training patches (default: on)",
    )


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The :class:`TrainConfig` the options of :func:`train_options` ask for, resolved."""
    return TrainConfig(
        preset=args.preset,
        epochs=args.epochs,
        threshold=args.threshold,
        seed=args.seed,
        image_size=args.image_size,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        val_fraction=args.val_fraction,
        test_fraction=args.test_fraction,
        augment=args.augment,
        patch_size=args.patch_size,
        native_max_side=args.native_max_side,
        patches_per_image=args.patches_per_image,
        degrade=args.degrade,
        distribute=args.distribute,
        mixed_precision=args.mixed_precision,
    ).resolved()


def _train_options(parser: argparse.ArgumentParser) -> None:
    train_options(parser)
    parser.add_argument("--background", action="store_true", help=BACKGROUND_HELP)


def _train(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    config = train_config(args)
    if args.background and config.distribute == "multiworker":
        raise ConfigError(DISTRIBUTE_BACKGROUND)
    if args.background:
        return _submit(
            jobs.JobSpec("train", config.to_dict(), pipeline.check_training_folder(args.data, config))
        )
    faces = pipeline.load_training_faces(args.data, config, progress=decode_bar())
    show_skipped(faces.skipped)
    info = pipeline.train_and_save(faces, config, on_batch=train_bar(config.epochs))
    if isinstance(info, pipeline.NotChief):  # a worker of a cluster: the chief saves
        return {"saved": False, "worker_index": info.index, "workers": info.workers}, info.message
    summary = train_summary(info)
    skipped = [{"path": s.path, "reason": s.reason} for s in faces.skipped]
    return {**summary, "skipped": skipped}, lines({**summary, "skipped": len(skipped)})


def _reproduce(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    if args.background:
        protocol.check_bias_data(args.data, args.bias_data)
        config = protocol.protocol_config(args.preset)
        data = pipeline.check_training_folder(args.data, config)
        bias = None if args.bias_data is None else str(pipeline.data_folder(args.bias_data).resolve())
        return _submit(jobs.JobSpec("reproduce", config.to_dict(), data, bias))
    result = protocol.reproduce(
        data=args.data,
        bias_data=args.bias_data,
        preset=args.preset,
        decode_progress=decode_bar(),
        on_batch=train_bar(PAPER["epochs"]),
    )
    return result, paper_comparison_table(result)


def _submit(spec: jobs.JobSpec) -> tuple[dict[str, Any], str]:
    job_id = jobs.submit(spec)
    job = jobs.get_job(job_id)
    where = f"{ordinal(job.queue_position)} in the queue" if job.queue_position > 1 else "starting"
    text = f"submitted job {job_id} ({where}); follow it with: python -m core jobs"
    return {"job_id": job_id, "state": job.state, "queue_position": job.queue_position}, text
