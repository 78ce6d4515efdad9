"""Try an image: score your own photos with the run in use."""

from typing import Any

import numpy as np
import streamlit as st

import ui
from core.data.images import IMAGE_EXTENSIONS, MAX_UPLOAD_IMAGE_MB
from core.errors import UnmaskError
from core.evaluation.report import rate_text
from core.labels import called_real
from core.runs import store

#: The file types the uploader takes: every one the decoder reads (and its error message names).
KINDS = "JPEG, PNG, WebP, GIF, BMP or TIFF"


def page() -> None:
    st.title("Try an image")
    run_id = ui.run_id_or_stop()
    try:
        info = store.run_info(run_id)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Pick another run in the sidebar.")
        st.stop()
    size, native = info.image_size, info.native_max_side
    how = (
        f"kept at its own size (a side over {native} px is reduced once by a whole factor) and scored by a "
        "grid of patches, as"
        if native
        else f"cropped to a centred square and shrunk to {size} x {size} pixels, as"
    )
    st.markdown(
        f"Upload face photos ({KINDS}, up to {MAX_UPLOAD_IMAGE_MB} MB each). Each is {how} run **{run_id}** "
        "was trained, then scored."
    )
    threshold = ui.threshold_slider()
    uploaded = st.file_uploader(
        "Photos",
        type=[e.lstrip(".") for e in IMAGE_EXTENSIONS],
        accept_multiple_files=True,
        key="try_uploads",
        max_upload_size=MAX_UPLOAD_IMAGE_MB,  # the browser refuses larger files before sending them
    )
    if not uploaded:
        st.info("Upload one or more photos to see how the run calls them.")
        st.stop()

    names, pixels = [], []
    for name, decoded in ui.decoded_photos(uploaded, size=size, native_max_side=native):  # once per session
        if isinstance(decoded, str):
            st.error(f"{name}: {decoded}")
        else:
            names.append(name)
            pixels.append(decoded)
    if not pixels:
        st.stop()

    try:
        scores = ui.score(run_id, pixels)
        m = ui.metrics_at(run_id, threshold)
    except UnmaskError as exc:
        st.error(str(exc))
        st.info("Pick another run in the sidebar, or delete this one on the Train page and train again.")
        st.stop()
    st.caption(
        f"One score per photo has no error bar of its own. For scale: at threshold {threshold:g} this run's "
        f"validation accuracy is {rate_text(m.accuracy)}."
    )
    for name, image, score in zip(names, pixels, scores, strict=True):
        picture, verdict = st.columns([1, 3])
        seen = f"{image.shape[1]} x {image.shape[0]} px" if native else f"{size} px"
        picture.image(image, caption=f"{name}, as the model sees it ({seen})", width=160)
        call = "real" if called_real(float(score), threshold) else "fake"
        verdict.metric(f"P(real) for {name}", f"{score:.3f}")
        verdict.markdown(
            f"Called **{call}** at threshold {threshold:g} (real when P(real) is above it); one image, n = 1."
        )
    _where_it_looks(run_id, names, pixels if native else np.stack(pixels), threshold)


def _where_it_looks(run_id: str, names: list[str], pixels: Any, threshold: float) -> None:
    st.subheader("Where the model looks")
    if not st.toggle("Show heat maps", value=True, key="try_heat_maps"):
        return
    try:
        found = ui.region_maps(run_id, pixels, threshold)
    except UnmaskError as exc:
        st.info(str(exc))
        return
    ui.heat_map_gallery(found, pixels, [f"{n}: as the model sees it, and where it looks" for n in names])
