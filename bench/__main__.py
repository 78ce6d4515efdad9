"""``python -m bench``: measure everything, write bench/RESULTS.md and bench/results.json.

Exits 1, with a sentence naming the step, when a step fails (nothing is written then);
steps are left out only when asked (``--skip``, or the app in ``--quick`` mode), and
results.json says so.

Runs on the real Hard set when it is beside the checkout (``core.paths.shared_datasets_dir()``),
else on the built-in demo set, and says which. Caches, the demo set and runs go to a
temporary folder: the checkout's data/ and models/ are never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.report import BENCH_DIR, refresh_committed, write_report
from bench.suite import StepFailed, full_plan, quick_plan, run_suite


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.quick and args.out is None:
        print(
            "--quick needs --out DIR: a quick run must not overwrite the committed results", file=sys.stderr
        )
        return 2
    plan = (
        quick_plan() if args.quick else full_plan(skip=frozenset(args.skip), load_seconds=args.load_seconds)
    )
    out_dir = (args.out or BENCH_DIR).resolve()
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        os.environ["UNMASK_DATA_DIR"], os.environ["UNMASK_MODELS_DIR"] = f"{tmp}/data", f"{tmp}/models"
        try:
            results = run_suite(
                plan, data=args.data, log=lambda line: print(f"[bench] {line}", file=sys.stderr, flush=True)
            )
        except StepFailed as exc:
            print(exc, file=sys.stderr)
            return 1
    out_dir.mkdir(parents=True, exist_ok=True)
    results = keep_separate_measurements(results, out_dir / "results.json")
    (out_dir / "results.json").write_text(
        json.dumps(results, indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )
    if out_dir == BENCH_DIR and not args.quick:  # the committed results: keep the README's blocks in step
        print(*refresh_committed(), sep="\n")
    else:
        print(write_report(out_dir))
    return 0


#: Sections of results.json that their own commands measure (``python -m bench.throughput``,
#: ``python -m bench.deeplink``, ...): a full run keeps what it did not measure itself.
SEPARATE_SECTIONS = ("throughput", "app")


def keep_separate_measurements(results: dict, previous_file: Path) -> dict:
    """``results`` with the earlier file's separately measured figures it lacks, targets checked again.

    ``throughput`` is kept whole when this run has none; in ``app``, every key this run did not
    measure is kept (e.g. ``deep_link_seconds`` from ``python -m bench.deeplink --write``).
    """
    from bench.targets import check

    try:
        previous = json.loads(previous_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return results
    merged = dict(results)
    for section in SEPARATE_SECTIONS:
        old = previous.get(section)
        if not isinstance(old, dict):
            continue
        new = merged.get(section)
        merged[section] = old if not isinstance(new, dict) else {**old, **new}
    merged["targets"] = check(merged)
    return merged


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="CI smoke run: tiny, under a minute, needs --out"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for results.json and RESULTS.md (default: bench/)"
    )
    parser.add_argument("--data", default=None, help="data folder (default: the Hard set, else the demo set)")
    parser.add_argument("--load-seconds", type=float, default=30.0, help="length of the app load test")
    parser.add_argument("--skip", nargs="+", choices=("paper", "app"), default=[], help="steps to leave out")
    return parser


if __name__ == "__main__":
    sys.exit(main())
