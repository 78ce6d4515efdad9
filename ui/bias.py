"""The Bias page's widget groups: which folder to check, and how to sample it; each returns plain values.

The folder, the attribute, N and the seed are bound to the URL (``?bias_path=…&bias_n=…``), so a copied
link reopens the same check.
"""

from __future__ import annotations

import streamlit as st

from core.errors import UnmaskError
from core.pipeline import BiasPool
from ui.loaders import bias_pool, default_bias_folder, demo_folder, folder_error

NO_GROUPS = (
    "Run {run_id} was trained on data without group attributes, so there is nothing here to check bias "
    "on: type a folder of faces with groups from a matching source (e.g. UTKFace) above. The synthetic "
    "demo faces are drawn, not photographed: a bias check on them says little about a run trained on "
    "real photos."
)


def bias_folder(run_id: str) -> str:
    """The bias data folder: the one typed; else the run's own data when it carries groups; else ask."""
    path = st.text_input(
        "Bias data: a UTKFace folder (leave empty for the run's own validation images, if they have groups)",
        key="bias_path",
        placeholder="/path/to/UTKFace",
        bind="query-params",
        on_change=_forget_sampling,
    ).strip()
    if path and (problem := folder_error(path)):
        st.error(problem)
        st.info("Fix the path, or clear it to use the run's own data.")
        st.stop()
    st.session_state["bias_folder"] = path or None
    if path:
        return path
    own = default_bias_folder(run_id)
    if own is None:
        st.info(NO_GROUPS.format(run_id=run_id))
        st.button("Use the synthetic demo data anyway", on_click=_use_demo, key="bias_use_demo")
        st.stop()
    return own


def _use_demo() -> None:
    st.session_state["bias_path"] = demo_folder()


def _forget_sampling() -> None:
    """A new folder has other groups and sizes: its attribute and N start from their defaults."""
    for key in ("bias_attribute", "bias_n"):
        st.session_state.pop(key, None)


def bias_pool_or_stop(run_id: str, folder: str) -> BiasPool:
    try:
        pool = bias_pool(run_id, folder)
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


def sampling_settings(pool: BiasPool) -> tuple[str, int, int]:
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
