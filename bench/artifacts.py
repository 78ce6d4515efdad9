"""Experiments on the ``artifacts`` preset: ``python -m bench.artifacts {hard,loso} ...``.

``hard`` trains each variant (:mod:`bench.artifact_variants`) on the Hard set alone, once
per seed, each run in a fresh process (:mod:`bench.artifacts_worker`), and measures the
validation images whole and re-framed, and the *dev* half of every other source.
``loso`` runs leave-one-source-out over the Hard set and ``other-sources/``. Every run is
appended to ``bench/artifacts.json`` as soon as it ends (a session per invocation, with
its purpose: ``selection`` runs choose the design and use seeds and halves the headline
never uses; ``headline`` runs are the figures the targets are judged on), and
``python -m bench.report`` renders them into RESULTS.md (:mod:`bench.artifacts_report`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.artifact_variants import ARTIFACT_VARIANTS
from bench.artifacts_report import reframings
from bench.timing import load_average
from core.paths import REPO_ROOT, shared_datasets_dir

BENCH_DIR = Path(__file__).resolve().parent
OUT_FILE = BENCH_DIR / "artifacts.json"
HARD_SET = "hardfakevsrealfaces"
OTHER_SOURCES = ("lfw", "yonsei", "amfd", "pollinations")


def default_folders() -> tuple[Path, list[Path]]:
    """The Hard set and the ``other-sources/`` folders beside the checkout."""
    root = shared_datasets_dir()
    return root / HARD_SET, [root / "other-sources" / name for name in OTHER_SOURCES]


def run_session(
    mode: str,
    *,
    variants: Sequence[str],
    seeds: Sequence[int],
    epochs: int,
    purpose: str,
    data: Sequence[Path],
    outside: Sequence[Path] = (),
    hold_out: Sequence[str] = (),
    out: Path = OUT_FILE,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run every variant for every seed (seed-major, so each seed's variants run close in time)."""
    earlier = read_sessions(out)
    session: dict[str, Any] = {
        "mode": mode,
        "purpose": purpose,
        "date": datetime.datetime.now(datetime.UTC).astimezone().isoformat(timespec="seconds"),
        "command": "python -m bench.artifacts " + " ".join(sys.argv[1:]),
        "data": [str(d) for d in data],
        "outside": [str(d) for d in outside],
        "epochs": epochs,
        "seeds": list(seeds),
        "cores": os.cpu_count(),
        "variants": {name: ARTIFACT_VARIANTS[name].to_dict() for name in variants},
        "runs": [],
    }
    for seed in seeds:
        for name in variants:
            argv = [
                sys.executable,
                "-m",
                "bench.artifacts_worker",
                mode,
                "--variant",
                name,
                "--seed",
                str(seed),
            ]
            argv += ["--epochs", str(epochs)]
            argv += [a for d in data for a in ("--data", str(d))]
            argv += [a for d in outside for a in ("--outside", str(d))]
            argv += [a for h in hold_out for a in ("--hold-out", h)]
            run = _worker(argv)
            session["runs"].append(run)
            log(_line(run))
            out.write_text(json.dumps({"sessions": [*earlier, session]}, indent=1) + "\n", encoding="utf-8")
    return session


def read_sessions(path: Path = OUT_FILE) -> list[dict[str, Any]]:
    """The sessions stored in ``path`` (none if it does not exist)."""
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["sessions"]


def _worker(argv: list[str]) -> dict[str, Any]:
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_ROOT, env=dict(os.environ))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"failed": f"exit {done.returncode}: {done.stderr[-1500:]}", "argv": argv[2:]}
    return json.loads(lines[-1])


def _line(run: dict[str, Any]) -> str:
    if "failed" in run:
        return f"FAILED {run['argv']}: {run['failed'][-300:]}"
    head = f"{run['variant']:>16} seed {run['seed']}"
    if run["mode"] == "hard":
        v = run["val"]
        worst = max(r["flipped"]["rate"] for r in reframings(run))
        return (
            f"{head}: acc {v['accuracy']['rate']:.4f} auc {v['auc']:.4f} worst flip {worst:.3f} "
            f"{run['train_seconds']:.0f} s load {load_average()[0]}"
        )
    folds = ", ".join(
        f"{f['source']}: {f['held_out']['all'].get('auc') or f['held_out']['all']['accuracy']['rate']:.3f}"
        for f in run["folds"]
        if "held_out" in f
    )
    return f"{head}: {folds} ({run['call_seconds']:.0f} s)"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.artifacts", description=__doc__)
    parser.add_argument("mode", choices=("hard", "loso"))
    parser.add_argument("--variants", nargs="+", choices=sorted(ARTIFACT_VARIANTS), default=["preset"])
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--purpose", choices=("selection", "headline"), required=True)
    parser.add_argument("--no-outside", action="store_true", help="hard: skip scoring the other sources")
    parser.add_argument("--hold-out", nargs="+", default=[], help="loso: only these folds")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "unmask-artifacts-cache")
    parser.add_argument("--out", type=Path, default=OUT_FILE)
    args = parser.parse_args(argv)
    hard, others = default_folders()
    data = [hard] if args.mode == "hard" else [hard, *others]
    outside = [] if args.mode == "loso" or args.no_outside else others
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        os.environ["UNMASK_DATA_DIR"], os.environ["UNMASK_MODELS_DIR"] = str(args.cache), f"{tmp}/models"
        run_session(
            args.mode,
            variants=args.variants,
            seeds=args.seeds,
            epochs=args.epochs,
            purpose=args.purpose,
            data=data,
            outside=outside,
            hold_out=args.hold_out,
            out=args.out,
            log=lambda line: print(line, file=sys.stderr, flush=True),
        )


if __name__ == "__main__":
    main()
