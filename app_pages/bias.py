"""Bias by group: the share of real faces the run flags as fake, per group, with intervals."""

import pandas as pd
import streamlit as st

import ui
from core.errors import UnmaskError
from core.evaluation import charts
from core.evaluation.bias import GroupTable, group_table
from core.evaluation.report import bias_rows, bias_summary, gap_sentence, sample_size_note
from core.labels import PAPER

INTRODUCTION = (
    "As in the paper, the run scores up to N faces per group (UTKFace's are all real photos) and we "
    "count how many real ones it calls fake. A fair detector flags about the same share in every group."
)


def page() -> None:
    st.title("Who gets flagged: bias by group")
    st.markdown(INTRODUCTION)
    run_id = ui.run_id_or_stop()
    folder = ui.bias_folder(run_id)
    pool = ui.bias_pool_or_stop(run_id, folder)
    attribute, per_group, seed = ui.sampling_settings(pool)
    try:
        frame = ui.bias_scores(run_id, folder, attribute=attribute, per_group=per_group, seed=seed)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Pick another run in the sidebar, or delete this one on the Train page and train again.")
        st.stop()
    threshold = ui.threshold_slider()
    table = group_table(frame["label"], frame["score"], frame[attribute], threshold=threshold)
    scored = (
        "as run {0} scored them when it was validated" if pool.validation_only else "scored once by run {0}"
    )
    st.caption(
        f"{len(frame)} faces of **{pool.name}** ({int(frame['label'].sum())} real), up to {per_group} per "
        f"{attribute}, seed {seed}, {scored.format(run_id)}; the threshold recomputes from these scores."
    )
    _flagged(table)
    _numbers(table, run_id, attribute)
    _scores(frame, attribute, threshold)
    _what_n_can_show(table)


def _flagged(table: GroupTable) -> None:
    st.subheader("Share of real faces flagged as fake")
    chart = charts.group_bars(table, reference_rate=PAPER["bias_flagged_fake_rate_below"])
    ui.chart(chart)
    st.caption(
        "Bars: the share per group; whiskers: its 95% interval; n above each bar is the number of real "
        "faces; the red line is the paper's 15% (all its groups were below it)."
    )
    gap = gap_sentence(bias_summary(table))
    if gap:
        st.markdown(gap)
    if table.p_value_test:
        st.caption(
            f"Test that every group is flagged equally often ({table.p_value_test}): p = {table.p_value:.3g}."
        )
    for note in table.notes:
        st.caption(f"Note: {note}.")


def _scores(frame: pd.DataFrame, attribute: str, threshold: float) -> None:
    st.subheader("Scores of the real faces per group")
    reals = frame[frame["label"] == 1]
    if len(reals):
        chart = charts.group_score_distributions(reals["score"], reals[attribute], threshold=threshold)
        ui.chart(chart)
        st.caption(
            f"Box plots of P(real) for the {len(reals)} real faces; left of the dashed line is flagged."
        )


def _numbers(table: GroupTable, run_id: str, attribute: str) -> None:
    st.subheader("The numbers")
    st.dataframe(bias_rows(table), hide_index=True)
    st.caption("Each share with its count and 95% interval; the last row is all groups together.")
    csv = table.table.reset_index().to_csv(index=False)
    st.download_button("Bias table (CSV)", csv, file_name=f"{run_id}-bias-{attribute}.csv", mime="text/csv")


def _what_n_can_show(table: GroupTable) -> None:
    st.subheader("What N per group can and cannot show")
    st.markdown(sample_size_note())
    if (table.table["n_fake"] == 0).all():
        st.info(
            "This data holds no fakes per group (UTKFace photos are all real), so only the false-alarm side, "
            "real faces flagged as fake, is measured; how often fakes pass as real per group is not."
        )
