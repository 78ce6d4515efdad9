"""Stress test: the run on folders it never saw (the generalization matrix) and under re-framing."""

import streamlit as st

import ui
from core.evaluation import charts
from core.evaluation.generalization import matrix_table
from core.evaluation.probes import PROBES
from core.evaluation.report import pct
from core.evaluation.stress import FRAMING_FLIP_LIMIT, FramingVerdict, StressReport, framing_sentence
from core.stress_test import validation_note
from ui import stress

INTRODUCTION = """
A high score on the run's own validation images shows that it separates *that* data set's classes,
not that it detects AI-generated faces. Two checks tell the difference. **Other folders**: score
faces from sources the run never saw (a folder with only `real/` or only `fake/` is fine) and read the
generalization matrix. **Probes**: show the run the same validation images re-framed (cropped,
shifted, padded) and degraded (JPEG, re-scaled, blurred, noisy, mirrored), and count how many calls
flip. Results are kept with the run, so they are here next time, and the CLI sees them too.
"""
LABELS = {p.key: p.label for p in PROBES}
REFRAMING = [p.key for p in PROBES if p.family == "re-framing"]
DEGRADATIONS = [p.key for p in PROBES if p.family == "degradation"]


def page() -> None:
    st.title("Stress test: does it detect how a face was made?")
    st.markdown(INTRODUCTION)
    run_id = ui.run_id_or_stop()
    _evaluate(run_id)
    _matrix()
    _probes(run_id)


def _evaluate(run_id: str) -> None:
    st.header("Evaluate on other folders")
    text = st.text_area(
        "Folders, one per line",
        key="stress_folders",
        placeholder="/path/to/other-sources/lfw\n/path/to/other-sources/pollinations",
        help="Each with real/ and/or fake/ subfolders, a labels.csv, or UTKFace names.",
    )
    own = st.checkbox("Also the run's own validation images", value=True, key="stress_own")
    if st.button("Evaluate", type="primary", icon=":material/play_arrow:", key="stress_evaluate"):
        folders = ([None] if own else []) + [line.strip() for line in text.splitlines() if line.strip()]
        done, problems = stress.evaluate_folders(run_id, folders)
        for problem in problems:
            st.error(problem)
        for summary in done:
            st.success(f"{summary['data']['name']}: {summary['n']} images scored; kept with run {run_id}.")
            if note := validation_note(summary):
                st.info(note)


def _matrix() -> None:
    st.header("Generalization matrix")
    frame = stress.generalization()
    if frame.empty:
        st.info("No evaluation kept yet: evaluate the run on a folder above.")
        return
    ui.chart(charts.generalization_heatmap(frame))
    st.caption(
        "Rows are runs, columns data sets. A cell is the ROC AUC where the data set holds both classes "
        "(0.5 is chance), else the share of its images called correctly at the run's threshold; hover for "
        "the 95% interval. Only both classes from one source show detection: a high share of fakes caught "
        "beside a low share of real photos kept is a model that calls everything fake."
    )
    st.dataframe(matrix_table(frame))


def _probes(run_id: str) -> None:
    st.header("Shortcut and robustness probes")
    folder = st.text_input(
        "Folder to probe (leave empty for the run's own validation images)", key="probe_folder"
    ).strip()
    left, right = st.columns(2)
    keys = [
        *left.multiselect("Re-framing", REFRAMING, REFRAMING, format_func=LABELS.get, key="probe_reframing"),
        *right.multiselect(
            "Degradations", DEGRADATIONS, DEGRADATIONS, format_func=LABELS.get, key="probe_degradations"
        ),
    ]
    if st.button("Run the probes", icon=":material/science:", key="probe_run", disabled=not keys):
        _, problem = stress.run_probes(run_id, folder or None, keys)
        if problem:
            st.error(problem)
    results = stress.stored_stress(run_id)
    if not results:
        st.info("No probes have been run on this run yet.")
        return
    names = [
        f"{s['data']['name']} · {s['n']} images · {len(r.probes)} probes · {s['created']}"
        for s, r, _ in results
    ]
    chosen = st.selectbox(
        "Kept result", range(len(results)), format_func=names.__getitem__, key="probe_result"
    )
    _report(*results[chosen])


def _report(summary: dict, report: StressReport, verdict: FramingVerdict) -> None:
    sentence = framing_sentence(report, data_name=summary["data"]["name"])
    if sentence:
        (st.warning if verdict.reacts else st.success)(sentence)
    if note := validation_note(summary):
        st.caption(note)
    table = report.table()
    ui.chart(charts.probe_flips_chart(table))
    st.caption(
        f"Share of calls at threshold {report.threshold:g} that differ from the call on the unchanged "
        f"image, with 95% intervals; above {pct(FRAMING_FLIP_LIMIT, 0)} on any re-framing probe, the run "
        "reacts to framing. Every image, the originals too, is decoded at full size and then scaled as the "
        "run's model needs, so the originals' numbers can differ slightly from the run's stored scores."
    )
    st.dataframe(table.reset_index(drop=True), hide_index=True, column_config=stress.PROBE_COLUMNS)
