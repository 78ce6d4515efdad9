"""The steps a user asks for, end to end: load data, train and save, evaluate, bias.

The CLI and the dashboard both call these, so they show the same numbers. Only the
functions that run a model import TensorFlow (through :mod:`core.model.train`).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.data import datasets, sources
from core.data.faceset import FaceSet
from core.data.images import reduce_native, square
from core.errors import BACKGROUND_ONE_FOLDER, DISTRIBUTE_NOT_CHIEF, UNKNOWN_ATTRIBUTE, DataError
from core.evaluation.bias import GroupTable, group_table, sample_per_group
from core.evaluation.metrics import threshold_metrics
from core.model import memory
from core.model.config import TrainConfig
from core.paths import user_path
from core.runs import bias_store, store

Progress = Callable[[int, int], None]
#: A data folder, several (each a folder or a manifest file, see :mod:`core.data.sources`),
#: or None for the demo set.
Data = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def data_folder(data: str | os.PathLike[str] | None) -> Path:
    """The folder to read: ``data`` itself, or the built-in demo set (generated on first use)."""
    if data is None:
        from core.data.demo import ensure_demo

        return ensure_demo()
    return user_path(data)


def check_training_folder(data: Data, config: TrainConfig) -> str | None:
    """Check that ``config`` can be trained on one folder, without decoding it.

    The folder must exist and list images of both classes, and training must fit in the
    memory available now (:func:`core.model.memory.check_fits`).

    Returns its resolved path as text, or None for the demo set, ready for a job's settings.

    Raises
    ------
    DataError
        As :func:`core.data.datasets.scan`; ``ONE_CLASS`` when one class is missing;
        ``BACKGROUND_ONE_FOLDER`` for several folders or a manifest (a job takes one folder).
    ConfigError
        ``MEMORY_TOO_SMALL``, saying what fits.
    """
    if data_sources(data) is not None:
        raise DataError(BACKGROUND_ONE_FOLDER)
    folder = _one_folder(data)
    listed = datasets.scan(data_folder(folder))
    datasets.require_both_classes(listed)
    memory.check_fits(config, n_images=len(listed), available=memory.available_bytes())
    return None if folder is None else listed.root


def _one_folder(data: Data) -> str | os.PathLike[str] | None:
    return data if data is None or isinstance(data, str | os.PathLike) else (list(data) or [None])[0]


def data_sources(data: Data) -> list[sources.Source] | None:
    """The sources ``data`` names when it is several folders or a manifest file; None for one folder.

    Raises
    ------
    DataError
        As :func:`core.data.sources.parse_sources`.
    """
    entries = [data] if data is None or isinstance(data, str | os.PathLike) else list(data)
    entries = [e for e in entries if e is not None]
    if len(entries) > 1 or (len(entries) == 1 and sources.is_manifest(entries[0])):
        return sources.parse_sources(entries)
    return None


def load_faces(
    data: Data,
    *,
    image_size: int | None = None,
    native_max_side: int | None = None,
    progress: Progress | None = None,
) -> FaceSet:
    """Decode a data folder, several (with a ``source`` column), or the demo set.

    Exactly one of ``image_size`` (square images) and ``native_max_side`` (native
    resolution); see :func:`core.data.datasets.load` and :func:`core.data.sources.load_sources`.
    """
    named = data_sources(data)
    if named is not None:
        return sources.load_sources(
            named, image_size=image_size, native_max_side=native_max_side, progress=progress
        )
    folder = _one_folder(data)
    return datasets.load(
        data_folder(folder), image_size=image_size, native_max_side=native_max_side, progress=progress
    )


def load_for(config: TrainConfig, data: Data, *, progress: Progress | None = None) -> FaceSet:
    """Decode ``data`` as ``config``'s preset trains on it: squares, or native resolution (patch presets)."""
    config = config.resolved()
    if config.is_patch_preset:
        return load_faces(data, native_max_side=config.native_max_side, progress=progress)
    return load_faces(data, image_size=config.image_size, progress=progress)


