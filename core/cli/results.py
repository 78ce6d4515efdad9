"""Commands that read saved runs: ``evaluate``, ``bias`` and ``runs``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core import pipeline, stress_test
from core.cli.common import command, decode_bar, lines, score_bar, show_skipped
from core.data.faceset import SkippedFile
from core.errors import SCORES_OUT_UNWRITABLE, DataError
from core.evaluation.report import bias_summary
from core.evaluation.streaming import write_scores_file
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
    out = None if args.scores_out is None else _scores_target(args.scores_out)
    if args.data is None:
        result = pipeline.evaluate_run(run_id, threshold=args.threshold)
        if out is not None:
            write_scores_file(store.load_run(run_id).scores, out)
        note = ""
    else:
        # Streamed: decoded and scored a chunk at a time, rows written to --scores-out as they come.
        summary, _ = stress_test.evaluate_folder(
            run_id, args.data, threshold=args.threshold, progress=score_bar(), scores_out=out
        )
        show_skipped([SkippedFile(s["path"], s["reason"]) for s in summary["skipped"]])
        result = _flat(summary)
        note = validation_note(summary)
    if out is not None:
        result["scores_out"] = str(out)
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


def _scores_target(file: str) -> Path:
    """Where ``--scores-out`` writes, resolved before any image is scored, so a bad path fails first."""
    target = user_path(file)
    try:
        return target.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a loop of links
        reason = getattr(exc, "strerror", None) or exc
        raise DataError(SCORES_OUT_UNWRITABLE.format(path=target, reason=reason)) from exc


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
