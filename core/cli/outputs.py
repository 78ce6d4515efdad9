"""Commands that write files about a run: ``explain`` (heat maps) and ``report`` (one HTML or PDF file)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli.common import command
from core.errors import EXPLAIN_NO_IMAGES, ImageError, UnmaskError
from core.runs import store


def add_commands(sub: Any) -> None:
    """Register ``explain`` and ``report``."""
    explain = command(sub, "explain", _explain, "heat maps of where a run's model looks, one PNG per image")
    explain.add_argument("images", nargs="+", metavar="IMAGE", help="image files to explain")
    explain.add_argument("--run", default=None, help="run id (default: the latest)")
    explain.add_argument("--out", required=True, help="folder for the PNGs (made if missing)")
    explain.add_argument("--threshold", type=float, default=None, help="default: the run's own")
    report = command(sub, "report", _report, "one self-contained HTML (or PDF) report of a run")
    report.add_argument("--run", default=None, help="run id (default: the latest)")
    report.add_argument("--out", required=True, help="FILE.html, or FILE.pdf for a PDF")
    report.add_argument("--threshold", type=float, default=None, help="default: the run's own")
    report.add_argument(
        "--bias-data", default=None, help="faces with groups (default: the run's own data, if it has groups)"
    )
    report.add_argument("--attribute", default=None, help="group attribute (default: race, else the first)")
    report.add_argument("--per-group", type=int, default=100)
    report.add_argument("--seed", type=int, default=0)


def _explain(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    import numpy as np

    from core.data.images import decode_image, decode_native
    from core.evaluation.heatmaps import png_bytes, side_by_side
    from core.model.explain import explain_run

    run_id = args.run or store.latest_run_id()
    size, native = store.run_info(run_id).image_size, store.run_info(run_id).native_max_side
    names, pixels, failed = [], [], []
    for name in args.images:
        try:
            if native:  # a patch preset scores each image at its own size
                pixels.append(decode_native(Path(name), max_side=native))
            else:
                pixels.append(decode_image(Path(name), size=size))
            names.append(name)
        except UnmaskError as exc:
            failed.append({"image": name, "error": str(exc)})
            print(f"skipped {name}: {exc}", file=sys.stderr)
    if not pixels:
        raise ImageError(EXPLAIN_NO_IMAGES.format(n=len(args.images), first=failed[0]["error"]))
    found = explain_run(run_id, pixels if native else np.stack(pixels), threshold=args.threshold)
    threshold = store.run_info(run_id).threshold if args.threshold is None else args.threshold
    out = Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for i, (name, image) in enumerate(zip(names, pixels, strict=True)):
        stem = Path(name).stem
        stem = stem if stem not in used else f"{stem}-{i + 1}"  # two images of one name: keep both
        used.add(stem)
        path = out / f"{stem}-explained.png"
        path.write_bytes(png_bytes(side_by_side(image, found.maps[i])))
        score = float(found.scores[i])
        written.append(
            {
                "image": name,
                "png": str(path),
                "score": score,
                "called": "real" if score > threshold else "fake",
            }
        )
    result = {"run_id": run_id, "method": found.method, "threshold": threshold, "images": written}
    text = "\n".join(f"{w['png']}  P(real) {w['score']:.3f}, called {w['called']}" for w in written)
    return {**result, "skipped": failed}, f"{found.method}, run {run_id}:\n{text}"


def _report(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from core.document import write_report

    run_id = args.run or store.latest_run_id()
    path = write_report(
        run_id,
        args.out,
        threshold=args.threshold,
        bias_data=args.bias_data,
        attribute=args.attribute,
        per_group=args.per_group,
        seed=args.seed,
    )
    return {"run_id": run_id, "path": str(path)}, f"wrote the report of run {run_id} to {path}"
