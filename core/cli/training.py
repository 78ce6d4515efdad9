"""Commands that train: ``train`` and ``reproduce`` (the paper's protocol)."""

from __future__ import annotations

import argparse
from typing import Any

from core import pipeline
from core.cli.common import command, decode_bar, lines, show_skipped, train_bar
from core.evaluation.report import paper_comparison_table, train_summary
from core.labels import DEFAULT_THRESHOLD, PAPER
from core.model.config import PRESETS, TrainConfig
from core.reproduce import reproduce


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


def _train_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, help="folder of faces (default: the built-in demo set)")
    parser.add_argument("--preset", choices=PRESETS, default="fast")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--image-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--val-fraction", type=float, default=0.25)
    parser.add_argument("--augment", action="store_true")


def _train(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    config = TrainConfig(
        preset=args.preset,
        epochs=args.epochs,
        threshold=args.threshold,
        seed=args.seed,
        image_size=args.image_size,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        val_fraction=args.val_fraction,
        augment=args.augment,
    ).resolved()
    faces = pipeline.load_training_faces(args.data, config, progress=decode_bar())
    show_skipped(faces.skipped)
    info = pipeline.train_and_save(faces, config, on_batch=train_bar(config.epochs))
    summary = train_summary(info)
    skipped = [{"path": s.path, "reason": s.reason} for s in faces.skipped]
    return {**summary, "skipped": skipped}, lines({**summary, "skipped": len(skipped)})


def _reproduce(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    result = reproduce(
        data=args.data,
        bias_data=args.bias_data,
        preset=args.preset,
        decode_progress=decode_bar(),
        on_batch=train_bar(PAPER["epochs"]),
    )
    return result, paper_comparison_table(result)
