"""Command line: ``python -m core {train,generalize,evaluate,bias,reproduce,runs,download}``.

With ``--json`` a command prints exactly one JSON object on stdout. Progress goes to
stderr, and so do the files ``train`` skipped, with the reason (its JSON lists them under
``skipped``). Bad input ends with one sentence on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from core import pipeline
from core.data.faceset import SkippedFile
from core.errors import UnmaskError
from core.evaluation.report import bias_summary, matrix_text, paper_comparison_table, train_summary
from core.labels import DEFAULT_THRESHOLD, PAPER
from core.model.config import PRESETS, TrainConfig
from core.reproduce import reproduce
from core.runs import store

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: Skipped files named one per line on stderr before the rest are only counted.
MAX_SKIPPED_SHOWN = 20


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    args = _parser().parse_args(argv)
    try:
        result, text = args.handler(args)
    except UnmaskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.json:
        print(json.dumps(store.json_safe(result), allow_nan=False))
    else:
        print(text)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Unmask: real vs AI-generated faces.")
    sub = parser.add_subparsers(dest="command", required=True)
    train = _command(sub, "train", _train, "train a model and save the run")
    _train_options(train)
    general = _command(
        sub, "generalize", _generalize, "leave-one-source-out: train on all sources but one, test on that one"
    )
    _train_options(general, default_preset="artifacts")
    general.add_argument(
        "--hold-out",
        action="append",
        default=None,
        help="leave out only this source (repeatable; default: each)",
    )
    general.add_argument("--out", default=None, help="also write the generalization matrix to this JSON file")
    evaluate = _command(sub, "evaluate", _evaluate, "metrics of a saved run at a threshold")
    evaluate.add_argument("--run", default=None, help="run id (default: the latest)")
    evaluate.add_argument(
        "--data", default=None, help="score this folder instead of the run's validation images"
    )
    evaluate.add_argument("--threshold", type=float, default=None)
    bias = _command(sub, "bias", _bias, "share of real faces flagged as fake per group")
    bias.add_argument("--run", default=None, help="run id (default: the latest)")
    bias.add_argument(
        "--data", default=None, help="folder of faces with group attributes (default: demo set)"
    )
    bias.add_argument("--attribute", default=None, help="group attribute (default: race, else the first)")
    bias.add_argument("--threshold", type=float, default=None)
    bias.add_argument("--per-group", type=int, default=100)
    bias.add_argument("--seed", type=int, default=0)
    repro = _command(sub, "reproduce", _reproduce, "the paper's protocol end to end")
    repro.add_argument("--data", default=None, help="training folder (default: demo set)")
    repro.add_argument("--bias-data", default=None, help="UTKFace folder (default: demo set)")
    repro.add_argument("--preset", choices=PRESETS, default="fast")
    _command(sub, "runs", _runs, "list saved runs")
    download = _command(sub, "download", _download, "download a real data set from Kaggle")
    download.add_argument("which", choices=("hard", "utkface"))
    return parser


def _command(sub: Any, name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handler)
    return parser


DATA_HELP = (
    "folder of faces; repeat it, or give a manifest CSV (columns folder[,source]), to train on several "
    "sources (default: the built-in demo set)"
)


def _train_options(parser: argparse.ArgumentParser, *, default_preset: str = "fast") -> None:
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


def _config(args: argparse.Namespace) -> TrainConfig:
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
    ).resolved()


def _train(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    config = _config(args)
    faces = pipeline.load_for(config, args.data, progress=_decode_bar())
    _show_skipped(faces.skipped)
    info = pipeline.train_and_save(faces, config, on_batch=_train_bar(config.epochs))
    summary = train_summary(info)
    skipped = [{"path": s.path, "reason": s.reason} for s in faces.skipped]
    return {**summary, "skipped": skipped}, _lines({**summary, "skipped": len(skipped)})


def _generalize(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.generalize import leave_one_source_out, matrix_rows, require_sources

    config = _config(args)
    require_sources(args.data)
    faces = pipeline.load_for(config, args.data, progress=_decode_bar())
    _show_skipped(faces.skipped)

    def on_fold(source: str, fold: int, n_folds: int) -> None:
        print(f"fold {fold}/{n_folds}: leaving out {source}", file=sys.stderr, flush=True)

    result = leave_one_source_out(
        faces, config, hold_out=args.hold_out, on_fold=on_fold, on_batch=_train_bar(config.epochs)
    )
    if args.out:
        store.write_json(args.out, result)
    text = "\n\n".join(f"{part}:\n{matrix_text(matrix_rows(result, part=part))}" for part in ("all", "test"))
    return result, text


def _evaluate(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    run_id = args.run or store.latest_run_id()
    if args.data is None:
        result = pipeline.evaluate_run(run_id, threshold=args.threshold)
    else:
        result = pipeline.evaluate_folder(run_id, args.data, threshold=args.threshold, progress=_decode_bar())
    return result, _lines({k: v for k, v in result.items() if k != "undefined"})


def _bias(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    run_id = args.run or store.latest_run_id()
    table = pipeline.bias_table(
        run_id,
        data=args.data,
        attribute=args.attribute,
        threshold=args.threshold,
        per_group=args.per_group,
        seed=args.seed,
        progress=_decode_bar(),
    )
    summary = {"run_id": run_id, **bias_summary(table)}
    return summary, table.table.to_string()


def _reproduce(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    result = reproduce(
        data=args.data,
        bias_data=args.bias_data,
        preset=args.preset,
        decode_progress=_decode_bar(),
        on_batch=_train_bar(PAPER["epochs"]),
    )
    return result, paper_comparison_table(result)


def _runs(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    listed = [
        {
            "run_id": r.run_id,
            "status": r.status,
            "preset": r.config.get("preset"),
            "problem": r.problem,
            "val_accuracy": r.metrics.get("accuracy"),
            "n_val": r.metrics.get("n"),
        }
        for r in store.list_runs()
    ]
    text = "\n".join(f"{r['run_id']}  {r['status']}  acc={r['val_accuracy']}  n={r['n_val']}" for r in listed)
    return {"runs": listed}, text or "no runs yet"


def _download(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.data.download import download_kaggle

    path = download_kaggle(args.which)
    return {"which": args.which, "path": str(path)}, f"downloaded to {path}"


def _show_skipped(skipped: Sequence[SkippedFile]) -> None:
    """Name the files left out, and why, on stderr (``--json`` lists them all on stdout)."""
    for s in skipped[:MAX_SKIPPED_SHOWN]:
        print(f"skipped {s.path}: {s.reason}", file=sys.stderr)
    if len(skipped) > MAX_SKIPPED_SHOWN:
        print(f"skipped {len(skipped) - MAX_SKIPPED_SHOWN} more files", file=sys.stderr)


def _lines(values: dict[str, Any]) -> str:
    return "\n".join(f"{k:>22}: {v}" for k, v in values.items())


def _decode_bar() -> Any:
    bar = _Bar()

    def report(done: int, total: int) -> None:
        bar.show(f"decoding {done}/{total}", done / max(total, 1))

    return report


def _train_bar(epochs: int) -> Any:
    bar = _Bar()
    started = time.perf_counter()

    def report(epoch: int, batch: int, n_batches: int) -> None:
        done = ((epoch - 1) * n_batches + batch) / (epochs * n_batches)
        left = (time.perf_counter() - started) * (1 - done) / max(done, 1e-9)
        bar.show(f"epoch {epoch}/{epochs}, batch {batch}/{n_batches}, about {left:.0f} s left", done)

    return report


class _Bar:
    """A progress bar on stderr: redrawn in place on a terminal, a line per tenth in a log."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_tenth = -1

    def show(self, label: str, fraction: float) -> None:
        finished = fraction >= 1
        tenth = int(fraction * 10)
        if not self.tty and tenth == self.last_tenth and not finished:
            return
        self.last_tenth = tenth
        filled = int(fraction * 30)
        end = "\n" if finished or not self.tty else "\r"
        print(f"[{'#' * filled}{'.' * (30 - filled)}] {label}", end=end, file=sys.stderr, flush=True)
