"""What every command shares: its parser entry, text output, skipped-file notes, progress bars."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from core.data.faceset import SkippedFile

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: Skipped files named one per line on stderr before the rest are only counted.
MAX_SKIPPED_SHOWN = 20

#: A command's handler: parsed arguments in, ``(JSON-ready result, text for a terminal)`` out.
Handler = Callable[[argparse.Namespace], tuple[dict[str, Any], str]]


def command(sub: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    """Add subcommand ``name`` with its ``--json`` switch; ``handler`` runs it."""
    parser = sub.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=handler)
    return parser


def show_skipped(skipped: Sequence[SkippedFile]) -> None:
    """Name the files left out, and why, on stderr (``--json`` lists them all on stdout)."""
    for s in skipped[:MAX_SKIPPED_SHOWN]:
        print(f"skipped {s.path}: {s.reason}", file=sys.stderr)
    if len(skipped) > MAX_SKIPPED_SHOWN:
        print(f"skipped {len(skipped) - MAX_SKIPPED_SHOWN} more files", file=sys.stderr)


def lines(values: dict[str, Any]) -> str:
    """One ``name: value`` line per item, names right-aligned."""
    return "\n".join(f"{k:>22}: {v}" for k, v in values.items())


def decode_bar() -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that draws a decoding bar on stderr."""
    bar = _Bar()

    def report(done: int, total: int) -> None:
        bar.show(f"decoding {done}/{total}", done / max(total, 1))

    return report


def score_bar() -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback for scoring a stream: images/s and time left, on stderr.

    The clock starts at the first call (the stream calls ``(0, total)`` once the model is loaded),
    so the rate is of decoding and scoring, not of TensorFlow's start-up.
    """
    bar = _Bar()
    started: list[float] = []

    def report(done: int, total: int) -> None:
        if not started:
            started.append(time.perf_counter())
        rate = done / max(time.perf_counter() - started[0], 1e-9)
        label = f"scoring {done}/{total}"
        if done:
            label += f", {rate:.0f} images/s, about {(total - done) / rate:.0f} s left"
        bar.show(label, done / max(total, 1))

    return report


def train_bar(epochs: int) -> Callable[[int, int, int], None]:
    """An ``on_batch(epoch, batch, n_batches)`` callback that draws a training bar with time left."""
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
