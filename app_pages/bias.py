"""Bias by group: the share of real faces the run flags as fake, per group, with intervals."""

import pandas as pd
import streamlit as st

import ui
from core.errors import UnmaskError
from core.evaluation import charts
from core.evaluation.bias import GroupTable, group_table
from core.evaluation.rates import wilson_interval
from core.evaluation.report import bias_summary, gap_sentence, pct
from core.labels import PAPER
from core.pipeline import BiasPool

INTRODUCTION = (
    "As in the paper, the run scores up to N faces per group (UTKFace's are all real photos) and we "
    "count how many real ones it calls fake. A fair detector flags about the same share in every group."
)


def page() -> None:
    st.title("Who gets flagged: bias by group")
    st.markdown(INTRODUCTION)
    run_id = ui.run_id_or_stop()
    folder = _bias_folder()
    pool = _pool_or_stop(run_id, folder)
    attribute, per_group, seed = _settings(pool)
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
    _ratios_and_scores(table, frame, attribute, threshold)
    _numbers(table, run_id, attribute)
    _what_n_can_show(table)


def _bias_folder() -> str:
    """The bias data folder: the one typed, or the demo set."""
    path = st.text_input(
        "Bias data: a UTKFace folder (leave empty for the synthetic demo data)",
        key="bias_path",
        placeholder="/path/to/UTKFace",
        bind="query-params",
        on_change=_forget_sampling,
    ).strip()
    if path and (problem := ui.folder_error(path)):
        st.error(problem)
        st.info("Fix the path, or clear it to use the synthetic demo data.")
        st.stop()
    st.session_state["bias_folder"] = path or None
    return path or ui.demo_folder()


def _forget_sampling() -> None:
    """A new folder has other groups and sizes: its attribute and N start from their defaults."""
    for key in ("bias_attribute", "bias_n"):
        st.session_state.pop(key, None)


def _pool_or_stop(run_id: str, folder: str) -> BiasPool:
    try:
        pool = ui.bias_pool(run_id, folder)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Pick another run in the sidebar, or another bias data folder.")
        st.stop()
    if not pool.attributes:
        st.error(
            f"{pool.name} carries no group attribute (race, gender, age band, skin tone); "
            "pick a UTKFace folder."
        )
        st.stop()
    if pool.validation_only:
        st.info(
            f"**{pool.name}** is the data run {run_id} trained on, so only the run's {pool.n} validation "
            "images are used: the model trained on the rest. N per group stops at what they hold."
        )
    return pool


def _settings(pool: BiasPool) -> tuple[str, int, int]:
    """The group attribute, faces per group and sampling seed the user picked."""
    columns = st.columns(3)
    attributes = pool.attributes
    attribute = columns[0].selectbox(
        "Group attribute",
        attributes,
        index=attributes.index(pool.default_attribute),
        key="bias_attribute",
        bind="query-params",
    )
    most = min(5000, pool.largest_group(attribute))
    help_text = f"At most {most}: the largest {attribute} group here has that many faces."
    per_group = columns[1].number_input(
        "Faces per group (N)",
        min_value=1,
        max_value=most,
        value=min(100, most),
        step=10,
        help=help_text,
        key="bias_n",
        bind="query-params",
    )
    seed = columns[2].number_input(
        "Sampling seed",
        min_value=0,
        max_value=2**31 - 1,
        value=0,
        step=1,
        key="bias_seed",
        bind="query-params",
    )
    return attribute, int(per_group), int(seed)


def _flagged(table: GroupTable) -> None:
    st.subheader("Share of real faces flagged as fake")
    chart = charts.group_bars(table, reference_rate=PAPER["bias_flagged_fake_rate_below"])
    st.altair_chart(chart, width="stretch")
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


def _ratios_and_scores(table: GroupTable, frame: pd.DataFrame, attribute: str, threshold: float) -> None:
    left, right = st.columns(2)
    left.subheader("Ratio to the least-flagged group")
    left.altair_chart(charts.ratio_chart(table), width="stretch")
    left.caption("Green band: 0.8 to 1.25, a common rule of thumb for rates close enough to call even.")
    right.subheader("Scores of the real faces per group")
    reals = frame[frame["label"] == 1]
    if len(reals):
        chart = charts.group_score_distributions(reals["score"], reals[attribute], threshold=threshold)
        right.altair_chart(chart, width="stretch")
        right.caption(
            f"Box plots of P(real) for the {len(reals)} real faces; left of the dashed line is flagged."
        )


def _numbers(table: GroupTable, run_id: str, attribute: str) -> None:
    st.subheader("The numbers")
    shown = table.table.reset_index()
    rates = ["flagged_fake_rate", "ci_low", "ci_high", "passed_real_rate", "passed_ci_low", "passed_ci_high"]
    config = {c: st.column_config.NumberColumn(format="percent") for c in rates}
    st.dataframe(shown, hide_index=True, column_config=config)
    csv = shown.to_csv(index=False)
    st.download_button("Bias table (CSV)", csv, file_name=f"{run_id}-bias-{attribute}.csv", mime="text/csv")


def _what_n_can_show(table: GroupTable) -> None:
    (low5, high5), (low15, high15) = wilson_interval(5, 100), wilson_interval(15, 100)
    st.subheader("What N per group can and cannot show")
    st.markdown(
        f"With 100 real faces per group, 5 flagged (5%) has a 95% interval of {pct(low5)} to {pct(high5)}, "
        f"and 15 flagged of {pct(low15)} to {pct(high15)}: two groups must differ by several points before "
        "their intervals separate, so 100 per group can reveal a large bias but cannot show that small ones "
        "are absent. More faces per group narrow the intervals."
    )
    if (table.table["n_fake"] == 0).all():
        st.info(
            "This data holds no fakes per group (UTKFace photos are all real), so only the false-alarm side, "
            "real faces flagged as fake, is measured; how often fakes pass as real per group is not."
        )
