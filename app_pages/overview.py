"""Overview: what the study is, the run's numbers beside the paper's, and a one-click reproduction."""

import streamlit as st

import ui
from core.errors import UnmaskError
from core.evaluation.generalization import measured_findings
from core.evaluation.report import ci_text, gap_sentence, paper_comparison, pct, train_summary
from core.evaluation.stress import framing_sentence
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
    st.markdown(INTRODUCTION)
    ui.show_job_message()
    st.header("The run in use, beside the paper")
    run_id = st.session_state.get(ui.RUN)
    if not run_id:
        st.info(ui.NO_RUN_YET)
        link("train", "Go to the Train page")
    else:
        _run_beside_paper(run_id)
    _measured_generalization()
    _reproduce_section()


def _run_beside_paper(run_id: str) -> None:
    try:
        info = store.run_info(run_id)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Pick another run in the sidebar.")
        return
    s, m = train_summary(info), info.metrics
    low, high = s["val_accuracy_ci"] or (None, None)
    base_low, base_high = m.get("majority_baseline_ci") or (None, None)
    left, middle, right = st.columns(3)
    left.metric(f"This run: validation accuracy at {s['threshold']:g}", pct(s["val_accuracy"]))
    left.caption(f"{s['val_correct']} of {s['n_val']} correct · 95% CI {ci_text(low, high)} · {s['dataset']}")
    middle.metric("The paper", pct(PAPER["val_accuracy_reported"], 2))
    middle.caption(
        f"reported; its own count, {PAPER['val_correct_reported']} of {PAPER['n_val']}, is "
        f"{pct(PAPER['val_accuracy_from_counts'], 2)} · no interval given"
    )
    right.metric("Majority-class baseline", pct(s["majority_baseline"]))
    right.caption(
        f"always answering the larger class: {max(m.get('n_real', 0), m.get('n_fake', 0))} of {m.get('n')} "
        f"· 95% CI {ci_text(base_low, base_high)}"
    )
    if info.status == "cancelled":
        st.warning(f"This run was stopped early: {s['epochs_done']} of {s['epochs']} epochs.")
    summary = ui.saved_bias(run_id, ui.threshold())
    st.dataframe(paper_comparison(s, summary), hide_index=True)
    _bias_verdict(summary)
    _framing_verdict(run_id)


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


def _framing_verdict(run_id: str) -> None:
    """Whether the run reacts to where the face sits, from its kept probe results (the Stress test)."""
    st.subheader("What it learned: how a face was made, or where it sits?")
    results = stress.stored_stress(run_id)
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


def _measured_generalization() -> None:
    """What the presets trained on the Hard set learn, as measured (shown with or without a run)."""
    findings = measured_findings()
    if findings:
        st.header("What a high validation score does not show")
        with st.expander(
            "The presets trained on the Hard set, on faces from other sources and under re-framing "
            "(measured by python -m bench.generalization)"
        ):
            st.markdown(findings)


def _reproduce_section() -> None:
    st.header("Reproduce the study")
    st.markdown(
        "One click runs the paper's protocol on the data set in use: a stratified 75/25 split, "
        f"{PAPER['epochs']} epochs, threshold {PAPER['threshold']}, then {PAPER['bias_per_group']} seeded "
        "faces per group of the bias data (the *Bias by group* page's choice; the demo set by default). "
        "When the bias data is the data set trained on, only the run's validation images are used: the "
        "model trained on the rest. It uses the *fast* model preset at 64 px, which takes a minute or two "
        "on a laptop."
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
