"""Overview: what the study is, the run's numbers beside the paper's, and a one-click reproduction."""

import streamlit as st

import ui
from core.errors import UnmaskError
from core.evaluation.report import gap_sentence, paper_comparison, train_summary
from core.labels import PAPER
from core.runs import store
from ui import stress
from ui.navigation import link

INTRODUCTION = f"""
Unmask tells real face photos from AI-generated ones, and shows **how well** it does and
**for whom**, with error bars. It follows the study *AI Betrays AI* (Mao et al.): a small
convolutional network learns from {PAPER["n_real"] + PAPER["n_fake"]:,} faces ({PAPER["dataset"]}),
is judged on a held-out quarter of them, and is then given {PAPER["bias_per_group"]} real faces per race
group to count how many it wrongly calls fake.

**How to read the numbers.** The model gives every image a score, the probability that it is
a real photo. An image is *called real* when its score is above the **threshold** (0.75 by
default) and *called fake* otherwise. Every share comes with its count, its **n** (how many
images it was measured on) and its **95% interval**: the range the true value most likely
lies in. Small n means wide intervals.

**What each page does.** *Data* shows what is in the data set in use; *Train* trains a model
and lists past runs; *Confusion* shows the run's mistakes at any threshold; *Bias by group*
measures who gets flagged; *Try an image* scores your own photos; *Stress test* scores folders the
run never saw and re-frames its images, to show whether it detects how a face was made or only
where it sits in the picture. The sidebar picks the data
set and the run; the built-in demo set is **synthetic demo data** (drawn faces, no real
people), so every page works on a fresh machine.
"""


def page() -> None:
    st.title("Unmask: real photo or AI-generated face?")
    if not ui.presenting():  # presenter mode: the headline numbers first, the introduction below
        st.markdown(INTRODUCTION)
    ui.show_job_message()
    st.header("The run in use, beside the paper")
    run_id = st.session_state.get(ui.RUN)
    if not run_id:
        st.info(ui.NO_RUN_YET)
        link("train", "Go to the Train page")
    else:
        _run_beside_paper(run_id)
        _report(run_id)
    stress.measured_generalization()
    if ui.presenting():
        with st.expander("What this is, and how to read the numbers"):
            st.markdown(INTRODUCTION)
    _reproduce_section()


def _run_beside_paper(run_id: str) -> None:
    try:
        info = store.run_info(run_id)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Pick another run in the sidebar.")
        return
    s, m = _at_shared_threshold(train_summary(info), run_id), info.metrics
    ui.headline_metrics(s, m)
    if info.status == "cancelled":
        st.warning(f"This run was stopped early: {s['epochs_done']} of {s['epochs']} epochs.")
    summary = ui.saved_bias(run_id, ui.threshold())
    st.dataframe(paper_comparison(s, summary), hide_index=True)
    _bias_verdict(summary)
    stress.framing_verdict(run_id)


def _at_shared_threshold(summary: dict, run_id: str) -> dict:
    """The run's summary with its validation accuracy at the threshold every page uses."""
    m = ui.metrics_at(run_id, ui.threshold())
    accuracy = m.accuracy
    return {
        **summary,
        "threshold": m.threshold,
        "val_accuracy": accuracy.rate,
        "val_correct": accuracy.count,
        "val_accuracy_ci": (accuracy.ci_low, accuracy.ci_high),
    }


def _report(run_id: str) -> None:
    """The one-click report of the run in use (a file to keep or send)."""
    st.subheader("Report")
    ui.report_downloads(run_id)


def _bias_verdict(summary: dict | None) -> None:
    """Where the bias rows of the table above came from, and whether the largest gap is real."""
    st.subheader("Who gets flagged")
    if summary is None:
        st.info("No bias check saved with this run yet: open *Bias by group*, or reproduce the study below.")
        link("bias", "Go to Bias by group")
        return
    st.caption(
        f"The table's group rows: the run's latest bias check, {summary['attribute']} on {summary['data']} "
        f"({summary['per_group']} per group, seed {summary['seed']}), at threshold {summary['threshold']:g}."
    )
    gap = gap_sentence(summary)
    if gap:
        st.markdown(gap)


def _reproduce_section() -> None:
    st.header("Reproduce the study")
    st.markdown(
        "One click runs the paper's protocol on the data set in use: a stratified 75/25 split, "
        f"{PAPER['epochs']} epochs, threshold {PAPER['threshold']}, then {PAPER['bias_per_group']} seeded "
        "faces per group of the bias data (the *Bias by group* page's folder; on the demo set, its own "
        "faces). When the bias data is the data set trained on, only the run's validation images are used: "
        "the model trained on the rest; a real data set needs a bias folder of real faces. It uses the "
        "*fast* model preset at 64 px, which takes a minute or two on a laptop."
    )
    busy = bool(ui.active_jobs("reproduce"))
    st.button(
        "Reproduce the study",
        type="primary",
        icon=":material/play_arrow:",
        on_click=ui.start_reproduction,
        disabled=busy,
        help="A reproduction is already queued or running: it is shown below." if busy else None,
    )
    ui.jobs_panel("reproduce")
