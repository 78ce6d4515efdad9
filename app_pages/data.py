"""Data: what is in the data set in use, and whether anything looks off."""

import pandas as pd
import streamlit as st

import ui
from core.data import imagestats
from core.data.faceset import FaceSet
from core.data.split import leakage_report, split_indices
from core.errors import UnmaskError
from core.evaluation import charts
from core.evaluation.bias import count_by_group
from core.labels import CLASS_NAMES, FAKE, REAL


def page() -> None:
    st.title("Data")
    folder, name = ui.data_folder_or_stop()
    size = st.segmented_control(
        "Image size for this page (pixels a side)", [32, 64, 128], default=64, required=True, key="data_size"
    )
    faces = ui.load_faces_or_stop(folder, size)
    demo_note = (
        " The built-in set is synthetic demo data: drawn faces, no real people." if faces.is_demo else ""
    )
    st.caption(
        f"**{faces.name}**: {len(faces)} images read from `{faces.root}` (layout: {faces.layout}).{demo_note}"
    )
    _classes(faces)
    _groups(faces)
    _images(faces, size)
    _files(faces)
    _mean_and_spectrum(faces)
    _leakage(faces)


def _classes(faces: FaceSet) -> None:
    st.header("Classes")
    left, right = st.columns([1, 2])
    balance = pd.DataFrame(
        {"class": [CLASS_NAMES[REAL], CLASS_NAMES[FAKE]], "count": [faces.n_real, faces.n_fake]}
    )
    left.metric("Images", len(faces))
    left.caption(f"{faces.n_real} real · {faces.n_fake} fake · n = {len(faces)}")
    if faces.n_real == 0 or faces.n_fake == 0:
        left.warning(
            "Only one class is here: fine for a bias check, but training needs both real and fake images."
        )
    right.altair_chart(charts.class_balance(balance), width="stretch")


def _groups(faces: FaceSet) -> None:
    st.header("Groups")
    if not faces.attributes:
        st.info("This data set carries no group attributes (race, gender, age band, skin tone).")
    else:
        tabs = st.tabs(faces.attributes)
        for tab, attribute in zip(tabs, faces.attributes, strict=True):
            counts = count_by_group(faces.labels, faces.groups[attribute])
            tab.altair_chart(charts.group_counts(counts).properties(title=attribute), width="stretch")
            tab.dataframe(counts.pivot(index="group", columns="class", values="count").fillna(0).astype(int))


def _images(faces: FaceSet, size: int) -> None:
    st.header("Images")
    filters = st.columns(4)
    label = filters[0].selectbox(
        "Class", [None, REAL, FAKE], format_func=lambda v: "all" if v is None else CLASS_NAMES[v]
    )
    attribute = filters[1].selectbox(
        "Group attribute", [None, *faces.attributes], format_func=lambda v: v or "any"
    )
    values = sorted(faces.groups[attribute].unique()) if attribute else []
    group = filters[2].selectbox(
        "Group", [None, *values], format_func=lambda v: v or "any", disabled=not attribute
    )
    seed = filters[3].number_input("Sample seed", min_value=0, max_value=2**31 - 1, value=0, step=1)
    groups = faces.groups[attribute] if attribute else None
    shown = imagestats.pick_positions(
        faces.labels, groups=groups, label=label, group=group, n=24, seed=int(seed)
    )
    if len(shown) == 0:
        st.info("No image matches these filters.")
    else:
        st.caption(
            f"{len(shown)} images drawn at random (seed {seed}), at {size} px as the model would see them."
        )
        captions = [f"{CLASS_NAMES[int(faces.labels[i])]} · {faces.paths[i]}" for i in shown]
        st.image([faces.images[i] for i in shown], caption=captions, width=110)


def _files(faces: FaceSet) -> None:
    st.header("Files")
    st.dataframe(imagestats.file_summary(faces.info), hide_index=True)
    if faces.skipped:
        st.warning(f"{len(faces.skipped)} file(s) were skipped and are not used:")
        st.dataframe(
            pd.DataFrame([(s.path, s.reason) for s in faces.skipped], columns=["file", "reason"]),
            hide_index=True,
        )
    else:
        st.success("No file was skipped.")


def _mean_and_spectrum(faces: FaceSet) -> None:
    st.header("The average image and its spectrum")
    st.markdown(
        "The mean image shows what all faces of a class share (position, framing, colour). The mean "
        "log-power spectrum shows fine texture: the centre is coarse detail, the edges the finest. "
        "Generators that upsample 2x leave a faint checkerboard, invisible in one image, that shows up "
        "as bright points at the corners and edge midpoints of the fakes' spectrum; look at the images' own "
        "size (128 px for the demo set), since shrinking them blurs it away."
    )
    means = imagestats.mean_image(faces.images, faces.labels)
    spectra = imagestats.mean_log_spectrum(faces.images, faces.labels)
    columns = st.columns(2 * len(means))
    for i, label_value in enumerate(sorted(means, reverse=True)):
        n_class = int((faces.labels == label_value).sum())
        columns[2 * i].image(
            imagestats.to_uint8(means[label_value]),
            caption=f"mean {CLASS_NAMES[label_value]} image (n={n_class})",
            width="stretch",
        )
        columns[2 * i + 1].image(
            imagestats.to_uint8(spectra[label_value], stretch=True),
            caption=f"mean {CLASS_NAMES[label_value]} log-power spectrum (n={n_class})",
            width="stretch",
        )


def _leakage(faces: FaceSet) -> None:
    st.header("Training / validation leakage")
    st.markdown("The same file on both sides of the split would make validation look better than it is.")
    left, right = st.columns(2)
    val_fraction = left.number_input("Validation share", min_value=0.05, max_value=0.9, value=0.25, step=0.05)
    split_seed = right.number_input("Split seed", min_value=0, max_value=2**31 - 1, value=0, step=1)
    try:
        train_idx, val_idx = split_indices(faces.labels, val_fraction=val_fraction, seed=int(split_seed))
        pairs = leakage_report(faces, train_idx, val_idx)
    except UnmaskError as exc:
        st.error(str(exc))
    else:
        st.caption(f"{len(train_idx)} training and {len(val_idx)} validation images, stratified by class.")
        if pairs:
            st.warning(f"{len(pairs)} identical image pair(s) sit on both sides of the split:")
            st.dataframe(pd.DataFrame(pairs, columns=["training image", "validation image"]), hide_index=True)
        else:
            st.success(
                f"No identical image is on both sides (checked all {len(train_idx)} × {len(val_idx)} pairs "
                "by content hash)."
            )
