"""Commands that read saved runs: ``evaluate``, ``bias`` and ``runs``."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from core import pipeline, stress_test
from core.cli.common import command, decode_bar, lines, show_skipped
from core.data.faceset import SkippedFile
from core.errors import SCORES_OUT_UNWRITABLE, DataError
from core.evaluation.report import bias_summary
from core.paths import user_path
from core.runs import store
from core.stress_test import validation_note


def add_commands(sub: Any) -> None:
    """Register ``evaluate``, ``bias`` and ``runs``."""
    evaluate = command(sub, "evaluate", _evaluate, "metrics of a saved run at a threshold")
    evaluate.add_argument("--run", default=None, help="run id (default: the latest)")
    evaluate.add_argument(
        "--data",
        default=None,
        help="score this folder (one class is fine) instead of the run's stored validation scores; "
        "the result is kept with the run",
    )
    evaluate.add_argument("--threshold", type=float, default=None)
    evaluate.add_argument(
        "--scores-out", default=None, metavar="FILE", help="write the per-image scores to this CSV file"
    )
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
        scores = store.load_run(run_id).scores
        note = ""
    else:
        summary, scores = stress_test.evaluate_folder(
            run_id, args.data, threshold=args.threshold, progress=decode_bar()
        )
        show_skipped([SkippedFile(s["path"], s["reason"]) for s in summary["skipped"]])
        result = _flat(summary)
        note = validation_note(summary)
    if args.scores_out is not None:
        result["scores_out"] = _write_scores(scores, args.scores_out)
    text = lines({k: v for k, v in result.items() if k not in ("undefined", "skipped")})
    return result, f"{text}\n{note}" if note else text


def _flat(summary: dict[str, Any]) -> dict[str, Any]:
    """An evaluation summary with its metrics at the top level, as ``evaluate`` always printed them."""
    auc = summary["auc"]
    return {
        "run_id": summary["run_id"],
        "data": summary["data"]["root"],
        "data_name": summary["data"]["name"],
        "key": summary["key"],
        "validation_only": summary["validation_only"],
        "n_training_excluded": summary["n_training_excluded"],
        **summary["metrics"],
        "roc_auc_ci": [auc["ci_low"], auc["ci_high"]],
        "skipped": summary["skipped"],
    }


def _write_scores(scores: pd.DataFrame, file: str) -> str:
    """Write per-image scores (path, label, score P(real), groups) as CSV; returns the file's full path."""
    target = user_path(file)
    try:
        target = target.resolve()
        store.write_scores(scores, target)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links
        reason = getattr(exc, "strerror", None) or exc
        raise DataError(SCORES_OUT_UNWRITABLE.format(path=target, reason=reason)) from exc
    return str(target)


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
