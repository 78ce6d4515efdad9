"""Streamlit glue of the Stress test: evaluations and probes run with a progress bar; kept results read back.

The work itself is :mod:`core.stress_test` (the CLI's ``evaluate --data`` and ``stress`` run
the same), and results are kept with the run, so they outlive the session. Reading them back
is cached by the state of the results' files (their names, sizes and times), so a new
result, from this page or from the command line, is seen on the next rerun.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from core import stress_test
from core.errors import UnmaskError
from core.evaluation.generalization import generalization_matrix, measured_findings
from core.evaluation.stress import FramingVerdict, StressReport, framing_sentence
from core.paths import models_dir
from core.runs import evaluations
from ui.loaders import model
from ui.navigation import link

Stored = list[tuple[dict[str, Any], StressReport, FramingVerdict]]
_PERCENT, _AUC = "percent", "%.3f"
#: How the probe table (:meth:`StressReport.table`) shows its columns.
PROBE_COLUMNS = {
    "accuracy": st.column_config.NumberColumn("accuracy", format=_PERCENT),
    "accuracy_ci_low": st.column_config.NumberColumn("accuracy: 95% CI from", format=_PERCENT),
    "accuracy_ci_high": st.column_config.NumberColumn("to", format=_PERCENT),
    "auc": st.column_config.NumberColumn("AUC", format=_AUC),
    "auc_ci_low": st.column_config.NumberColumn("AUC: 95% CI from", format=_AUC),
    "auc_ci_high": st.column_config.NumberColumn("to", format=_AUC),
    "flips": st.column_config.NumberColumn("calls that flip"),
    "flip_rate": st.column_config.NumberColumn("share that flips", format=_PERCENT),
    "flip_ci_low": st.column_config.NumberColumn("share: 95% CI from", format=_PERCENT),
    "flip_ci_high": st.column_config.NumberColumn("to", format=_PERCENT),
    "to_real": st.column_config.NumberColumn("now called real"),
    "to_fake": st.column_config.NumberColumn("now called fake"),
}


def evaluate_folders(run_id: str, folders: Sequence[str | None]) -> tuple[list[dict[str, Any]], list[str]]:
    """Evaluate the run on each folder (``None``: its own validation images) and keep the results.

    Returns the summaries of those that worked and, for the others, what went wrong in a sentence.
    """
    done, problems = [], []
    for folder in folders:
        bar = st.progress(0.0, text=f"Scoring {folder or 'the validation images'}…")
        try:
            summary, _ = stress_test.evaluate_folder(
                run_id, folder, progress=_progress(bar, folder), model=_model_if_needed(run_id, folder)
            )
            done.append(summary)
        except UnmaskError as exc:
            problems.append(f"{folder}: {exc}")
        finally:
            bar.empty()
    return done, problems


def run_probes(run_id: str, folder: str | None, keys: Sequence[str]) -> tuple[dict[str, Any] | None, str]:
    """Run the probes ``keys`` on ``folder`` (``None``: the run's validation images) and keep the result.

    Returns ``(summary, "")``, or ``(None, the problem in a sentence)``.
    """
    bar = st.progress(0.0, text="Re-framing, degrading and scoring the images…")
    try:
        summary, _ = stress_test.stress(
            run_id, folder, probes=list(keys), progress=_progress(bar, folder), model=model(run_id)
        )
    except UnmaskError as exc:
        return None, str(exc)
    finally:
        bar.empty()
    return summary, ""


def generalization() -> pd.DataFrame:
    """Every run's kept evaluations as a generalization matrix frame (cached until a result changes)."""
    return _generalization(str(models_dir()), _state("*/evaluations/*/summary.json"))


@st.cache_data(max_entries=8, show_spinner=False)
def _generalization(root: str, state: tuple) -> pd.DataFrame:
    return generalization_matrix(evaluations.all_evaluations())


def stored_stress(run_id: str) -> Stored:
    """The run's kept probe results, newest first (cached until one changes)."""
    return _stored_stress(str(models_dir()), run_id, _state(f"{run_id}/stress/*.json"))


@st.cache_data(max_entries=16, show_spinner=False)
def _stored_stress(root: str, run_id: str, state: tuple) -> Stored:
    try:
        return stress_test.stored_stress(run_id)
    except UnmaskError:  # the run was deleted meanwhile
        return []


def _state(pattern: str) -> tuple:
    """Names, sizes and times of the files matching ``pattern`` under the models folder."""
    found = []
    for file in sorted(models_dir().glob(pattern)):
        try:
            stat = file.stat()
        except OSError:
            continue
        found.append((str(file), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def _progress(bar: Any, folder: str | None) -> Any:
    what = folder or "the validation images"

    def report(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"{what}: {done} of {total} images")

    return report


def _model_if_needed(run_id: str, folder: str | None) -> Any:
    """The cached model, unless the folder is the run's own (its stored scores are used: no model)."""
    try:
        if stress_test.image_pool(run_id, folder).validation_only:
            return None
    except UnmaskError:
        return None  # evaluate_folder says what is wrong
    return model(run_id)


def framing_verdict(run_id: str) -> None:
    """Whether the run reacts to where the face sits, from its kept probe results (the Stress test)."""
    st.subheader("What it learned: how a face was made, or where it sits?")
    results = stored_stress(run_id)
    if not results:
        st.info(
            "No stress test yet for this run. A high validation score can come from how the faces are framed "
            "rather than how they were made: the *Stress test* re-frames the validation images and counts "
            "the calls that flip."
        )
        link("stress", "Go to the Stress test")
    for summary, report, verdict in results[:3]:
        sentence = framing_sentence(report, data_name=summary["data"]["name"])
        if sentence:
            (st.warning if verdict.reacts else st.success)(sentence)


def measured_generalization() -> None:
    """What the presets trained on the Hard set learn, as measured (shown with or without a run)."""
    findings = measured_findings()
    if findings:
        st.header("What a high validation score does not show")
        with st.expander(
            "The presets trained on the Hard set, on faces from other sources and under re-framing "
            "(measured by python -m bench.generalization)"
        ):
            st.markdown(findings)
    _artifacts_headline()


def _artifacts_headline() -> None:
    """The artifacts preset's headline targets as the benchmark measured them, and what they allow."""
    from bench import artifacts

    try:
        changed = artifacts.OUT_FILE.stat().st_mtime_ns
    except OSError:
        return
    claim, table = _artifacts_texts(changed)
    if not table:
        return
    st.markdown(claim)
    with st.expander("The artifacts preset's targets, measured (python -m bench.artifacts; see RESULTS.md)"):
        st.markdown(table)


@st.cache_data(max_entries=2, show_spinner=False)
def _artifacts_texts(changed_ns: int) -> tuple[str, str]:
    """The claim and the target table, from bench/artifacts.json as it was at ``changed_ns`` (its
    modification time): parsed once, not on every threshold move of the Overview."""
    from bench import artifacts
    from bench.artifacts_report import generalization_claim, headline_markdown

    sessions = artifacts.read_sessions(artifacts.OUT_FILE)
    return generalization_claim(sessions), headline_markdown(sessions)
