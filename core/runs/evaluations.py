"""Results kept with a run: its evaluations on other folders and its stress probes.

Inside the run's folder, keyed by the folder's fingerprint
(:func:`core.data.fingerprint.folder_fingerprint`), so deleting the run deletes them too and a
folder whose files changed gets a new key rather than stale numbers::

    models/<run-id>/evaluations/<key>/scores.csv    per-image scores: path, label, score, groups
    models/<run-id>/evaluations/<key>/summary.json  the folder, the metrics with intervals, when
    models/<run-id>/stress/<key>.csv                per-image scores: path, label, original, one per probe
    models/<run-id>/stress/<key>.json               the folder, the probe results, the framing verdict

Each file is written to a temporary name and renamed into place, the JSON last: a result
lists only when its JSON is whole, and a crash mid-save leaves the previous result or none.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from core.data.fingerprint import is_fingerprint
from core.errors import BAD_RESULT_KEY, NO_SUCH_RESULT, ModelError
from core.runs import store

Kind = Literal["evaluations", "stress"]
#: The score columns of each kind's CSV, besides ``path``, ``label`` and group columns.
EVALUATION_SCORE = "score"
STRESS_ORIGINAL = "original"


def save_evaluation(run_id: str, key: str, *, scores: pd.DataFrame, summary: dict[str, Any]) -> Path:
    """Keep a run's evaluation on the folder with fingerprint ``key``; returns its folder.

    ``scores`` has ``path``, ``label``, ``score`` and any group columns; ``summary`` is JSON-ready.
    """
    folder = _result_dir(run_id, "evaluations") / _checked(key)
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(scores, folder / "scores.csv")
    _write_json(folder / "summary.json", {**summary, "key": key, "run_id": run_id})
    return folder


def save_stress(run_id: str, key: str, *, scores: pd.DataFrame, summary: dict[str, Any]) -> Path:
    """Keep a run's stress probes on the folder with fingerprint ``key``; returns the JSON file."""
    folder = _result_dir(run_id, "stress")
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(scores, folder / f"{_checked(key)}.csv")
    target = folder / f"{key}.json"
    _write_json(target, {**summary, "key": key, "run_id": run_id})
    return target


def list_results(run_id: str, kind: Kind) -> list[dict[str, Any]]:
    """The summaries of a run's evaluations or stress results, newest first; unreadable ones are left out."""
    folder = _result_dir(run_id, kind)
    if not folder.is_dir():
        return []
    files = folder.glob("*/summary.json") if kind == "evaluations" else folder.glob("*.json")
    found = [
        s for s in (_read_object(f) for f in files) if s is not None and is_fingerprint(s.get("key", ""))
    ]
    return sorted(found, key=lambda s: str(s.get("created", "")), reverse=True)


def load_result(run_id: str, kind: Kind, key: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """One stored result: its summary and its per-image scores.

    Raises
    ------
    ModelError
        If ``key`` is not a fingerprint, or the run has no such result (or it is unreadable).
    """
    folder = _result_dir(run_id, kind)
    key = _checked(key)
    if kind == "evaluations":
        summary_file, scores_file, columns = (
            folder / key / "summary.json",
            folder / key / "scores.csv",
            (EVALUATION_SCORE,),
        )
    else:
        summary_file, scores_file, columns = folder / f"{key}.json", folder / f"{key}.csv", (STRESS_ORIGINAL,)
    summary = _read_object(summary_file)
    try:
        if summary is None:
            raise ValueError("no readable summary")
        scores = store.read_scores(scores_file, score_columns=columns)
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
        raise ModelError(NO_SUCH_RESULT.format(run_id=run_id, key=key)) from exc
    return summary, scores


def all_evaluations() -> list[dict[str, Any]]:
    """Every usable run's evaluation summaries, run by run (newest run first)."""
    found = []
    for info in store.list_runs():
        if info.status != "incomplete":
            found += list_results(info.run_id, "evaluations")
    return found


def _result_dir(run_id: str, kind: Kind) -> Path:
    return store.run_info(run_id).path / kind  # run_info validates the id and that the run exists


def _checked(key: str) -> str:
    if not is_fingerprint(key):
        raise ModelError(BAD_RESULT_KEY.format(key=key))
    return key


def _write_csv(scores: pd.DataFrame, target: Path) -> None:
    _atomic(target, lambda file: store.write_scores(scores, file))


def _write_json(target: Path, value: dict[str, Any]) -> None:
    text = json.dumps(store.json_safe(value), indent=1, allow_nan=False)
    _atomic(target, lambda file: file.write_text(text, encoding="utf-8"))


def _atomic(target: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then rename over ``target``."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _read_object(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
