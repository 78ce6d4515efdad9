"""The ``stress`` command: a run's calls under re-framing and degradations of the same images."""

from __future__ import annotations

import argparse
from typing import Any

from core import stress_test
from core.cli.common import command, decode_bar, show_skipped
from core.data.faceset import SkippedFile
from core.evaluation.probes import PROBE_KEYS
from core.evaluation.report import ci_text, pct
from core.evaluation.stress import StressReport, framing_sentence
from core.runs import store
from core.stress_test import validation_note


def add_commands(sub: Any) -> None:
    """Register ``stress``."""
    stress = command(sub, "stress", _stress, "shortcut and robustness probes: re-framed and degraded images")
    stress.add_argument("--run", default=None, help="run id (default: the latest)")
    stress.add_argument(
        "--data",
        default=None,
        help="folder to probe (default: the run's own validation images; its training folder means the same)",
    )
    stress.add_argument(
        "--probes",
        nargs="+",
        choices=PROBE_KEYS,
        default=None,
        metavar="PROBE",
        help=f"probes to run (default: all): {', '.join(PROBE_KEYS)}",
    )


def _stress(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    run_id = args.run or store.latest_run_id()
    summary, _ = stress_test.stress(run_id, args.data, probes=args.probes, progress=decode_bar())
    show_skipped([SkippedFile(s["path"], s["reason"]) for s in summary["skipped"]])
    report = StressReport.from_dict(summary["report"])
    name = summary["data"]["name"]
    lines = [_scope(summary), "", _table(report), "", framing_sentence(report, data_name=name)]
    return summary, "\n".join(lines)


def _scope(summary: dict[str, Any]) -> str:
    name, n, t = summary["data"]["name"], summary["n"], summary["threshold"]
    text = f"run {summary['run_id']} at threshold {t:g} on {n} images of {name}"
    note = validation_note(summary)
    return f"{text}; kept under key {summary['key']}" + (f"\n{note}" if note else "")


def _table(report: StressReport) -> str:
    header = f"{'probe':<38} {'accuracy (95% CI)':<28} {'AUC (95% CI)':<26} flips"
    rows = [header]
    for r in (report.original, *report.probes):
        accuracy = f"{pct(r.accuracy.rate)} ({ci_text(r.accuracy.ci_low, r.accuracy.ci_high)})"
        auc = "n/a" if r.auc.reason else f"{r.auc.auc:.3f} ({r.auc.ci_low:.3f}–{r.auc.ci_high:.3f})"
        flips = f"{r.flips.count}/{r.flips.n} ({pct(r.flips.rate)})"
        rows.append(f"{r.label:<38} {accuracy:<28} {auc:<26} {flips}")
    return "\n".join(rows)
