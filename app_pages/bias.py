"""Bias by group: the share of real faces the run flags as fake, per group, with intervals."""

import streamlit as st

import ui
from core.errors import UnmaskError
from core.evaluation import charts
from core.evaluation.bias import group_table
from core.evaluation.rates import wilson_interval
from core.evaluation.report import bias_summary, pct
from core.labels import PAPER

st.title("Who gets flagged: bias by group")
st.markdown(
    "As in the paper, the run scores up to N faces per group (UTKFace's are all real photos) and we "
    "count how many real ones it calls fake. A fair detector flags about the same share in every group."
)
run_id = ui.run_id_or_stop()
path = st.text_input(
    "Bias data: a UTKFace folder (leave empty for the synthetic demo data)",
    key="bias_path",
    placeholder="/path/to/UTKFace",
    persist_state="session",
).strip()
if path:
    problem = ui.folder_error(path)
    if problem:
        st.error(problem)
        st.info("Fix the path, or clear it to use the synthetic demo data.")
        st.stop()
    folder = path
else:
    folder = ui.demo_folder()
st.session_state["bias_folder"] = folder if path else None
try:
    pool = ui.bias_pool(run_id, folder)
except UnmaskError as exc:
    st.error(str(exc))
    st.info("Pick another run in the sidebar, or another bias data folder.")
    st.stop()
if not pool.attributes:
    st.error(
        f"{pool.name} carries no group attribute (race, gender, age band, skin tone); pick a UTKFace folder."
    )
    st.stop()
if pool.validation_only:
    st.info(
        f"**{pool.name}** is the data run {run_id} trained on, so only the run's {pool.n} validation "
        "images are used: the model trained on the rest. N per group stops at what they hold."
    )

settings = st.columns(3)
attribute = settings[0].selectbox(
    "Group attribute",
    pool.attributes,
    index=pool.attributes.index(pool.default_attribute),
    key="bias_attribute",
)
most = min(5000, pool.largest_group(attribute))
per_group = int(
    settings[1].number_input(
        "Faces per group (N)",
        min_value=1,
        max_value=most,
        value=min(100, most),
        step=10,
        help=f"At most {most}: the largest {attribute} group here has that many faces.",
    )
)
seed = int(settings[2].number_input("Sampling seed", min_value=0, max_value=2**31 - 1, value=0, step=1))
try:
    frame = ui.bias_scores(run_id, folder, attribute=attribute, per_group=per_group, seed=seed)
except UnmaskError as exc:
    st.error(str(exc))
    st.info("Pick another run in the sidebar, or delete this one on the Train page and train again.")
    st.stop()
threshold = ui.threshold_slider()
table = group_table(frame["label"], frame["score"], frame[attribute], threshold=threshold)
ui.remember_bias(run_id, {**bias_summary(table), "data": pool.name})
scored = (
    f"as run {run_id} scored them when it was validated"
    if pool.validation_only
    else f"scored once by run {run_id}"
)
st.caption(
    f"{len(frame)} faces of **{pool.name}** ({int(frame['label'].sum())} real), up to {per_group} per "
    f"{attribute}, seed {seed}, {scored}; the threshold recomputes from these scores."
)

st.subheader("Share of real faces flagged as fake")
st.altair_chart(
    charts.group_bars(table, reference_rate=PAPER["bias_flagged_fake_rate_below"]), width="stretch"
)
st.caption(
    "Bars: the share per group; whiskers: its 95% interval; n above each bar is the number of real faces; "
    "the red line is the paper's 15% (all its groups were below it)."
)
if table.max_gap_groups:
    high_group, low_group = table.max_gap_groups
    rows = table.table
    verdict = (
        "their intervals do not overlap, so the difference is larger than chance alone would explain"
        if table.distinguishable
        else "their intervals overlap, so this sample cannot tell the two apart"
    )
    st.markdown(
        f"**Largest gap: {pct(table.max_gap)}** between {high_group} "
        f"({rows.at[high_group, 'flagged_fake']}/{rows.at[high_group, 'n_real']}) and {low_group} "
        f"({rows.at[low_group, 'flagged_fake']}/{rows.at[low_group, 'n_real']}); {verdict}."
    )
if table.p_value_test:
    st.caption(
        f"Test that every group is flagged equally often ({table.p_value_test}): p = {table.p_value:.3g}."
    )
for note in table.notes:
    st.caption(f"Note: {note}.")

left, right = st.columns(2)
left.subheader("Ratio to the least-flagged group")
left.altair_chart(charts.ratio_chart(table), width="stretch")
left.caption("Green band: 0.8 to 1.25, a common rule of thumb for rates close enough to call even.")
right.subheader("Scores of the real faces per group")
reals = frame[frame["label"] == 1]
if len(reals):
    right.altair_chart(
        charts.group_score_distributions(reals["score"], reals[attribute], threshold=threshold),
        width="stretch",
    )
    right.caption(
        f"Box plots of P(real) for the {len(reals)} real faces; left of the dashed line is flagged as fake."
    )

st.subheader("The numbers")
shown = table.table.reset_index()
rates = ["flagged_fake_rate", "ci_low", "ci_high", "passed_real_rate", "passed_ci_low", "passed_ci_high"]
st.dataframe(
    shown, hide_index=True, column_config={c: st.column_config.NumberColumn(format="percent") for c in rates}
)
st.download_button(
    "Bias table (CSV)", shown.to_csv(index=False), file_name=f"{run_id}-bias-{attribute}.csv", mime="text/csv"
)

low5, high5 = wilson_interval(5, 100)
low15, high15 = wilson_interval(15, 100)
st.subheader("What N per group can and cannot show")
st.markdown(
    f"With 100 real faces per group, 5 flagged (5%) has a 95% interval of {pct(low5)} to {pct(high5)}, "
    f"and 15 flagged of {pct(low15)} to {pct(high15)}: two groups must differ by several points before "
    "their intervals separate, so 100 per group can reveal a large bias but cannot show that small ones are "
    "absent. More faces per group narrow the intervals."
)
if (table.table["n_fake"] == 0).all():
    st.info(
        "This data holds no fakes per group (UTKFace photos are all real), so only the false-alarm side, "
        "real faces flagged as fake, is measured; how often fakes pass as real per group is not."
    )
