"""Data: what is in the data set in use, and whether anything looks off."""

import pandas as pd
import streamlit as st

import ui
from core.data import imagestats
from core.data.faceset import FaceSet
from core.errors import UnmaskError
from core.evaluation import charts
from core.evaluation.bias import count_by_group
from core.labels import CLASS_NAMES, FAKE, REAL

#: Column headings for the Sources and Files tables, as a reader would say them.
HEADINGS = {
    "most_common_size": "most common size",
    "sizes": "distinct sizes",
    "mean_kb": "mean file size (kB)",
}
#: The page's sections, a tab each, and their key (also the link's query parameter: ``?section=Images``).
SECTIONS = ["Classes and groups", "Images", "Files", "Average image and spectrum", "Leakage"]
SECTION = "section"
#: File sizes to a tenth of a kB.
FORMATS = {HEADINGS["mean_kb"]: ".1f"}


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
    if faces.skipped:
        st.warning(f"{len(faces.skipped)} file(s) were skipped and are not used: the Files tab says why.")
    # Only the chosen section is made and sent (choosing another reruns the page); it is kept in the link.
    overview, images, files, average, leakage = st.tabs(
        SECTIONS, key=SECTION, on_change="rerun", bind="query-params"
    )
    if overview.open:
        with overview:
            _classes(faces)
            _sources(faces)
            _groups(faces)
    if images.open:
        with images:
            ui.image_grid(faces, size)
    if files.open:
        with files:
            _files(faces)
    if average.open:
        with average:
            _mean_and_spectrum(folder, size)
    if leakage.open:
        with leakage:
            _leakage(folder, size)


def _classes(faces: FaceSet) -> None:
    st.subheader("Classes")
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
    ui.chart(charts.class_balance(balance), where=right)


def _sources(faces: FaceSet) -> None:
    if "source" not in faces.groups:
        return
    st.subheader("Sources")
    st.caption(
        "Each source has its own sizes, framing and JPEG history: a model can learn to tell the "
        "sources apart instead of real from fake. Counts are images read; sizes as the files are on disk."
    )
    summary = imagestats.source_summary(faces.labels, faces.groups["source"], faces.info)
    ui.table(summary.rename(columns=HEADINGS), formats=FORMATS)


def _groups(faces: FaceSet) -> None:
    st.subheader("Groups")
    if not faces.attributes:
        st.info("This data set carries no group attributes (race, gender, age band, skin tone).")
    else:
        tabs = st.tabs(faces.attributes)
        for tab, attribute in zip(tabs, faces.attributes, strict=True):
            counts = count_by_group(faces.labels, faces.groups[attribute])
            ui.chart(charts.group_counts(counts).properties(title=attribute), where=tab)
            by_class = counts.pivot(index="group", columns="class", values="count").fillna(0).astype(int)
            ui.table(by_class, where=tab, index=True)


def _files(faces: FaceSet) -> None:
    st.caption(
        "The images by size, format and colour mode, as the files are on disk. Real and fake images that "
        "differ here let a model tell them apart without looking at the face."
    )
    ui.table(imagestats.file_summary(faces.info).rename(columns=HEADINGS), formats=FORMATS)
    if faces.skipped:
        st.warning(f"{len(faces.skipped)} file(s) were skipped and are not used:")
        st.dataframe(
            pd.DataFrame([(s.path, s.reason) for s in faces.skipped], columns=["file", "reason"]),
            hide_index=True,
        )
    else:
        st.success("No file was skipped.")


def _mean_and_spectrum(folder: str, size: int) -> None:
    st.markdown(
        "The mean image shows what all faces of a class share (position, framing, colour). The mean "
        "log-power spectrum shows fine texture: the centre is coarse detail, the edges the finest. "
        "Generators that upsample 2x leave a faint checkerboard, invisible in one image, that shows up "
        "as bright points at the corners and edge midpoints of the fakes' spectrum; look at the images' own "
        "size (128 px for the demo set), since shrinking them blurs it away."
    )
    pictures = ui.class_pictures(folder, size)
    labels = ui.load_faces_or_stop(folder, size).labels
    columns = st.columns(2 * len(pictures))
    for i, label_value in enumerate(sorted(pictures, reverse=True)):
        n_class = int((labels == label_value).sum())
        mean, spectrum = pictures[label_value]
        name = CLASS_NAMES[label_value]
        columns[2 * i].image(mean, caption=f"mean {name} image (n={n_class})", width="stretch")
        columns[2 * i + 1].image(
            spectrum, caption=f"mean {name} log-power spectrum (n={n_class})", width="stretch"
        )


@st.fragment  # a new share or seed reruns this part alone
def _leakage(folder: str, size: int) -> None:
    st.markdown(
        "The same file on both sides of the training / validation split would make validation look "
        "better than it is."
    )
    left, right = st.columns(2)
    val_fraction = left.number_input("Validation share", min_value=0.05, max_value=0.9, value=0.25, step=0.05)
    split_seed = right.number_input("Split seed", min_value=0, max_value=2**31 - 1, value=0, step=1)
    try:
        n_train, n_val, pairs = ui.leakage(folder, size, float(val_fraction), int(split_seed))
    except UnmaskError as exc:
        st.error(str(exc))
    else:
        st.caption(f"{n_train} training and {n_val} validation images, stratified by class.")
        if pairs:
            st.warning(f"{len(pairs)} identical image pair(s) sit on both sides of the split:")
            st.dataframe(pd.DataFrame(pairs, columns=["training image", "validation image"]), hide_index=True)
        else:
            st.success(
                f"No identical image is on both sides (checked all {n_train} × {n_val} pairs "
                "by content hash)."
            )
