"""Small hand-checkable inputs the tests share: a tiny learnable face set, a stand-in run,
the metrics' example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


def make_tiny_faceset(n_per_class: int = 24, size: int = 16, seed: int = 0):
    """A FaceSet a model can learn in two epochs: reals are bright on the left, fakes on the right."""
    import numpy as np
    import pandas as pd

    from core.data.faceset import FaceSet

    rng = np.random.default_rng(seed)
    images = rng.integers(0, 60, size=(2 * n_per_class, size, size, 3), dtype=np.uint8)
    images[:n_per_class, :, : size // 2] += 150
    images[n_per_class:, :, size // 2 :] += 150
    labels = np.array([1] * n_per_class + [0] * n_per_class, dtype=np.int8)
    tones = np.array(["light", "dark"] * n_per_class)
    return FaceSet(
        name="tiny test set",
        root="/nonexistent/tiny",
        layout="labels_csv",
        paths=tuple(f"{'real' if y else 'fake'}/{i}.png" for i, y in enumerate(labels)),
        labels=labels,
        groups=pd.DataFrame({"skin_tone": tones}),
        images=images,
        image_size=size,
    )


#: The metrics' hand example (tests/test_metrics.py, tests/test_thresholds.py): two fakes (0.1, 0.4)
#: and two reals (0.35, 0.8). At 0.75 only 0.8 is called real: tp=1 (0.8), fn=1 (0.35), tn=2, fp=0.
HAND_LABELS = [0, 0, 1, 1]
HAND_SCORES = [0.1, 0.4, 0.35, 0.8]


def raises_metrics_error(message: str):
    """``pytest.raises`` for a MetricsError that says exactly ``message``."""
    from core.evaluation.checks import MetricsError

    return pytest.raises(MetricsError, match=re.escape(message))


class StandInModel:
    """What store.save_run needs of a Keras model: ``.save(folder, zipped=False)`` (core.model.saving)."""

    def save(self, path: Path, *, zipped: bool = True) -> None:
        assert not zipped, "runs are saved unzipped first, then archived from disk"
        path.mkdir()
        (path / "config.json").write_text("not a keras model", encoding="utf-8")


def disk_full(*args: object, **kwargs: object) -> None:
    """A writer on a full disk: raises what the system raises (``ENOSPC``) whatever it is given."""
    import errno
    import os

    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def tamper_run(run: Path, file: str, key: str, raw: str) -> None:
    """Set ``key`` of the run's JSON ``file`` to ``raw``, written as is (``NaN``, ``"abc"``): a hand edit."""
    import json

    values = json.loads((run / file).read_text(encoding="utf-8"))
    text = json.dumps({k: v for k, v in values.items() if k != key})
    (run / file).write_text(text[:-1] + f', "{key}": {raw}}}', encoding="utf-8")


def save_stand_in_run(run_id: str, *, data: Path | None = None) -> Path:
    """A run with no real model, trained on ``data`` (default elsewhere): four stored scores, two tones.

    Reals 0.9 (light) and 0.8 (dark), fakes 0.2 (light) and 0.1 (dark); returns the run's folder.
    """
    import pandas as pd

    from core.runs import store

    info = store.save_run(
        model=StandInModel(),
        config={
            "preset": "fast",
            "status": "finished",
            "threshold": 0.75,
            "image_size": 16,
            "dataset": {"name": "faces", "root": str(data) if data else "/elsewhere"},
        },
        history=pd.DataFrame({"epoch": [1], "loss": [0.6]}),
        scores=pd.DataFrame(
            {
                "path": ["real/a.png", "real/b.png", "fake/c.png", "fake/d.png"],
                "label": [1, 1, 0, 0],
                "score": [0.9, 0.8, 0.2, 0.1],
                "skin_tone": ["light", "dark", "light", "dark"],
            }
        ),
        metrics={"accuracy": 1.0, "n": 4},
        run_id=run_id,
    )
    return info.path


def write_tiny_folder(root: Path, *, n_per_class: int = 24, size: int = 16, seed: int = 0) -> Path:
    """:func:`make_tiny_faceset`'s images as PNG files in ``root/real`` and ``root/fake``; returns root."""
    from PIL import Image

    faces = make_tiny_faceset(n_per_class=n_per_class, size=size, seed=seed)
    for path, image in zip(faces.paths, faces.images, strict=True):
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(target)
    return root


def save_run_without_groups(run_id: str, *, data: Path) -> Path:
    """A stand-in run trained on ``data`` called "Hard", whose images carry no group attribute."""
    import pandas as pd

    from core.runs import store

    info = store.save_run(
        model=StandInModel(),
        config={"preset": "fast", "status": "finished", "dataset": {"name": "Hard", "root": str(data)}},
        history=pd.DataFrame({"epoch": [1], "loss": [0.5]}),
        scores=pd.DataFrame({"path": ["real/a.jpg", "fake/b.jpg"], "label": [1, 0], "score": [0.9, 0.1]}),
        metrics={"accuracy": 1.0, "n": 2},
        run_id=run_id,
    )
    return info.path