def prepare_faces(faceset: FaceSet, config: TrainConfig) -> FaceSet:
    """``faceset`` as ``config``'s preset trains on it.

    A patch preset given resized squares (the dashboard decodes every set at the run's
    ``image_size`` first) decodes the same files again at native resolution, keeping
    labels, groups and order; a set whose files are not on disk is used as it is.
    """
    config = config.resolved()
    if not config.is_patch_preset or faceset.is_native or not _files_on_disk(faceset):
        return faceset
    return sources.redecode(faceset, native_max_side=config.native_max_side)


def _files_on_disk(faceset: FaceSet) -> bool:
    return all(Path(faceset.root, p).is_file() for p in faceset.paths)


def load_for_run(info: store.RunInfo, data: Data, *, progress: Progress | None = None) -> FaceSet:
    """Decode ``data`` as the run's model scores it: squares at its image size, or native resolution."""
    if info.native_max_side:
        return load_faces(data, native_max_side=info.native_max_side, progress=progress)
    return load_faces(data, image_size=info.image_size, progress=progress)


def load_training_faces(data: Data, config: TrainConfig, *, progress: Progress | None = None) -> FaceSet:
    """Decode ``data`` (a folder, several, a manifest, or the demo set) as ``config`` trains on it.

    The images are listed first (no pixels), so settings that cannot fit in memory are
    refused before a single image is decoded; squares for the fast and paper presets,
    native resolution for the patch presets (:func:`load_for`). A folder of squares too large
    to hold (:func:`core.model.memory.streams`) is kept on disk and read a batch at a time
    (:mod:`core.data.ondisk`).

    Raises
    ------
    ConfigError
        ``MEMORY_TOO_SMALL`` (see :func:`core.model.memory.check_fits`), saying what fits.
    DataError
        As :func:`core.data.datasets.load` and :func:`core.data.sources.parse_sources`.
    """
    named = data_sources(data)
    roots = [s.folder for s in named] if named is not None else [data_folder(_one_folder(data))]
    listed = [datasets.scan(root) for root in roots]
    n_images = sum(len(part) for part in listed)
    memory.check_fits(config, n_images=n_images, available=memory.available_bytes())
    if named is not None:
        return load_for(config, data, progress=progress)
    c = config.resolved()
    if memory.streams(c, n_images):
        from core.data.ondisk import load_on_disk

        return load_on_disk(listed[0], image_size=c.image_size, progress=progress)
    # The folder is listed already: decode that listing rather than scanning it again.
    native = c.native_max_side if c.is_patch_preset else None
    form = datasets.decoded_form(image_size=None if native else c.image_size, native_max_side=native)
    return datasets.decode_listed(listed[0], form=form, progress=progress)


