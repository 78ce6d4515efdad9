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

from core.data import datasets
from core.data.faceset import FaceSet
from core.data.images import square
from core.errors import UNKNOWN_ATTRIBUTE, DataError
from core.evaluation.bias import GroupTable, group_table, sample_per_group
from core.evaluation.metrics import threshold_metrics
from core.model import memory
from core.model.config import TrainConfig
from core.paths import user_path
from core.runs import bias_store, store

Progress = Callable[[int, int], None]


def data_folder(data: str | os.PathLike[str] | None) -> Path:
    """The folder to read: ``data`` itself, or the built-in demo set (generated on first use)."""
    if data is None:
        from core.data.demo import ensure_demo

        return ensure_demo()
    return user_path(data)


def check_training_folder(data: str | os.PathLike[str] | None, config: TrainConfig) -> str | None:
    """Check that ``config`` can be trained on a folder, without decoding it.

    The folder must exist and list images of both classes, and training must fit in the
    memory available now (:func:`core.model.memory.check_fits`).

    Returns its resolved path as text, or None for the demo set, ready for a job's settings.

    Raises
    ------
    DataError
        As :func:`core.data.datasets.scan`, or ``ONE_CLASS`` when one class is missing.
    ConfigError
        ``MEMORY_TOO_SMALL``, saying what fits.
    """
    listed = datasets.scan(data_folder(data))
    datasets.require_both_classes(listed)
    memory.check_fits(config, n_images=len(listed), available=memory.available_bytes())
    return None if data is None else listed.root


def load_faces(
    data: str | os.PathLike[str] | None, *, image_size: int, progress: Progress | None = None
) -> FaceSet:
    """Decode a data folder (or the demo set) at ``image_size``; see :func:`core.data.datasets.load`."""
    return datasets.load(data_folder(data), image_size=image_size, progress=progress)


def load_training_faces(
    data: str | os.PathLike[str] | None, config: TrainConfig, *, progress: Progress | None = None
) -> FaceSet:
    """Decode a data folder (or the demo set) for training ``config``, once the training fits in memory.

    The folder is listed first (no pixels), so settings that cannot fit are refused before
    a single image is decoded.

    Raises
    ------
    ConfigError
        ``MEMORY_TOO_SMALL`` (see :func:`core.model.memory.check_fits`), saying what fits.
    DataError
        As :func:`core.data.datasets.load`.
    """
    folder = data_folder(data)
    memory.check_fits(config, n_images=len(datasets.scan(folder)), available=memory.available_bytes())
    return datasets.load(folder, image_size=config.resolved().image_size, progress=progress)


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
) -> store.RunInfo:
    """Train, then save the run (finished or cancelled) with its validation scores and metrics.

    ``on_phase`` is told ``"training"`` when TensorFlow has started and ``"saving"`` before the
    run is written; ``on_epoch``, ``on_batch`` and ``cancel`` are as for :func:`core.model.train.train`.
    """
    datasets.require_both_classes(faceset)  # before TensorFlow loads: bad data fails fast
    from core.model.train import train

    if on_phase is not None:
        on_phase("training")
    logs = store.scratch_dir("tensorboard")  # moved into the run folder when it is saved
    try:
        result = train(
            faceset, config, on_epoch=on_epoch, on_batch=on_batch, cancel=cancel, tensorboard_dir=str(logs)
        )
        if on_phase is not None:
            on_phase("saving")
        return _save(faceset, result, logs)
    finally:
        shutil.rmtree(logs, ignore_errors=True)


def _save(faceset: FaceSet, result: Any, logs: Path) -> store.RunInfo:
    """Save a trained run (``result`` is a :class:`core.model.train.TrainResult`) with its scores."""
    scores = scores_frame(faceset, result.val_index, result.val_scores)
    metrics = threshold_metrics(scores["label"], scores["score"], threshold=result.config.threshold).to_dict()
    summary = {
        "status": result.status,
        "epochs_done": len(result.history),
        "n_train": result.n_train,
        "n_val": result.n_val,
        "train_seconds": round(result.train_seconds, 3),
    }
    config_record = {
        **result.config.to_dict(),
        "status": result.status,
        "dataset": {
            "name": faceset.name,
            "root": str(faceset.root),
            "is_demo": faceset.is_demo,
            "n": len(faceset),
        },
    }
    return store.save_run(
        model=result.model,
        config=config_record,
        history=result.history,
        scores=scores,
        metrics={**summary, **metrics},
        tensorboard=logs,
    )


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
        A face set decoded at the run's image size (:func:`load_faces`), or RGB arrays
        ``(h, w, 3)`` uint8 at any size, e.g. decoded by :func:`core.data.images.decode_native`
        and changed by a probe; those are centre-cropped and resized as decoding would
        (:func:`core.data.images.square`).
    model : keras.Model, optional
        The run's model, when the caller keeps it loaded (the app caches it); else loaded here.

    Returns
    -------
    ndarray of float64, shape (n,)
        P(real) in [0, 1].
    """
    from core.model.train import predict_scores  # TensorFlow: only when a model runs

    if isinstance(images, FaceSet):
        pixels = images.images
    else:
        size = store.run_info(run_id).image_size
        squared = [square(x, size) for x in images]
        pixels = np.stack(squared) if squared else np.zeros((0, size, size, 3), dtype=np.uint8)
    return predict_scores(store.load_model(run_id) if model is None else model, pixels)


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
        faceset = datasets.load(pool.folder, image_size=store.run_info(run_id).image_size, progress=progress)
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
