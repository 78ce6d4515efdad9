"""Where the model looks, on screen: heat maps of uploads and of the images behind a matrix cell.

The maps come from :func:`core.model.explain.region_map` (TensorFlow, imported on the first
map) and are drawn by :func:`core.evaluation.heatmaps.side_by_side`; both are cached per run,
images and threshold, so a rerun redraws without recomputing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from core.data.images import decode_image, decode_native
from core.errors import UnmaskError
from core.paths import models_dir
from core.runs import store
from ui.loaders import model


def region_maps(run_id: str, images: np.ndarray, threshold: float) -> Any:
    """Where the run's model looks in each of ``images`` (a :class:`core.model.explain.RegionMap`).

    Computed once per (run, images, threshold): the first call imports TensorFlow.

    Raises
    ------
    UnmaskError
        If the run's model cannot be loaded or its preset has no heat-map method.
    """

    loaded = model(run_id)
    preset = str(store.run_info(run_id).config.get("preset", "fast"))
    with st.spinner(f"Finding where the model looks in {len(images)} image(s)…"):
        return _region_maps(str(models_dir()), run_id, preset, images, threshold, loaded)


@st.cache_data(max_entries=64, show_spinner=False)
def _region_maps(
    root: str, run_id: str, preset: str, images: np.ndarray, threshold: float, _model: Any
) -> Any:
    from core.model.explain import region_map

    return region_map(_model, images, preset=preset, threshold=threshold)


def decoded(
    root: str, paths: tuple[str, ...], size: int, native_max_side: int = 0
) -> tuple[list[str], np.ndarray | list[np.ndarray]]:
    """The images ``paths`` under ``root`` as the model sees them: (paths read, pixels).

    ``size`` squares in one array, or for a patch preset's run (``native_max_side``) each at its
    own size, in a list. Files that can no longer be read are left out.
    """
    return _decoded(root, paths, size, native_max_side)


@st.cache_data(max_entries=32, show_spinner=False)
def _decoded(
    root: str, paths: tuple[str, ...], size: int, native_max_side: int
) -> tuple[list[str], np.ndarray | list[np.ndarray]]:
    read, pixels = [], []
    for path in paths:
        try:
            if native_max_side:
                pixels.append(decode_native(Path(root, path), max_side=native_max_side))
            else:
                pixels.append(decode_image(Path(root, path), size=size))
            read.append(path)
        except UnmaskError:
            continue
    if native_max_side:
        return read, pixels
    return read, np.stack(pixels) if pixels else np.zeros((0, size, size, 3), np.uint8)


def heat_map_gallery(found: Any, pixels: np.ndarray, captions: Sequence[str], *, width: int = 300) -> None:
    """Each image as the model saw it beside where the model looked (a :class:`RegionMap`), captioned."""
    from core.evaluation.heatmaps import side_by_side

    pictures = [side_by_side(image, heat) for image, heat in zip(pixels, found.maps, strict=True)]
    empty = [c for c, heat in zip(captions, found.maps, strict=True) if not heat.any()]
    st.image(pictures, caption=list(captions), width=width)
    st.caption(heat_map_legend(found))
    if empty:
        st.caption(
            f"{len(empty)} map(s) are empty: no region pushed the model towards its call, e.g. a score near "
            "the threshold."
        )


def heat_map_legend(found: Any) -> str:
    """What the colours of a :class:`core.model.explain.RegionMap` mean, in words."""
    if found.kind == "patch_score":
        return f"{found.method}: each patch coloured by its P(real), dark blue 0 to red 1."
    return (
        f"{found.method}: red marks the regions that pushed the model most towards its call (real or fake), "
        "dark blue the ones that did not; a coarse grid stretched over the image."
    )


def heat_maps_of_files(
    run_id: str, root: str, paths: Sequence[str], *, size: int, threshold: float, native_max_side: int = 0
) -> None:
    """Heat maps of the images ``paths`` under ``root`` (e.g. a matrix cell's), or why there are none."""
    read, pixels = decoded(root, tuple(paths), size, native_max_side)
    if not read:
        st.warning(f"None of these images could be read; the run's data folder {root} may have moved.")
        return
    try:
        found = region_maps(run_id, pixels, threshold)
    except UnmaskError as exc:
        st.info(str(exc))
        return
    captions = [f"P(real) {s:.3f} · {p}" for p, s in zip(read, found.scores, strict=True)]
    heat_map_gallery(found, pixels, captions, width=260)
