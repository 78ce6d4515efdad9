"""Commands that read saved runs: ``evaluate``, ``bias`` and ``runs``."""

from __future__ import annotations

import argparse
from typing import Any

from core import pipeline
from core.cli.common import command, decode_bar, lines
from core.evaluation.report import bias_summary
from core.runs import store


def add_commands(sub: Any) -> None:
    """Register ``evaluate``, ``bias`` and ``runs``."""
    evaluate = command(sub, "evaluate", _evaluate, "metrics of a saved run at a threshold")
    evaluate.add_argument("--run", default=None, help="run id (default: the latest)")
    evaluate.add_argument(
        "--data", default=None, help="score this folder instead of the run's validation images"
    )
    evaluate.add_argument("--threshold", type=float, default=None)
    bias = command(sub, "bias", _bias, "share of real faces flagged as fake per group")
    bias.add_argument("--run", default=None, help="run id (default: the latest)")
    bias.add_argument(
        "--data", default=None, help="folder of faces with group attributes (default: demo set)"
    )
    bias.add_argument("--attribute", default=None, help="group attribute (default: race, else the first)")
    bias.add_argument("--threshold", type=float, default=None)
    bias.add_argument("--per-group", type=int, default=100)
    bias.add_argument("--seed", type=int, default=0)
    command(sub, "runs", _runs, "list saved runs")


def _evaluate(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    run_id = args.run or store.latest_run_id()
    if args.data is None:
        result = pipeline.evaluate_run(run_id, threshold=args.threshold)
    else:
        result = pipeline.evaluate_folder(run_id, args.data, threshold=args.threshold, progress=decode_bar())
    return result, lines({k: v for k, v in result.items() if k != "undefined"})


def _bias(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    run_id = args.run or store.latest_run_id()
    table = pipeline.bias_table(
        run_id,
        data=args.data,
        attribute=args.attribute,
        threshold=args.threshold,
        per_group=args.per_group,
        seed=args.seed,
        progress=decode_bar(),
    )
    summary = {"run_id": run_id, **bias_summary(table)}
    return summary, table.table.to_string()


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
