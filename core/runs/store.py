"""The run store: each training run is a folder ``models/<run-id>/``.

A run folder holds ``model.keras``, ``config.json``, ``history.json``, ``scores.csv``
(per-image validation scores with group columns) and ``metrics.json``, and may hold more
per-image tables (``<name>.csv``: a held-out test split's or a held-out source's scores); optionally
``meta.json`` (the name and note a user gave the run, see :func:`write_meta`) and
``tensorboard/`` (Keras's TensorBoard logs). It is written
into a hidden temporary folder and renamed into place in one step, so a crash
mid-save never leaves a folder that lists as a run; the next save deletes what a killed
one left behind. Nothing is pickled; models load in Keras safe mode. Only
:func:`load_model` imports Keras.

What is read back is checked (:mod:`core.runs.schema`) before anything uses it: a run
whose files were edited into nonsense lists as ``damaged`` with the reason, and only
``finished`` and ``cancelled`` runs are :attr:`RunInfo.usable`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.disk import process_running
from core.errors import (
    BAD_RUN_ID,
    META_TOO_LONG,
    MODEL_UNREADABLE,
    NO_RUNS,
    NO_SUCH_RUN,
    RUN_DAMAGED,
    RUN_INCOMPLETE,
    RUN_NOT_SAVED,
    ModelError,
    RunNotSaved,
)
from core.labels import DEFAULT_THRESHOLD
from core.model.config import PRESET_DEFAULTS
from core.paths import models_dir
from core.runs.schema import STATUSES, run_problem, scores_problem

RUN_FILES = ("model.keras", "config.json", "history.json", "scores.csv", "metrics.json")
# \A and \Z, not ^ and $: "$" also matches before a trailing newline.
_RUN_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,79}\Z")
_TABLE_NAME = re.compile(r"\A[a-z][a-z0-9_]{0,39}\Z")
_PARTIAL = re.compile(r"\A\.partial-.+-(\d+)-[0-9a-f]{6}\Z")
#: Larger JSON files are not read: a run's own are a few kB.
MAX_JSON_BYTES = 16 * 1024 * 1024
META_FILE = "meta.json"
TENSORBOARD_DIR = "tensorboard"
#: Longest run name and note, in characters.
MAX_NAME, MAX_NOTE = 80, 2000
# Image paths are kept as the file system gives them: a name that is not UTF-8 carries
# surrogate escapes, which must reach scores.csv (and come back) byte for byte.
_PATH_ERRORS = "surrogateescape"


@dataclass(frozen=True)
class RunInfo:
    """One saved run as listed: cheap to read, no model loaded."""

    run_id: str
    path: Path
    status: str  # "finished", "cancelled", "incomplete" (files missing) or "damaged" (files edited)
    config: dict[str, Any]
    metrics: dict[str, Any]
    problem: str = ""  # why an incomplete or damaged run cannot be used
    meta: dict[str, Any] = field(default_factory=dict)  # meta.json: name and note, if given

    @property
    def usable(self) -> bool:
        """Whether the run can be shown and used: finished or cancelled, its files checked."""
        return self.status in STATUSES

    @property
    def name(self) -> str:
        """The name a user gave the run, or ``""``."""
        return str(self.meta.get("name") or "")

    @property
    def note(self) -> str:
        """The note a user wrote about the run, or ``""``."""
        return str(self.meta.get("note") or "")

    @property
    def label(self) -> str:
        """How to call the run on screen: ``"name (id)"``, or the id alone when it has no name."""
        return f"{self.name} ({self.run_id})" if self.name else self.run_id

    @property
    def threshold(self) -> float:
        """The threshold the run was trained and judged at (older configs: the paper's 0.75)."""
        return float(self.config.get("threshold", DEFAULT_THRESHOLD))

    @property
    def image_size(self) -> int:
        """Side of the square images the run's model takes (older configs: the fast preset's).

        A patch preset's model scores images at native resolution (see :attr:`native_max_side`);
        this is then only the side a caller that can pass nothing but squares resizes to.
        """
        return int(self.config.get("image_size") or PRESET_DEFAULTS["fast"]["image_size"])

    @property
    def native_max_side(self) -> int:
        """0 for a model of resized squares; else images are scored at native resolution, reduced
        by an integer factor where a side is over this."""
        return int(self.config.get("native_max_side") or 0)


@dataclass(frozen=True)
class Run:
    """A saved run's results, without its model."""

    info: RunInfo
    history: pd.DataFrame
    scores: pd.DataFrame  # path, label, score, then group columns

    @property
    def run_id(self) -> str:
        return self.info.run_id


def validate_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is a plain id, else raise :class:`ModelError` (no paths, no ``..``)."""
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise ModelError(BAD_RUN_ID.format(run_id=run_id))
    return run_id


def new_run_id(preset: str) -> str:
    """A fresh, sortable id such as ``20261126-223012-fast-3fa9``."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{preset}-{secrets.token_hex(2)}"


def save_run(
    *,
    model: Any,
    config: dict[str, Any],
    history: pd.DataFrame,
    scores: pd.DataFrame,
    metrics: dict[str, Any],
    run_id: str | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
    tensorboard: Path | None = None,
) -> RunInfo:
    """Write a run atomically and return how it lists.

    ``config`` must carry ``status`` ("finished" or "cancelled") and ``preset``. Each of
    ``tables`` (name: lower-case letters, digits and ``_``) is written as ``<name>.csv``
    beside ``scores.csv``; read it back with :func:`load_table`. A ``tensorboard`` folder
    of logs (see :func:`scratch_dir`) is moved into the run.

    Raises
    ------
    RunNotSaved
        ``RUN_NOT_SAVED`` when the file system refuses (a full disk, no permission): the
        staging folder is removed, and the exception's ``save_again()`` tries once more
        with the same model and results, which it keeps in memory.
    """
    for name in tables or {}:
        if not _TABLE_NAME.match(name) or f"{name}.csv" in RUN_FILES:
            raise ValueError(f"bad run table name {name!r}")
    run_id = validate_run_id(run_id or new_run_id(str(config.get("preset", "run"))))
    root = models_dir()
    staging = root / f".partial-{run_id}-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        _remove_stale_partials(root)
        staging.mkdir()
        from core.model.saving import save_keras

        save_keras(model, staging / "model.keras", scratch=staging / ".model")
        _write_json(staging / "config.json", {"run_id": run_id, **config})
        _write_json(staging / "history.json", history.to_dict(orient="records"))
        write_scores(scores, staging / "scores.csv")
        for name, table in (tables or {}).items():
            write_scores(table, staging / f"{name}.csv")
        _write_json(staging / "metrics.json", metrics)
        if tensorboard is not None and tensorboard.is_dir():
            shutil.move(tensorboard, staging / TENSORBOARD_DIR)
        os.replace(staging, root / run_id)  # the single step that makes the run exist
    except OSError as exc:
        again = functools.partial(
            save_run,
            model=model,
            config=config,
            history=history,
            scores=scores,
            metrics=metrics,
            run_id=run_id,
            tables=tables,
        )
        reason = exc.strerror or str(exc)
        raise RunNotSaved(
            RUN_NOT_SAVED.format(run_id=run_id, folder=root, reason=reason), save_again=again
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return run_info(run_id)


def scratch_dir(kind: str) -> Path:
    """A new, empty folder under the models folder for files a run makes while it trains.

    Named like a killed save's staging folder, so the next save removes it if it is left behind.
    """
    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    path = root / f".partial-{kind}-{os.getpid()}-{secrets.token_hex(3)}"
    path.mkdir()
    return path


def list_runs() -> list[RunInfo]:
    """All runs, newest first. Broken folders list as ``incomplete`` or ``damaged`` with the reason.

    A run deleted while it is being listed (by another session or process) is left out.
    """
    root = models_dir()
    try:
        ids = [p.name for p in root.iterdir() if _RUN_ID.match(p.name) and p.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []
    listed = []
    for run_id in sorted(ids, reverse=True):
        try:
            info = run_info(run_id)
        except ModelError:  # NO_SUCH_RUN: deleted since the folder was listed
            continue
        if info.path.is_dir():  # else deleted while its files were read
            listed.append(info)
    return listed


def latest_run_id() -> str:
    """The newest finished run's id; the newest cancelled one when none finished.

    Incomplete and damaged runs are passed over, and a run stopped after 2 of 35 epochs is no
    default: it is used only when nothing finished.
    """
    usable = [info for info in list_runs() if info.usable]
    if not usable:
        raise ModelError(NO_RUNS)
    return next((i.run_id for i in usable if i.status == "finished"), usable[0].run_id)


def run_info(run_id: str) -> RunInfo:
    """How one run lists; never raises for a broken folder, only for a bad or unknown id.

    Its ``config`` and ``metrics`` have passed :func:`core.runs.schema.run_problem`; a run
    that fails it is ``damaged``, with empty ``config`` and ``metrics`` so that nothing
    unchecked is shown.
    """
    path = _run_path(run_id)
    missing = [f for f in RUN_FILES if not (path / f).is_file()]
    config = _read_object(path / "config.json")
    metrics = _read_object(path / "metrics.json")
    if missing or config is None or metrics is None:
        what = ", ".join(missing) or "readable config.json and metrics.json"
        problem = RUN_INCOMPLETE.format(run_id=run_id, missing=what)
        return RunInfo(run_id, path, "incomplete", {}, {}, problem)
    problem = run_problem(config, metrics)
    if problem is not None:
        return RunInfo(run_id, path, "damaged", {}, {}, RUN_DAMAGED.format(run_id=run_id, problem=problem))
    meta = _read_object(path / META_FILE) or {}
    return RunInfo(run_id, path, str(config.get("status", STATUSES[0])), config, metrics, meta=meta)


def write_meta(run_id: str, *, name: str, note: str = "") -> RunInfo:
    """Give a run a name and a note (``meta.json`` in its folder, replaced in one step).

    Parameters
    ----------
    run_id : str
    name : str
        At most :data:`MAX_NAME` characters; blank clears it.
    note : str, default ""
        At most :data:`MAX_NOTE` characters.

    Returns
    -------
    RunInfo
        How the run lists now.

    Raises
    ------
    ModelError
        If the run does not exist, or the name or note is too long.
    """
    path = _run_path(run_id)
    name, note = name.strip(), note.strip()
    for what, text, limit in (("name", name, MAX_NAME), ("note", note, MAX_NOTE)):
        if len(text) > limit:
            raise ModelError(META_TOO_LONG.format(what=what, n=len(text), limit=limit))
    staging = path / f".{META_FILE}.{os.getpid()}-{secrets.token_hex(3)}"
    try:
        _write_json(staging, {"name": name, "note": note})
        os.replace(staging, path / META_FILE)  # readers see the old file or the new, never half of one
    finally:
        staging.unlink(missing_ok=True)
    return run_info(run_id)


def tensorboard_dir(run_id: str) -> Path:
    """Where a run's TensorBoard logs are (``tensorboard --logdir`` on it, or on ``models/``)."""
    return _run_path(run_id) / TENSORBOARD_DIR


def load_run(run_id: str) -> Run:
    """A run's history and per-image scores (no model). Raises for incomplete and damaged runs."""
    info = _usable(run_id)
    records = _read_json(info.path / "history.json")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ModelError(RUN_INCOMPLETE.format(run_id=run_id, missing="readable history.json"))
    history = pd.DataFrame(records)
    return Run(info, history, _read_scores(run_id, info.path / "scores.csv"))


def _read_scores(run_id: str, file: Path) -> pd.DataFrame:
    try:
        scores = read_scores(file, score_columns=("score",))
    except (ValueError, KeyError, pd.errors.ParserError) as exc:
        raise ModelError(
            RUN_INCOMPLETE.format(run_id=run_id, missing=f"readable {file.name}: {exc}")
        ) from exc
    problem = scores_problem(scores)
    if problem is not None:
        raise ModelError(RUN_DAMAGED.format(run_id=run_id, problem=problem))
    return scores


def load_table(run_id: str, name: str) -> pd.DataFrame | None:
    """The run's extra per-image table ``name`` (path, label, score, groups), or None if it has none.

    Raises
    ------
    ModelError
        If the table exists but cannot be read.
    """
    info = run_info(run_id)
    file = info.path / f"{name}.csv"
    if not _TABLE_NAME.match(name) or not file.is_file():
        return None
    return _read_scores(run_id, file)


def write_scores(scores: pd.DataFrame, file: Path, *, append: bool = False) -> None:
    """Write per-image scores (``path``, ``label``, score columns, groups) as CSV, paths byte for byte.

    With ``append``, the rows are added to the end of ``file`` without a header (a scoring stream
    writes a chunk at a time, :mod:`core.evaluation.streaming`).
    """
    scores.to_csv(file, mode="a" if append else "w", header=not append, index=False, errors=_PATH_ERRORS)


def read_scores(file: Path, *, score_columns: tuple[str, ...]) -> pd.DataFrame:
    """Per-image scores written by :func:`write_scores`: ``label`` as int8, ``score_columns`` as float.

    Group columns stay strings (an empty group is ``""``, not NaN).

    Raises
    ------
    ValueError, KeyError, pandas.errors.ParserError
        If the file is not such a CSV.
    """
    scores = pd.read_csv(file, keep_default_na=False, dtype={"path": object}, encoding_errors=_PATH_ERRORS)
    scores["label"] = scores["label"].astype(np.int8)
    for column in score_columns:
        scores[column] = scores[column].astype(float)
    return scores


def load_model(run_id: str) -> Any:
    """The run's Keras model, loaded in safe mode (no arbitrary code)."""
    info = _usable(run_id)
    from core.model.presets import load_keras_model

    try:
        return load_keras_model(info.path / "model.keras")
    except Exception as exc:  # Keras raises many types for a damaged file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ModelError(MODEL_UNREADABLE.format(run_id=run_id, reason=reason)) from exc


def delete_run(run_id: str) -> None:
    """Remove a run folder."""
    shutil.rmtree(_run_path(run_id))


def _usable(run_id: str) -> RunInfo:
    info = run_info(run_id)
    if not info.usable:
        raise ModelError(info.problem)
    return info


def _run_path(run_id: str) -> Path:
    path = models_dir() / validate_run_id(run_id)
    if not path.is_dir():
        raise ModelError(NO_SUCH_RUN.format(run_id=run_id))
    return path


def _write_json(path: Path, value: Any) -> None:
    text = json.dumps(json_safe(value), indent=2, allow_nan=False, default=_json_default)
    path.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike[str], value: Any) -> None:
    """Write ``value`` as JSON (NaN as null) to ``path``, creating its folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    _write_json(Path(path), value)


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by None, recursively (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _remove_stale_partials(root: Path) -> None:
    """Delete staging folders left by a save that was killed (its process no longer runs).

    A folder of a process that is still running, on this machine, is left alone: it may be
    mid-save (see :func:`core.disk.process_running`).
    """
    for entry in root.iterdir():
        found = _PARTIAL.match(entry.name)
        if found and entry.is_dir() and not entry.is_symlink() and not process_running(int(found.group(1))):
            shutil.rmtree(entry, ignore_errors=True)


def _read_object(path: Path) -> dict[str, Any] | None:
    """A JSON file holding an object, or None when it is unreadable or holds anything else."""
    value = _read_json(path)
    return value if isinstance(value, dict) else None


def _read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is unreadable, too large, or nested too deep to parse."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
