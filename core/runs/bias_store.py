"""Bias checks saved with their run: ``models/<run-id>/bias/<key>.csv`` and ``<key>.json``.

A bias check scores up to N seeded faces per group of a folder; the scores (path, label, score,
group columns) are kept with the run, keyed by the folder, the attribute, N and the seed, so any
session, page or deep link shows the same check without scoring again, and any threshold is
recomputed from the stored scores. The record also keeps a signature of the folder's files
(names, sizes, modification times): when they change, the saved check is not used.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.runs import store

BIAS_FOLDER = "bias"
_PATH_ERRORS = "surrogateescape"


@dataclass(frozen=True)
class BiasRecord:
    """One saved bias check: what was asked, and the scores of the sampled faces."""

    run_id: str
    folder: str
    name: str
    attribute: str
    per_group: int
    seed: int
    created: float
    signature: str
    scores: pd.DataFrame


def bias_key(folder: str | os.PathLike[str], *, attribute: str, per_group: int, seed: int) -> str:
    """A short hex key for a check of ``folder`` by ``attribute`` with ``per_group`` faces and ``seed``."""
    text = json.dumps([str(Path(folder).resolve()), attribute, int(per_group), int(seed)])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def files_signature(root: str | os.PathLike[str], paths: Sequence[str]) -> str:
    """A digest of ``paths`` under ``root`` with their sizes and modification times ("" if one is gone)."""
    digest = hashlib.sha256()
    try:
        for path in sorted(paths):
            stat = os.stat(Path(root, path))
            digest.update(os.fsencode(path) + f"\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    except OSError:
        return ""
    return digest.hexdigest()[:40]


def save_bias(
    run_id: str,
    *,
    folder: str | os.PathLike[str],
    name: str,
    attribute: str,
    per_group: int,
    seed: int,
    scores: pd.DataFrame,
    signature: str = "",
) -> None:
    """Keep a check's scores with the run (atomically: the CSV, then the record that points to it)."""
    target = store.run_info(run_id).path / BIAS_FOLDER
    target.mkdir(exist_ok=True)
    key = bias_key(folder, attribute=attribute, per_group=per_group, seed=seed)
    meta = {
        "folder": str(Path(folder).resolve()),
        "name": name,
        "attribute": attribute,
        "per_group": int(per_group),
        "seed": int(seed),
        "created": time.time(),
        "signature": signature,
        "n": len(scores),
    }
    tmp_csv, tmp_json = target / f".{key}.csv.tmp", target / f".{key}.json.tmp"
    scores.to_csv(tmp_csv, index=False, errors=_PATH_ERRORS)
    os.replace(tmp_csv, target / f"{key}.csv")
    tmp_json.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp_json, target / f"{key}.json")


def load_bias(
    run_id: str,
    *,
    folder: str | os.PathLike[str],
    attribute: str,
    per_group: int,
    seed: int,
    signature: str = "",
) -> BiasRecord | None:
    """The saved check with these settings, or None (never saved, damaged, or its files changed)."""
    key = bias_key(folder, attribute=attribute, per_group=per_group, seed=seed)
    record = _read(store.run_info(run_id).path / BIAS_FOLDER, key, run_id)
    if record is None or record.signature != signature:
        return None
    return record


def latest_bias(run_id: str) -> BiasRecord | None:
    """The most recent bias check saved with ``run_id``, or None."""
    folder = store.run_info(run_id).path / BIAS_FOLDER
    try:
        keys = [p.stem for p in folder.glob("*.json") if not p.name.startswith(".")]
    except OSError:
        return None
    records = [r for r in (_read(folder, k, run_id) for k in keys) if r is not None]
    return max(records, key=lambda r: r.created, default=None)


def _read(folder: Path, key: str, run_id: str) -> BiasRecord | None:
    try:
        meta = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        scores = pd.read_csv(
            folder / f"{key}.csv", keep_default_na=False, dtype={"path": object}, encoding_errors=_PATH_ERRORS
        )
        scores["label"] = scores["label"].astype(np.int8)
        scores["score"] = scores["score"].astype(float)
        for column in scores.columns[3:]:
            scores[column] = scores[column].astype(str)
        record = BiasRecord(
            run_id,
            str(meta["folder"]),
            str(meta["name"]),
            str(meta["attribute"]),
            int(meta["per_group"]),
            int(meta["seed"]),
            float(meta["created"]),
            str(meta.get("signature", "")),
            scores,
        )
    except (OSError, ValueError, KeyError, TypeError, pd.errors.ParserError):
        return None
    return record