def scores_frame(faceset: FaceSet, index: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """Per-image scores with path, label and the group columns, for the images at ``index``."""
    frame = pd.DataFrame(
        {
            # object, not str: a file name that is not UTF-8 holds surrogate escapes, which
            # pandas' Arrow-backed strings refuse.
            "path": pd.Series([faceset.paths[i] for i in index], dtype=object),
            "label": faceset.labels[index].astype(np.int8),
            "score": np.asarray(scores, dtype=float),
        }
    )
    groups = faceset.groups.iloc[index].reset_index(drop=True)
    return pd.concat([frame, groups], axis=1)


def train_and_save(
    faceset: FaceSet,
    config: TrainConfig,
    *,
    on_epoch: Callable[..., None] | None = None,
    on_batch: Callable[[int, int, int], None] | None = None,
    on_phase: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> store.RunInfo | NotChief:
    """Train, then save the run (finished or cancelled) with its validation scores and metrics.

    On a worker of a cluster (``--distribute multiworker``) that is not the chief, nothing is
    saved and a :class:`NotChief` is returned; every other caller gets the saved run's info.

    ``on_phase`` is told ``"training"`` when TensorFlow has started and ``"saving"`` before the
    run is written; ``on_epoch``, ``on_batch`` and ``cancel`` are as for :func:`core.model.train.train`.
    A patch preset given resized squares trains on the same files at native resolution
    (:func:`prepare_faces`).
    """
    datasets.require_both_classes(faceset)  # before TensorFlow loads: bad data fails fast
    faceset = prepare_faces(faceset, config)
    from core.model.train import train

    if on_phase is not None:
        on_phase("training")
    logs = store.scratch_dir("tensorboard")  # moved into the run folder when it is saved
    try:
        result = train(
            faceset, config, on_epoch=on_epoch, on_batch=on_batch, cancel=cancel, tensorboard_dir=str(logs)
        )
        if not result.is_chief:
            return NotChief(int(result.distribution["worker_index"]), int(result.distribution["workers"]))
        if on_phase is not None:
            on_phase("saving")
        return _save(faceset, result, logs)
    finally:
        shutil.rmtree(logs, ignore_errors=True)


@dataclass(frozen=True)
class NotChief:
    """What :func:`train_and_save` returns on a worker of a cluster that is not the chief: nothing saved."""

    index: int
    workers: int

    @property
    def message(self) -> str:
        return DISTRIBUTE_NOT_CHIEF.format(index=self.index, workers=self.workers)


def _save(faceset: FaceSet, result: Any, logs: Path) -> store.RunInfo:
    """Save a trained run (``result`` is a :class:`core.model.train.TrainResult`) with its scores."""
    threshold = result.config.threshold
    scores = scores_frame(faceset, result.val_index, result.val_scores)
    metrics = threshold_metrics(scores["label"], scores["score"], threshold=threshold).to_dict()
    summary = {
        "status": result.status,
        "epochs_done": len(result.history),
        "n_train": result.n_train,
        "n_val": result.n_val,
        "train_seconds": round(result.train_seconds, 3),
    }
    tables = {}
    if len(result.test_index):
        tables[TEST_SCORES] = scores_frame(faceset, result.test_index, result.test_scores)
        test = tables[TEST_SCORES]
        summary["test"] = threshold_metrics(test["label"], test["score"], threshold=threshold).to_dict()
    config_record = {**result.config.to_dict(), "status": result.status, "dataset": dataset_record(faceset)}
    if result.distribution:
        config_record["distribution"] = result.distribution
    return store.save_run(
        model=result.model,
        config=config_record,
        history=result.history,
        scores=scores,
        metrics={**summary, **metrics},
        tables=tables,
        tensorboard=logs,
    )


#: The run table holding the held-out test images' scores (when ``test_fraction`` > 0).
TEST_SCORES = "test_scores"


def dataset_record(faceset: FaceSet) -> dict[str, Any]:
    """What a run records about the set it trained on: name, root, size, and per source its counts."""
    record: dict[str, Any] = {
        "name": faceset.name,
        "root": str(faceset.root),
        "is_demo": faceset.is_demo,
        "n": len(faceset),
        "native_max_side": faceset.native_max_side,
    }
    if faceset.is_native and "native_factor" in faceset.info:
        record["native_factors"] = {
            str(k): int(v) for k, v in faceset.info["native_factor"].value_counts().items()
        }
    names = sources.source_names(faceset)
    if names:
        column = faceset.groups["source"].to_numpy()
        record["sources"] = {
            name: {
                "n_real": int((faceset.labels[column == name] == 1).sum()),
                "n_fake": int((faceset.labels[column == name] == 0).sum()),
            }
            for name in names
        }
    return record


def evaluate_run(run_id: str, *, threshold: float | None = None) -> dict[str, Any]:
    """A run's metrics at ``threshold`` (the run's own by default), from its stored scores."""
    run = store.load_run(run_id)
    t = run.info.threshold if threshold is None else threshold
    result = threshold_metrics(run.scores["label"], run.scores["score"], threshold=t).to_dict()
    return {"run_id": run_id, "n_train": run.info.metrics.get("n_train"), **result}


def score_images(
    run_id: str, images: FaceSet | Sequence[np.ndarray], *, model: Any | None = None
) -> np.ndarray:
    """P(real) for each image with the run's model: the one scoring path of the CLI and the app.

    Parameters
    ----------
    run_id : str
        The run whose model scores.
    images : FaceSet or sequence of ndarray
        A face set decoded as the run scores it (:func:`load_for_run`), or RGB arrays
        ``(h, w, 3)`` uint8 at any size, e.g. decoded by :func:`core.data.images.decode_native`
        and changed by a probe. For a run of resized squares, arrays are centre-cropped and
        resized as decoding would (:func:`core.data.images.square`); a patch preset's run
        scores them as they are, each by the grid of patches that covers it (a side over
        the run's ``native_max_side`` first reduced by an integer factor, as at training).
    model : keras.Model, optional
        The run's model, when the caller keeps it loaded (the app caches it); else loaded here.

    Returns
    -------
    ndarray of float64, shape (n,)
        P(real) in [0, 1].
    """
    from core.model.train import predict_scores  # TensorFlow: only when a model runs

    info = store.run_info(run_id)
    if isinstance(images, FaceSet):
        pixels = images.images
    elif info.native_max_side:
        pixels = np.empty(len(images), dtype=object)
        for i, image in enumerate(images):
            pixels[i] = reduce_native(image, max_side=info.native_max_side)
    else:
        size = info.image_size
        squared = [square(x, size) for x in images]
        pixels = np.stack(squared) if squared else np.zeros((0, size, size, 3), dtype=np.uint8)
    return predict_scores(store.load_model(run_id) if model is None else model, pixels)


def decode_for_run(run_id: str, data: bytes) -> np.ndarray:
    """An uploaded image decoded as the run's model scores it: a square, or native resolution.

    For a patch preset the pixels keep their own size (reduced by an integer factor when
    a side is over the run's ``native_max_side``); score them with :func:`score_images`.

    Raises
    ------
    UploadError, ImageError
        As :func:`core.data.images.decode_upload`.
    """
    from core.data.images import decode_upload

    info = store.run_info(run_id)
    if not info.native_max_side:
        return decode_upload(data, size=info.image_size)
    return decode_upload(data, native_max_side=info.native_max_side)


def _choose(available: list[str], attribute: str | None) -> str:
    if attribute is None:
        attribute = "race" if "race" in available else (available[0] if available else "race")
    if attribute not in available:
        choices = ", ".join(available) or "none"
        raise DataError(UNKNOWN_ATTRIBUTE.format(attribute=attribute, available=choices))
    return attribute


@dataclass(frozen=True)
class BiasPool:
    """The images a run's bias check samples from, before any is decoded or scored.

    Attributes
    ----------
    name : str
        The data set's name, e.g. ``"synthetic demo data"``.
    folder : Path
        The data folder.
    validation_only : bool
        True when ``folder`` is the run's own training folder: then only the run's
        validation images are used (the model trained on the rest), with the scores the
        run stored for them.
    groups : DataFrame
        One row per image of the pool, one column per group attribute.
    paths : tuple of str
        The pool's files, relative to ``folder``.
    """

    name: str
    folder: Path
    validation_only: bool
    groups: pd.DataFrame
    paths: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        """Images in the pool."""
        return len(self.groups)

    @property
    def attributes(self) -> list[str]:
        """The group attributes the pool carries."""
        return list(self.groups.columns)

    @property
    def default_attribute(self) -> str:
        """Race if the pool has it, else its first attribute."""
        return _choose(self.attributes, None)

    def largest_group(self, attribute: str) -> int:
        """Images in the largest group of ``attribute``: more per group than this changes nothing."""
        return int(self.groups[attribute].value_counts().max()) if self.n else 0


def bias_pool(run_id: str, *, data: str | os.PathLike[str] | None = None) -> BiasPool:
    """What :func:`bias_scores` would sample from for ``run_id`` and ``data``; nothing is decoded.

    Raises
    ------
    UnmaskError
        If the run or the folder cannot be read.
    """
    info = store.run_info(run_id)
    folder = data_folder(data)
    dataset = info.config.get("dataset", {})
    if same_folder(folder, dataset.get("root")):
        stored = store.load_run(run_id).scores
        name = dataset.get("name") or folder.name
        return BiasPool(name, folder, True, stored.iloc[:, 3:], tuple(stored["path"]))
    listed = datasets.scan(folder)
    return BiasPool(listed.name, folder, False, listed.groups, listed.paths)


def default_bias_folder(run_id: str) -> Path | None:
    """The bias data to use when none is given: the run's own data folder if its images carry groups.

    Its validation images are then used, with the scores the run stored, so nothing is scored
    again. None when the run's data has no group attribute (e.g. the Hard set): a bias check
    then needs a folder of faces with groups from a matching source, such as UTKFace, and the
    synthetic demo faces are no stand-in for real ones (see :data:`core.errors.BIAS_DATA_NEEDED`).
    """
    info = store.run_info(run_id)
    root = info.config.get("dataset", {}).get("root")
    if not root:
        return None
    columns = store.load_run(run_id).scores.columns
    return Path(root) if len(columns) > 3 else None


def bias_scores(
    run_id: str,
    *,
    data: str | os.PathLike[str] | None = None,
    attribute: str | None = None,
    per_group: int = 100,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[str, pd.DataFrame]:
    """Scores of up to ``per_group`` seeded images per group: ``(attribute, frame)``.

    The frame has path, label, score and the group columns. When ``data`` is the run's
    own training folder, only its validation images are used (the model trained on the
    rest), with the scores stored in the run, so no model is loaded (see :func:`bias_pool`).
    The scores are saved with the run (:mod:`core.runs.bias_store`) and read back the next time
    the same check is asked for, by any process, unless the folder's files changed.
    """
    pool = bias_pool(run_id, data=data)
    attribute = _choose(pool.attributes, attribute)
    signature = "" if pool.validation_only else bias_store.files_signature(pool.folder, pool.paths)
    wanted = {"folder": pool.folder, "attribute": attribute, "per_group": per_group, "seed": seed}
    saved = bias_store.load_bias(run_id, signature=signature, **wanted)
    if saved is not None:
        return attribute, saved.scores
    if pool.validation_only:
        stored = store.load_run(run_id).scores
        frame = stored.iloc[sample_per_group(stored[attribute], per_group, seed=seed)].reset_index(drop=True)
    else:
        faceset = load_for_run(store.run_info(run_id), pool.folder, progress=progress)
        chosen = sample_per_group(faceset.groups[attribute], per_group, seed=seed)
        sample = faceset.subset(chosen)
        frame = scores_frame(sample, np.arange(len(sample)), score_images(run_id, sample))
    bias_store.save_bias(run_id, name=pool.name, scores=frame, signature=signature, **wanted)
    return attribute, frame


def bias_table(
    run_id: str,
    *,
    data: str | os.PathLike[str] | None = None,
    attribute: str | None = None,
    threshold: float | None = None,
    per_group: int = 100,
    seed: int = 0,
    progress: Progress | None = None,
) -> GroupTable:
    """Share of real faces flagged as fake per group, on ``per_group`` seeded images per group."""
    attribute, frame = bias_scores(
        run_id, data=data, attribute=attribute, per_group=per_group, seed=seed, progress=progress
    )
    t = store.run_info(run_id).threshold if threshold is None else threshold
    return group_table(frame["label"], frame["score"], frame[attribute].rename(attribute), threshold=t)


def same_folder(a: Path, b: str | None) -> bool:
    """Whether folder ``a`` is the folder ``b`` (e.g. a run's training folder) once both are resolved."""
    try:
        return b is not None and a.resolve() == Path(b).resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop of links
        return False
