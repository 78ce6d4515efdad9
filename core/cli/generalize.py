"""``generalize``: leave-one-source-out over several folders (see :mod:`core.generalize`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core import pipeline
from core.cli.common import command, decode_bar, show_skipped, train_bar
from core.cli.training import train_config, train_options
from core.evaluation.report import matrix_text
from core.runs import store


def add_commands(sub: Any) -> None:
    """Register ``generalize``."""
    parser = command(
        sub, "generalize", _generalize, "leave-one-source-out: train on all sources but one, test on that one"
    )
    train_options(parser, default_preset="artifacts")
    parser.add_argument(
        "--hold-out",
        action="append",
        default=None,
        help="leave out only this source (repeatable; default: each)",
    )
    parser.add_argument(
        "--out", default=None, help="also write the folds and their figures to this JSON file"
    )


def _generalize(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.generalize import leave_one_source_out, matrix_rows, require_sources

    config = train_config(args)
    named = require_sources(args.data)
    faces = pipeline.load_for(config, args.data, progress=decode_bar())
    show_skipped(faces.skipped)

    def on_fold(source: str, fold: int, n_folds: int) -> None:
        print(f"fold {fold}/{n_folds}: leaving out {source}", file=sys.stderr, flush=True)

    result = leave_one_source_out(
        faces,
        config,
        sources=named,
        hold_out=args.hold_out,
        on_fold=on_fold,
        on_batch=train_bar(config.epochs),
    )
    if args.out:
        store.write_json(args.out, result)
    text = "\n\n".join(f"{part}:\n{matrix_text(matrix_rows(result, part=part))}" for part in ("all", "test"))
    return result, text
